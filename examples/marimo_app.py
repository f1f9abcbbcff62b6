"""hops-widgets in marimo: a live detail widget and the deployments overview.

    marimo run examples/marimo_app.py          # or: marimo edit examples/marimo_app.py

It uses the sandbox of `hops-widgets sandbox` / `hops-widgets dashboard` when its HOPS_WIDGETS_SANDBOX_*
variables are set, else starts one in this process. Needs marimo >= 0.23.14 (older releases drop the
widgets' updates, which come from a background thread).
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import threading
    import time

    import marimo as mo

    import hops_widgets
    from hops_widgets import poller, sandbox

    sb = sandbox.connect_or_start(speed=5, quiet=True)
    ms = sb.login().get_model_serving()
    made = []  # every widget this app made, to show that the replaced ones are closed

    def start_when_seen(deployment, widget, timeout_s=60.0):
        deadline = time.monotonic() + timeout_s
        while not widget.visibility.any and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)
        deployment.start(await_running=0)

    return hops_widgets, made, mo, ms, poller, start_when_seen, threading


@app.cell
def _(mo):
    again = mo.ui.button(label="New widget", value=0, on_click=lambda n: n + 1, kind="neutral")
    mo.hstack([mo.md("## churnmodel"), again], justify="start")
    return (again,)


@app.cell
def _(again, hops_widgets, made, mo, ms, start_when_seen, threading):
    _run = again.value  # a click runs this cell again: the old widget closes with it
    deployment = ms.get_deployment("churnmodel")
    widget = hops_widgets.show(deployment, display=False)
    made.append(widget)
    if deployment.get_state().status in ("CREATED", "STOPPED"):
        # Start it once its widget is on screen, so you see it walk Created → Starting → Running
        # by itself: the widget follows the start without this cell doing anything more.
        threading.Thread(target=start_when_seen, args=(deployment, widget), daemon=True).start()
    detail = mo.ui.anywidget(widget)
    detail  # noqa: B018 - the cell's output
    return (widget,)


@app.cell
def _(hops_widgets, made, mo, ms):
    overview_widget = hops_widgets.show(ms, display=False)
    made.append(overview_widget)
    overview = mo.ui.anywidget(overview_widget)
    mo.vstack([mo.md("## All deployments"), overview])
    return


@app.cell
def _(made, mo, poller, threading, widget):
    # Runs after the widget cell (it reads `widget`): which pollers run, and for how many widgets.
    _ = widget
    _threads = sorted(t.name for t in threading.enumerate() if t.name.startswith("hops-widgets-poller["))
    _pollers = sorted(f"{p.source.label}={p.subscribers}" for p in poller.active_pollers())
    _closed = sum(1 for w in made if w._closed)
    mo.md(f"`threads: {', '.join(_threads)}; pollers: {', '.join(_pollers)}; closed widgets: {_closed}`")
    return


if __name__ == "__main__":
    app.run()
