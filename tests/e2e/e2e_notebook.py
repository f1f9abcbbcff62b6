"""Drive one notebook in JupyterLab or Jupyter Notebook 7 through Playwright.

Both front ends are started with ``expose_app_in_browser``, so ``window.jupyterapp`` is the
application: commands run cells, ``shell.currentWidget`` is the open notebook panel. The DOM is
only used for what a user sees (outputs, prompts, the widget itself).
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import nbformat
from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .e2e_servers import REPO_ROOT, JupyterServer

ARTIFACTS = REPO_ROOT / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
DOCS_IMG = REPO_ROOT / "docs" / "img"

LIGHT_THEME = "JupyterLab Light"
DARK_THEME = "JupyterLab Dark"

# The notebook panel whose document is `path` (Lab may also have a launcher or other tabs).
_PANEL_JS = """(path) => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return null;
  const candidates = [app.shell.currentWidget, ...Array.from(app.shell.widgets ? app.shell.widgets('main') : [])];
  return candidates.find(w => w && w.context && w.context.path === path && w.content && w.content.model) || null;
}"""


def write_notebook(root: Path, name: str, cells: list[str]) -> str:
    """Write ``cells`` (code sources) as ``<name>.ipynb`` under ``root``; returns the file name."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    filename = f"{name}.ipynb"
    nbformat.write(nb, root / filename)
    return filename


