"""The built documentation site in Chromium: the guides show the widget's static picture.

The guides are stored executed; where no widget frontend runs (this site, GitHub, nbconvert) each
widget's output is its HTML snapshot (``.hops-snapshot``: the badge, the message, the diagrams).
mkdocs-jupyter must carry those outputs into the page as they are, unexecuted.

The site is the one `make docs` built into site/ (.ci/run builds it before `make test`). Missing, it
skips here and fails in CI (HOPS_WIDGETS_CI=1).
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading
from pathlib import Path

import pytest

from tests.conftest import require

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "site"
GUIDE = "guides/inspect_deployment_state/"
STATUSES = {"Creating", "Created", "Starting", "Running", "Idle", "Updating", "Stopping", "Stopped", "Failed"}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def site_url():
    require((SITE / GUIDE / "index.html").exists(), f"no built site at {SITE} (run `make docs` first)")
    handler = functools.partial(_Quiet, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="docs-site", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(5)


def _stored_badges() -> list[str]:
    """The status badges in the widget snapshots stored in the guide notebook, in order."""
    notebook = json.loads((ROOT / "notebooks" / "inspect_deployment_state.ipynb").read_text())
    badges = []
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            html = "".join(output.get("data", {}).get("text/html", []))
            badges += re.findall(r"<span class=.hops-badge.[^>]*><bdi>([^<]+)</bdi>", html)
    return badges


def _offline(page) -> list[str]:
    """Refuse every request that leaves the local site (the site must work offline); return them."""
    outside: list[str] = []

    def route(r):
        outside.append(r.request.url)
        r.abort()

    page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/]).*"), route)
    return outside


def test_the_guide_page_shows_the_widgets_static_picture(page, site_url):
    outside = _offline(page)
    page.goto(site_url + GUIDE)
    snapshots = page.locator(".hops-snapshot")
    snapshots.first.wait_for(state="visible")
    stored = _stored_badges()
    assert stored, "the stored guide has no widget snapshot"
    badges = page.locator(".hops-badge")
    # every stored picture is on the page, in order, as text a reader sees
    assert [b.strip() for b in badges.all_inner_texts()] == stored
    assert set(stored) <= STATUSES, stored
    badge = snapshots.first.locator(".hops-badge").first
    assert badge.is_visible()
    # drawn, not raw markup: the badge has a box and the snapshot's CSS applied (a pill with a border)
    box = badge.bounding_box()
    assert box and box["width"] > 20 and box["height"] > 10
    assert page.evaluate("e => getComputedStyle(e).borderTopStyle", badge.element_handle()) == "solid"
    # the diagrams' static picture, stored with the guide's diagram cell
    assert page.locator(".hops-snapshot svg.hops-dia").count() >= 1
    # the notebook's code is there too, and the title is the site's
    assert "hops_widgets" in page.locator(".jp-CodeCell .jp-InputArea").first.inner_text()
    assert "hops-widgets" in page.title()
    assert not outside, f"the page asked for resources outside the site: {outside[:5]}"


def test_the_front_page_shows_its_picture_and_the_version(page, site_url):
    outside = _offline(page)
    page.goto(site_url)
    picture = page.locator('img[src$="widget-running.png"]').first
    picture.wait_for(state="visible")
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", picture.element_handle())
    version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    assert f"hops-widgets {version}" in page.locator("footer").inner_text()
    assert not outside, f"the page asked for resources outside the site: {outside[:5]}"
