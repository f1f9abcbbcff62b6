"""Many clients at once, and the latency of one round trip (Nagle's delay would show up here)."""

from __future__ import annotations

import socket
import threading
import time

from hops_widgets.errors import HopsError
from hops_widgets.sandbox import Timing


def test_round_trips_are_quick(serving):
    d = serving.get_deployment("frauddetector")
    d.get_state()
    started = time.perf_counter()
    for _ in range(20):
        d.get_state()
    per_call = (time.perf_counter() - started) / 20
    assert per_call < 0.025, f"{per_call * 1000:.1f} ms per GET"


def test_accepted_sockets_have_nagle_off(tls_sb, monkeypatch):
    # headers and body leave in two writes; with Nagle on, the second waits for a delayed ACK (~40 ms)
    from hops_widgets.sandbox import app

    seen = []
    original = app._Handler.setup

    def setup(self):
        original(self)
        seen.append(self.request.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    monkeypatch.setattr(app._Handler, "setup", setup)
    with tls_sb.login() as project:
        project.get_model_serving().list_states()
    assert seen and all(seen)


def test_parallel_clients_and_transitions(sb):
    sb.add_deployments(30, prefix="par", status="Stopped")
    problems: list[str] = []
    refused = []

    def act(action) -> None:
        try:
            action()
        except HopsError as exc:
            if exc.error_code != 240003:  # START while stopping, STOP while starting... refused, as by the backend
                raise
            refused.append(exc)

    def worker(index: int) -> None:
        try:
            with sb.login() as project:
                serving = project.get_model_serving()
                d = serving.get_deployment(f"par{index % 30 + 1:03d}")
                for step in range(15):
                    if step % 5 == 0:
                        act(lambda: d.start(await_running=0))
                    elif step % 5 == 3:
                        act(lambda: d.stop(await_stopped=0))
                    d.get_state()
                    if step % 4 == 0:
                        assert len(serving.list_states()) == 34
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            problems.append(f"{type(exc).__name__}: {exc}")

    def ticker() -> None:
        for _ in range(40):
            sb.advance(Timing().step_s / 3)
            time.sleep(0.002)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)] + [threading.Thread(target=ticker)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert problems == []
    logged = sb.requests()
    assert {e["status"] for e in logged} <= {200, 400}
    assert sum(e["status"] == 400 for e in logged) == len(refused)
    assert len(sb.requests(endpoint="serving_get")) == 8 * 15
    assert len(sb.requests(endpoint="serving_list")) == 8 * 4
