"""Fixtures for the browser tests: real JupyterLab / Notebook 7 servers, headless Chromium.

Session scope: one JupyterLab server (``lab_server``), one Notebook 7 server (``nb_server``),
one Chromium (``browser``). Function scope: ``page`` (fresh context; console errors and page
errors fail the test), and ``open_lab`` / ``open_nb`` factories that write a notebook with the
given code cells and open it, returning an ``e2e_notebook.NotebookPage``.

Chromium: /usr/bin/chromium or $HOPS_WIDGETS_CHROMIUM. Missing browser: skip locally,
fail when HOPS_WIDGETS_CI=1 (CI must never skip a browser test silently).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

# Plain asserts in the helper modules get pytest's detailed failure messages too.
pytest.register_assert_rewrite(f"{__package__}.e2e_hops", f"{__package__}.e2e_notebook")

from .e2e_notebook import ARTIFACTS, LIGHT_THEME, NotebookPage  # noqa: E402 - after the rewrite hook
from .e2e_servers import JupyterServer  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Console errors and page errors that are not ours and say nothing about the widget: the
# pattern is matched against the message plus its stack. Keep each entry narrow and say why.
CONSOLE_ALLOWLIST: list[tuple[re.Pattern, str]] = [
    (
        re.compile(
            r"^\[pageerror\] Cannot read properties of undefined \(reading 'schema'\)\n"
            r"TypeError: [^\n]*\n\s+at [^\n]*/static/notebook/notebook_core\.",
        ),
        # Notebook 7 only (its own bundle, not JupyterLab's), on every page load, before any cell
        # runs: the shortcuts plugin reads registry.plugins[id].schema of a plugin not loaded
        # yet. Upstream race, jupyter/notebook#7862; reproduced here with a bare "1+1" notebook.
        "jupyter/notebook#7862 shortcuts settings race",
    ),
    (
        re.compile(
            r"^\[error\] Failed to load resource: net::ERR_FAILED "
            r"\(https://cdn\.jsdelivr\.net/npm/@fortawesome/fontawesome-free@%5E5/css/(all|v4-shims)\.min\.css:0\)$"
        ),
        # Voilà only: its lab template links Font Awesome's stylesheets from cdn.jsdelivr.net, which an
        # offline machine cannot load (test_e2e_voila.py fails these requests at once, so the test never
        # waits on the network). The widgets use no icon font; the page works without it.
        "Voilà's template: Font Awesome from a CDN, offline",
    ),
]


# A browser test drives a real JupyterLab, kernel and Chromium on a shared two-core machine: a
# timing it waits on can, rarely, run out. Each gets one retry (E2E_RERUNS=0 for none); the run's
# summary counts the retries per suite ("rerun"), so a test that needs them stays visible.
E2E_RERUNS = int(os.environ.get("E2E_RERUNS", "1"))


def pytest_collection_modifyitems(config, items):
    if E2E_RERUNS <= 0 or not config.pluginmanager.hasplugin("rerunfailures"):
        return
    for item in items:
        if item.nodeid.startswith("tests/e2e/") and item.get_closest_marker("flaky") is None:
            item.add_marker(pytest.mark.flaky(reruns=E2E_RERUNS, reruns_delay=2))


def _chromium_path() -> str:
    path = os.environ.get("HOPS_WIDGETS_CHROMIUM") or "/usr/bin/chromium"
    if Path(path).exists() or shutil.which(path):
        return path
    message = f"Chromium not found at {path} (set HOPS_WIDGETS_CHROMIUM)"
    if os.environ.get("HOPS_WIDGETS_CI") == "1":
        pytest.fail(message + "; HOPS_WIDGETS_CI=1 forbids skipping browser tests", pytrace=False)
    pytest.skip(message)


def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        if os.environ.get("HOPS_WIDGETS_CI") == "1":
            pytest.fail(f"playwright is not installed: {exc}", pytrace=False)
        pytest.skip(f"playwright is not installed: {exc}")
    return sync_playwright


@pytest.fixture(scope="session")
def browser():
    executable = _chromium_path()
    pw = _playwright()().start()
    try:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    except Exception:
        pw.stop()
        raise
    yield browser
    browser.close()
    pw.stop()


def _server(kind: str, tmp_path_factory):
    server = JupyterServer(kind, tmp_path_factory.mktemp(f"jupyter-{kind}"), ARTIFACTS / "logs")
    server.start()
    return server


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory, browser):
    server = _server("lab", tmp_path_factory)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def nb_server(tmp_path_factory, browser):
    server = _server("notebook", tmp_path_factory)
    yield server
    server.stop()


class ConsoleLog:
    """Console messages and uncaught page errors of one page."""

    def __init__(self):
        self.errors: list[str] = []
        self.allowed: list[str] = []
        self.all: list[str] = []

    def _error(self, text: str) -> None:
        if any(pattern.search(text) for pattern, _why in CONSOLE_ALLOWLIST):
            self.allowed.append(text)
        else:
            self.errors.append(text)

    def on_console(self, msg) -> None:
        loc = msg.location or {}
        text = f"[{msg.type}] {msg.text} ({loc.get('url', '')}:{loc.get('lineNumber', '')})"
        self.all.append(text)
        if msg.type == "error":
            self._error(text)

    def on_pageerror(self, exc) -> None:
        text = f"[pageerror] {exc.message}\n{exc.stack or ''}"
        self.all.append(text)
        self._error(text)


@pytest.fixture
def console():
    """The page's console log; the ``page`` fixture fails the test if it holds any error."""
    return ConsoleLog()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"_e2e_report_{report.when}", report)
    return report


@pytest.fixture
def page(browser, console, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    context.set_default_timeout(30_000)
    pg = context.new_page()
    pg.on("console", console.on_console)
    pg.on("pageerror", console.on_pageerror)
    yield pg
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    report = getattr(request.node, "_e2e_report_call", None)
    if report is not None and report.failed and not pg.is_closed():
        # What the browser showed when the test failed.
        shots = ARTIFACTS / "screenshots" / "failures"
        shots.mkdir(parents=True, exist_ok=True)
        try:
            pg.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        except Exception:  # noqa: BLE001 - a diagnostic must not hide the real failure
            pass
    context.close()
    log_dir = ARTIFACTS / "console"
    log_dir.mkdir(parents=True, exist_ok=True)
    (log_dir / f"{name}.log").write_text("\n".join(console.all) + "\n")
    if console.errors:
        pytest.fail("browser console errors:\n" + "\n".join(console.errors), pytrace=False)


def _opener(server_fixture: str):
    @pytest.fixture
    def factory(page, request):
        server: JupyterServer = request.getfixturevalue(server_fixture)
        opened: list[NotebookPage] = []

        def open_notebook(cells: list[str], name: str | None = None) -> NotebookPage:
            base = re.sub(r"[^\w-]+", "-", name or request.node.name).strip("-")
            nbp = NotebookPage.open(page, server, f"{base}-{len(opened)}", cells)
            opened.append(nbp)
            return nbp

        yield open_notebook
        for nbp in opened:
            if not page.is_closed():
                try:
                    # Theme is a user setting: put it back so the next test starts light.
                    if nbp.theme() != LIGHT_THEME:
                        nbp.set_theme(LIGHT_THEME)
                except Exception:  # noqa: BLE001 - best effort; the page may be gone
                    pass
        # Every test starts its own kernel; end them so two cores are not shared with leftovers.
        server.shutdown_kernels()

    return factory


open_lab = _opener("lab_server")
open_nb = _opener("nb_server")
