"""SDK-shaped fakes: the attribute names of the hopsworks SDK, none of its code."""

from __future__ import annotations

import threading
from types import SimpleNamespace


def sdk_state(status="Running", ctype="READY", cstatus=True, reason="ok", available=1, transformer_available=None):
    condition = None if ctype is None else SimpleNamespace(type=ctype, status=cstatus, reason=reason)
    return SimpleNamespace(
        status=status,
        condition=condition,
        available_predictor_instances=available,
        available_transformer_instances=transformer_available,
    )


class FakeDeployment:
    """Looks like ``hsml.deployment.Deployment`` to duck typing; scripted by tests."""

    def __init__(self, name="mydeployment", *, ident=1, requested=1, min_instances=1, transformer=None):
        self.name = name
        self.id = ident
        self.model_name = "mymodel"
        self.model_version = 3
        self.project_name = "demo"
        self.resources = SimpleNamespace(_num_instances=requested)
        self.scaling_configuration = SimpleNamespace(min_instances=min_instances)
        self.transformer = (
            None
            if transformer is None
            else SimpleNamespace(
                resources=SimpleNamespace(_num_instances=transformer),
                scaling_configuration=SimpleNamespace(min_instances=1),
            )
        )
        self.next = sdk_state()
        self.calls = 0
        self.actions: list[str] = []
        self.lock = threading.Lock()

    def get_state(self):
        with self.lock:
            self.calls += 1
            nxt = self.next
        if isinstance(nxt, BaseException):
            raise nxt
        return nxt

    def start(self, await_running=600):
        self.actions.append(f"start:{await_running}")
        self.next = sdk_state("Starting", "SCHEDULED", None, "waiting", 0)

    def stop(self, await_stopped=600):
        self.actions.append(f"stop:{await_stopped}")
        self.next = sdk_state("Stopping", "SCHEDULED", None, "leaving", 1)


class ManualEvent:
    """An Event stand-in whose wait() returns at once and records the timeout."""

    def __init__(self):
        self.waits: list[float | None] = []
        self._set = False

    def set(self):
        self._set = True

    def clear(self):
        self._set = False

    def is_set(self):
        return self._set

    def wait(self, timeout=None):
        self.waits.append(timeout)
        return self._set


class FakeClock:
    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds
