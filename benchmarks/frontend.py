"""Frontend: bytes shipped, and the time Chromium takes to apply a state change to the view.

The page imports the real ``js/widget.js`` as an ES module and renders it on the
fake model of the browser tests (``tests/js/fake-model.js``: ``get``/``set``/
``on``/``off``/``send`` and ``apply``); no kernel, no JupyterLab. The state
changes it replays are real: the comm update messages a :class:`DeploymentWidget`
sent while a sandbox deployment (ManualClock) went through start, stop and
failure cycles, recorded by a recording comm. Each one is applied the way
Backbone applies a kernel update: assign the values, then fire
``change:<name>`` for each changed trait and one ``change``.

Baseline: the same view thrown away and rendered again from scratch for every
update (what a view without per-trait handlers would do).
"""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from ._common import ROOT, Section, log, summary

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
UPDATES = 100
FAKE_MODEL = ROOT / "tests" / "js" / "fake-model.js"  # the one fake model, shared with tests/e2e/test_sections.py

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>hops-widgets frontend benchmark</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="js/widget.css">
<style>body{margin:16px;font-family:sans-serif} .cell{width:720px;margin-bottom:16px}</style>
</head><body>
<div class="cell" id="targeted"></div>
<div class="cell" id="rerender"></div>
<script type="module">
import view from "./js/widget.js";
import { FakeModel, frame, layout } from "./tests/js/fake-model.js";