class NotebookPage:
    """One open notebook: run cells, read outputs, switch theme, take screenshots."""

    def __init__(self, page: Page, server: JupyterServer, filename: str):
        self.page = page
        self.server = server
        self.filename = filename
        self.kind = server.kind
        self._ran: set[int] = set()  # cells started through this object

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, page: Page, server: JupyterServer, name: str, cells: list[str], timeout_s: float = 60):
        return cls._goto(page, server, write_notebook(server.root_dir, name, cells), name, timeout_s)

    @classmethod
    def open_file(cls, page: Page, server: JupyterServer, source: Path, name: str, timeout_s: float = 60):
        """Copy an existing notebook (``source``) into the server's root as ``<name>.ipynb`` and open it."""
        filename = f"{name}.ipynb"
        (server.root_dir / filename).write_bytes(Path(source).read_bytes())
        return cls._goto(page, server, filename, name, timeout_s)

    @classmethod
    def _goto(cls, page: Page, server: JupyterServer, filename: str, name: str, timeout_s: float):
        nbp = cls(page, server, filename)
        if server.kind == "lab":
            # A workspace of its own per test: nothing restored from an earlier test's layout.
            url = f"{server.url}/lab/workspaces/{name}/tree/{filename}"
        else:
            url = f"{server.url}/notebooks/{filename}"
        page.goto(url)
        nbp.wait_kernel_idle(timeout_s)
        return nbp

    def _eval(self, body: str, arg=None):
        """Evaluate ``body`` with ``panel`` (the notebook panel), ``app`` and ``arg`` in scope."""
        script = f"""async ([path, arg]) => {{
          const panel = ({_PANEL_JS})(path);
          const app = window.jupyterapp;
          if (!panel) throw new Error('notebook panel not found: ' + path);
          {body}
        }}"""
        return self.page.evaluate(script, [self.filename, arg])

    def wait_kernel_idle(self, timeout_s: float = 60) -> None:
        self.page.wait_for_function(
            f"""(path) => {{
              const panel = ({_PANEL_JS})(path);
              if (!panel || !panel.sessionContext || !panel.sessionContext.isReady) return false;
              const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
              return !!kernel && kernel.status === 'idle' && kernel.connectionStatus === 'connected';
            }}""",
            arg=self.filename,
            timeout=timeout_s * 1000,
        )

    # -- cells ---------------------------------------------------------------------------

    def cell_count(self) -> int:
        return self._eval("return panel.content.widgets.length;")

    def cell(self, index: int) -> Locator:
        """The cell widget in the DOM (negative index counts from the end)."""
        if index < 0:
            index += self.cell_count()
        key = self._eval(
            """
            const cell = panel.content.widgets[arg];
            if (!cell) throw new Error('no cell ' + arg);
            cell.node.dataset.e2eCell = cell.model.id;  // a stable handle for Playwright
            return cell.model.id;""",
            index,
        )
        return self.page.locator(f'[data-e2e-cell="{key}"]')

    def output(self, index: int) -> Locator:
        return self.cell(index).locator(".jp-OutputArea")

    def cell_index_of(self, text: str) -> int:
        """The index of the first cell whose source contains ``text``."""
        index = self._eval(
            "return panel.content.widgets.findIndex(c => c.model.sharedModel.getSource().includes(arg));", text
        )
        if index < 0:
            raise AssertionError(f"no cell contains {text!r}")
        return index

    def clear_all_outputs(self) -> None:
        """Clear every output and execution count (a stored notebook's old results)."""
        self._eval("await app.commands.execute('notebook:clear-all-cell-outputs'); return true;")
        self.page.wait_for_function(
            f"""(path) => {{
              const panel = ({_PANEL_JS})(path);
              return !!panel && panel.content.widgets.every(c => c.model.type !== 'code' ||
                (c.model.executionCount === null && c.model.outputs.length === 0));
            }}""",
            arg=self.filename,
        )

    def run_all(self) -> None:
        """Start running every cell; returns at once (use wait_cells_done to wait)."""
        self._ran.update(range(self.cell_count()))
        self._eval("app.commands.execute('notebook:run-all-cells'); return true;")

    def run_cell(self, index: int) -> None:
        """Start running one cell; returns at once."""
        self._ran.add(index if index >= 0 else index + self.cell_count())
        self._eval(
            """
            panel.content.activeCellIndex = arg;
            panel.content.mode = 'command';
            app.commands.execute('notebook:run-cell');
            return true;""",
            index,
        )

    def add_cell(self, source: str) -> int:
        """Append a code cell (not run); returns its index."""
        return self._eval(
            """
            const model = panel.content.model;
            const index = model.cells.length;
            model.sharedModel.insertCell(index, {cell_type: 'code', source: arg});
            return index;""",
            source,
        )

    def run_extra_cell(self, source: str) -> int:
        """Append a code cell and start running it; returns its index."""
        index = self.add_cell(source)
        self.run_cell(index)
        return index

    def kernel_json(self, expr: str, timeout_s: float = 30):
        """Evaluate ``expr`` in the kernel (in a new cell) and return its value through JSON."""
        index = self.run_extra_cell(f"import json as _e2e_json\nprint(_e2e_json.dumps({expr}))")
        # A new cell has no count and no output until the kernel answers.
        self.page.wait_for_function(
            f"""(path) => {{
              const panel = ({_PANEL_JS})(path);
              const cell = panel && panel.content.widgets[{index}];
              return !!cell && cell.model.executionCount !== null && cell.model.outputs.length > 0;
            }}""",
            arg=self.filename,
            timeout=timeout_s * 1000,
        )
        outputs = self.outputs_json(index)
        stdout = [o for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stdout"]
        text = "".join("".join(o.get("text", "")) for o in stdout)
        if not text:
            raise AssertionError(f"{expr!r} printed nothing; outputs: {dumps(outputs)}")
        return json.loads(text)

    def interrupt_kernel(self) -> None:
        self._eval("await panel.sessionContext.session.kernel.interrupt(); return true;")

    def is_running(self, index: int) -> bool:
        """True while the cell's prompt shows ``[*]`` (queued or executing)."""
        prompt = self.cell(index).locator(".jp-InputPrompt").inner_text()
        return "*" in prompt

    def wait_cell_running(self, index: int, timeout_s: float = 30) -> None:
        self.wait_prompt(index, running=True, timeout_s=timeout_s)

    def wait_prompt(self, index: int, running: bool, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.is_running(index) == running:
                return
            time.sleep(0.1)
        raise AssertionError(f"cell {index} {'never started' if running else 'did not finish'} in {timeout_s} s")

    def outputs_json(self, index: int) -> list[dict]:
        return self._eval("return panel.content.model.cells.get(arg).toJSON().outputs || [];", index)

    def wait_cells_done(self, timeout_s: float = 60, check_errors: bool = True) -> None:
        """Wait until every cell started so far has an execution count and none shows ``[*]``."""
        ran = sorted(self._ran)
        try:
            self.page.wait_for_function(
                f"""([path, ran]) => {{
                  const panel = ({_PANEL_JS})(path);
                  if (!panel) return false;
                  return ran.every(i => {{
                    const c = panel.content.widgets[i];
                    return !!c && c.model.executionCount !== null &&
                      !(c.promptNode && c.promptNode.textContent.includes('*'));
                  }});
                }}""",
                arg=[self.filename, ran],
                timeout=timeout_s * 1000,
            )
        except PlaywrightTimeout:
            if check_errors:
                self.assert_no_error_outputs()
            prompts = {i: self.cell(i).locator(".jp-InputPrompt").inner_text() for i in ran}
            raise AssertionError(f"cells {ran} not done after {timeout_s} s; prompts {prompts}") from None
        if check_errors:
            self.assert_no_error_outputs()

    def assert_no_error_outputs(self) -> None:
        problems = []
        for i in range(self.cell_count()):
            for out in self.outputs_json(i):
                if out.get("output_type") == "error":
                    tb = "\n".join(out.get("traceback", []))
                    problems.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}\n{_strip_ansi(tb)}")
                elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                    problems.append(f"cell {i} stderr: {_strip_ansi(''.join(out.get('text', '')))}")
        assert not problems, "notebook cells reported errors:\n" + "\n".join(problems)

    # -- waiting on what the user sees --------------------------------------------------

    def wait_for(self, index: int, selector: str, timeout_s: float = 30) -> Locator:
        """Wait for ``selector`` to be visible in the output of cell ``index``; returns it."""
        loc = self.output(index).locator(selector).first
        loc.wait_for(state="visible", timeout=timeout_s * 1000)
        return loc

    def wait_text(self, locator: Locator, pattern: str | re.Pattern, timeout_s: float = 30) -> str:
        """Wait until the locator's text matches ``pattern`` (regex or exact string); returns the text."""
        regex = pattern if isinstance(pattern, re.Pattern) else re.compile(f"^{re.escape(pattern)}$")
        deadline = time.monotonic() + timeout_s
        text = None
        while time.monotonic() < deadline:
            text = locator.text_content(timeout=timeout_s * 1000)
            if text is not None and regex.search(text.strip()):
                return text.strip()
            time.sleep(0.05)
        raise AssertionError(f"text {text!r} never matched {regex.pattern!r} in {timeout_s} s")

    def wait_attr(self, locator: Locator, name: str, pattern: str | re.Pattern, timeout_s: float = 30) -> str:
        regex = pattern if isinstance(pattern, re.Pattern) else re.compile(f"^{re.escape(pattern)}$")
        deadline = time.monotonic() + timeout_s
        value = None
        while time.monotonic() < deadline:
            value = locator.get_attribute(name, timeout=timeout_s * 1000)
            if value is not None and regex.search(value):
                return value
            time.sleep(0.05)
        raise AssertionError(f"attribute {name}={value!r} never matched {regex.pattern!r} in {timeout_s} s")

    # -- theme and screenshots ----------------------------------------------------------

    def theme(self) -> str:
        return self.page.evaluate("() => document.body.dataset.jpThemeName || ''")

    def set_theme(self, theme: str, timeout_s: float = 20) -> None:
        self.page.evaluate("(theme) => window.jupyterapp.commands.execute('apputils:change-theme', {theme})", theme)
        self.page.wait_for_function(
            "(theme) => document.body.dataset.jpThemeName === theme", arg=theme, timeout=timeout_s * 1000
        )
        # The theme's CSS is loaded after the attribute flips; give it a frame to apply.
        self.page.wait_for_function("() => new Promise(r => requestAnimationFrame(() => r(true)))")

    def screenshot(self, locator: Locator, name: str, docs: bool = False) -> Path:
        """Save ``locator`` as artifacts/screenshots/<name>.png.

        README pictures (``docs``) are copied to docs/img/ only when HOPS_WIDGETS_UPDATE_DOCS=1, so a
        test run leaves the working tree alone; `make screenshots` refreshes them.
        """
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        locator.scroll_into_view_if_needed()
        locator.screenshot(path=str(path), animations="disabled")
        if docs and os.environ.get("HOPS_WIDGETS_UPDATE_DOCS") == "1":
            DOCS_IMG.mkdir(parents=True, exist_ok=True)
            (DOCS_IMG / f"{name}.png").write_bytes(path.read_bytes())
        return path


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def dumps(obj) -> str:
    return json.dumps(obj, indent=1, default=str)