async function main() {
  const data = await (await fetch("data.json")).json();
  const elA = document.getElementById("targeted");
  const elB = document.getElementById("rerender");
  const modelA = new FakeModel(data.initial);
  const t0 = performance.now();
  view.render({ model: modelA, el: elA });
  layout(elA);
  const firstRender = performance.now() - t0;
  let modelB = new FakeModel(data.initial);
  let cleanupB = view.render({ model: modelB, el: elB });
  const out = { targeted: { handler: [], layout: [], frame: [] }, rerender: { handler: [], layout: [], frame: [] },
                changedTraits: [], firstRenderMs: firstRender, crossOriginIsolated: self.crossOriginIsolated };
  for (let pass = 0; pass < 2; pass++) {  // pass 0 warms the JIT up; pass 1 is measured
    for (const delta of data.deltas) {
      let a = performance.now();
      const changed = modelA.apply(delta).length;
      let b = performance.now();
      layout(elA);
      let c = performance.now();
      await frame();
      let d = performance.now();
      if (pass) {
        out.targeted.handler.push(b - a); out.targeted.layout.push(c - b); out.targeted.frame.push(d - a);
        out.changedTraits.push(changed);
      }
      a = performance.now();
      const state = { ...modelB.state, ...structuredClone(delta) };
      cleanupB();
      elB.replaceChildren();
      modelB = new FakeModel(state);
      cleanupB = view.render({ model: modelB, el: elB });
      b = performance.now();
      layout(elB);
      c = performance.now();
      await frame();
      d = performance.now();
      if (pass) { out.rerender.handler.push(b - a); out.rerender.layout.push(c - b); out.rerender.frame.push(d - a); }
    }
  }
  out.nodes = elA.querySelectorAll("*").length;
  out.sent = modelA.sent.length;
  window.__result = out;
}
main().catch((e) => { window.__result = { error: String(e && e.stack || e) }; });
</script></body></html>
"""


def shipped_bytes() -> dict[str, Any]:
    files = {}
    for path in sorted((ROOT / "js").glob("*")):
        if path.suffix not in (".js", ".css"):
            continue
        raw = path.read_bytes()
        files[path.name] = {"raw": len(raw), "gzip": len(gzip.compress(raw, compresslevel=9, mtime=0))}
    totals = {}
    for ext in (".js", ".css"):
        chosen = [v for k, v in files.items() if k.endswith(ext)]
        totals[ext[1:]] = {"raw": sum(v["raw"] for v in chosen), "gzip": sum(v["gzip"] for v in chosen)}
    return {"files": files, "totals": totals}


def record_updates(count: int = UPDATES) -> dict[str, Any]:
    """The comm traffic of a real DeploymentWidget: its opening state and ``count`` update messages."""
    from hops_widgets import sandbox
    from hops_widgets.poller import DeploymentSource, Poller
    from hops_widgets.widget import DeploymentWidget

    clock = sandbox.ManualClock()
    sb = sandbox.start(seed=False, clock=clock)
    w = None
    try:
        sb.add_deployment("replay", status="Stopped", requested_instances=3, transformer=True, model_name="fraud")
        d = sb.login().get_model_serving().get_deployment("replay")
        p = Poller(DeploymentSource(d), autostart=False)
        comm_cls = None
        import comm as comm_mod

        probe = comm_mod.create_comm(target_name="probe")
        comm_cls = type(probe)
        previous, comm_cls.keep = getattr(comm_cls, "keep", False), True
        try:
            w = DeploymentWidget(d, poller=p)
            p.poll()
            cycle = 0
            while w.comm.updates < count + 1:
                if cycle % 3 == 2:
                    sb.fail("replay", step="INITIALIZED", reason="Failed to initialize: image pull back-off " * 3)
                sb.start_deployment("replay")
                for _ in range(16):
                    clock.advance(0.5)
                    p.poll()
                sb.stop_deployment("replay")
                for _ in range(6):
                    clock.advance(0.5)
                    p.poll()
                cycle += 1
        finally:
            comm_cls.keep = previous
        messages = w.comm.messages
    finally:
        if w is not None:
            w.close()
        sb.stop()
    opened = next(data for kind, data in messages if kind == "comm_open")
    updates = [
        data["state"]
        for kind, data in messages
        if kind == "comm_msg" and isinstance(data, dict) and data.get("method") == "update"
    ]

    def public(state: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in state.items() if not k.startswith("_")}

    initial = public(opened["state"])
    # the first update fills the widget from its first poll; the page starts from there
    initial.update(public(updates[0]))
    deltas = [public(u) for u in updates[1 : count + 1]]
    return {"initial": initial, "deltas": deltas}


class _Handler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        # cross-origin isolation gives performance.now() its fine (5 µs) resolution
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def in_chromium(data: dict[str, Any]) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    root = Path(tempfile.mkdtemp(prefix="hops-bench-page-"))
    server = None
    try:
        shutil.copytree(ROOT / "js", root / "js")
        (root / "tests" / "js").mkdir(parents=True)
        shutil.copy(FAKE_MODEL, root / "tests" / "js" / FAKE_MODEL.name)
        (root / "index.html").write_text(PAGE)
        (root / "data.json").write_text(json.dumps(data))
        handler = functools.partial(_Handler, directory=str(root))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, name="bench-http", daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
        errors: list[str] = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1000, "height": 1400})
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.goto(url)
                page.wait_for_function("window.__result !== undefined", timeout=180_000)
                result = page.evaluate("window.__result")
                result["chromium"] = browser.version
            finally:
                browser.close()
        if "error" in result:
            raise RuntimeError(f"the benchmark page failed: {result['error']}")
        if errors:
            raise RuntimeError("errors in the page: " + "; ".join(errors[:5]))
        return result
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        shutil.rmtree(root, ignore_errors=True)


def run(quick: bool = False) -> Section:
    sec = Section(
        "frontend",
        "Frontend: shipped bytes, time to apply a state change in Chromium",
        baseline="the same view re-rendered from scratch on every update",
    )
    sizes = shipped_bytes()
    sec.data["bytes"] = sizes
    t = sizes["totals"]
    sec.add("JS shipped (js/*.js), raw", t["js"]["raw"] / 1024, "KiB", compare=False)
    sec.add("JS shipped (js/*.js), gzip -9", t["js"]["gzip"] / 1024, "KiB", compare=False)
    sec.add("CSS shipped (js/*.css), raw", t["css"]["raw"] / 1024, "KiB", compare=False)
    sec.add("CSS shipped (js/*.css), gzip -9", t["css"]["gzip"] / 1024, "KiB", compare=False)
    sec.how = [
        "bytes: every js/*.js and js/*.css file as shipped in the wheel, raw and gzip level 9 ("
        + ", ".join(f"{k} {v['raw']} B / {v['gzip']} B" for k, v in sizes["files"].items())
        + ")",
    ]
    try:
        import playwright  # noqa: F401
    except ImportError:
        sec.skipped = "playwright is not installed: timing rows skipped (bytes above still measured)"
        return sec
    if not Path(CHROMIUM).exists():
        sec.skipped = f"{CHROMIUM} is missing (apt-get install chromium, or `make browser`): timing rows skipped"
        return sec
    log("frontend: recording the comm traffic of a real widget")
    data = record_updates(UPDATES)
    log(f"frontend: replaying {len(data['deltas'])} updates in Chromium")
    result = in_chromium(data)
    stats = {
        variant: {part: summary(result[variant][part]) for part in ("handler", "layout", "frame")}
        for variant in ("targeted", "rerender")
    }
    sec.data.update(
        {
            "updates": len(data["deltas"]),
            "chromium": result["chromium"],
            "cross_origin_isolated": result["crossOriginIsolated"],
            "first_render_ms": result["firstRenderMs"],
            "dom_nodes": result["nodes"],
            "changed_traits_per_update": summary(result["changedTraits"]),
            "ms": stats,
            "raw_ms": {v: result[v] for v in ("targeted", "rerender")},
        }
    )
    a, b = stats["targeted"], stats["rerender"]
    n = len(data["deltas"])
    sec.add(f"update → DOM updated (handlers), median of {n}", a["handler"]["median"], "ms", b["handler"]["median"])
    sec.add(f"update → DOM updated (handlers), p95 of {n}", a["handler"]["p95"], "ms", b["handler"]["p95"])
    sec.add("forced style + layout after an update, median", a["layout"]["median"], "ms", b["layout"]["median"])
    sec.add(
        "update → next frame (rAF + task), median",
        a["frame"]["median"],
        "ms",
        b["frame"]["median"],
        note="mostly waiting for the next vsync: the page's frame clock, not the widget's work",
    )
    sec.add(
        f"all {n} updates, handlers total",
        sum(result["targeted"]["handler"]),
        "ms",
        sum(result["rerender"]["handler"]),
    )
    sec.add("first render (build the DOM + layout)", result["firstRenderMs"], "ms", compare=False)
    sec.how += [
        f"Chromium {result['chromium']} headless (/usr/bin/chromium via Playwright), page served from a local "
        f"http.server with cross-origin isolation (performance.now() fine-grained: {result['crossOriginIsolated']})",
        "the real js/widget.js on a fake model (get/set/on/off/send); the updates replayed are the "
        f"{n} comm update messages a real DeploymentWidget sent through start/stop/failure cycles "
        f"(median {stats and summary(result['changedTraits'])['median']:g} traits each); one warm-up pass, "
        "then one measured pass; targeted and re-render variants interleaved update by update",
        "handlers = model.apply(delta) (assign + change events + the view's handlers, synchronous), timed with "
        "performance.now(); layout = a forced getBoundingClientRect/offsetHeight right after; "
        "frame = until a task after the next requestAnimationFrame",
    ]
    return sec
