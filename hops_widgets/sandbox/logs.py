"""Server logs of the sandbox's deployments: per instance, written by the state machine.

Every deployment has a :class:`PodLogs`: the instances (pods) it ran, each
with the sandbox second it appeared and the one it went away, and the lines
they printed, each stamped with the sandbox second it was printed. The state
machine writes into it when something happens (a start is asked for, a start
fails, a request is served, the deployment stops or scales down); a start
writes its whole course at once, the lines stamped in the future, and a
failure or a stop cuts off what had not happened yet. A read returns only
what has been printed by ``now``, so the logs move with the same clock as
the state.

Two ways to read, as the backend has:

* ``kubernetes``: the live instances only (a stopped deployment has none),
  one entry per instance with its last ``tail`` lines as one text;
* ``opensearch``: every line ever printed, one document per line with its
  time and a document id, ``since``/``until`` honoured, the last ``tail``.

Lines read like the model server's own output: the storage initializer
copying the model, the container starting, the predictor script loading the
model, uvicorn (with its colour codes) serving requests, and shutting down.
A start that fails at STARTED leaves a Python traceback of the predictor
script; one that fails at SCHEDULED never had an instance, so no lines.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

__all__ = ["COMPONENTS", "SOURCES", "Pod", "PodLogs"]

COMPONENTS = ("predictor", "transformer")
SOURCES = ("kubernetes", "opensearch")
MAX_LINES = 20_000  # per deployment; the oldest go first
MAX_APPEND_CHARS = 2 << 20  # one append_log call
CRASH_RUNS_WRITTEN = 400  # runs of a crash loop written ahead

_GREEN, _RESET = "\x1b[32m", "\x1b[0m"


@dataclass
class Pod:
    name: str
    component: str
    born: float  # sandbox second it was placed on a node
    ended: float | None = None  # sandbox second it went away (None: still there)
    crashed: bool = False
    served: int = 0
    up_at: float | None = None  # sandbox second its server came up (None: it never did)
    uid: str = ""  # the pod's uid, as Kubernetes gives one
    crash_from: float | None = None  # a crash loop began at this sandbox second
    crash_every: float = 0.0  # ... and the container restarts this often

    def alive(self, now: float) -> bool:
        return self.born <= now and (self.ended is None or self.ended > now)

    def restarts(self, now: float) -> int:
        """How often its container has restarted by ``now`` (a crash loop's restarts so far)."""
        if self.crash_from is None or now < self.crash_from:
            return 0
        end = now if self.ended is None else min(now, self.ended)
        return max(0, math.floor((end - self.crash_from) / self.crash_every))

    def run_start(self, now: float) -> float:
        """When the container that runs at ``now`` started (its log begins there)."""
        count = self.restarts(now)
        return self.born if count == 0 else self.crash_from + count * self.crash_every


@dataclass
class Line:
    seq: int
    at: float  # sandbox seconds
    wall: float  # epoch seconds, for timestamps
    pod: Pod
    text: str

    @property
    def us(self) -> int:
        """Epoch microseconds: what a timestamp shows, and what since/until compare."""
        return round(self.wall * 1_000_000)


def _order(line: Line) -> tuple[float, float]:
    return (line.at, line.seq)


def _digest(*parts: Any, length: int, alphabet: str = "bcdfghjklmnpqrstvwxz2456789") -> str:
    raw = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in raw[:length])


def iso(wall: float) -> str:
    us = round(wall * 1_000_000)
    moment = datetime.fromtimestamp(us // 1_000_000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{us % 1_000_000:06d}Z"


def _stamp(wall: float) -> str:
    moment = datetime.fromtimestamp(wall, tz=timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S,") + f"{moment.microsecond // 1000:03d}"


@dataclass
class Context:
    """What the generated text talks about."""

    deployment: str
    project: str
    namespace: str
    model: str
    version: int | None
    model_server: str
    transformer_script: str
    reason: str = ""


class PodLogs:
    """The instances and lines of one deployment. Not thread-safe: the World's lock covers it."""

    def __init__(self, ident: int, wall_of: Callable[[float], float], salt: str = "") -> None:
        self.ident = ident
        self._wall_of = wall_of
        self._salt = salt
        self.pods: list[Pod] = []
        self.lines: list[Line] = []
        self._seq = itertools.count(1)
        self._runs = itertools.count(1)
        self._turn = itertools.count()

    # ------------------------------------------------------------- writing
    def _pod(self, ctx: Context, component: str, revision: int, run: int, index: int, born: float) -> Pod:
        replica_set = _digest(self._salt, self.ident, component, revision, run, length=10)
        suffix = _digest(self._salt, self.ident, component, revision, run, index, length=5)
        pod = Pod(f"{ctx.deployment}-{component}-{revision:05d}-deployment-{replica_set}-{suffix}", component, born)
        raw = hashlib.sha256(f"{self._salt}|{pod.name}|{run}|{index}".encode()).hexdigest()
        pod.uid = f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:32]}"
        self.pods.append(pod)
        return pod

    def add(self, pod: Pod, at: float, text: str, *, stamped: bool = True) -> None:
        wall = self._wall_of(at)
        for part in text.split("\n"):
            line = Line(next(self._seq), at, wall, pod, f"{_stamp(wall)} {part}" if stamped else part)
            bisect.insort(self.lines, line, key=_order)  # kept in the order printed, whenever written
        if len(self.lines) > MAX_LINES:
            del self.lines[: len(self.lines) - MAX_LINES]

    def _spread(self, pod: Pod, start: float, end: float, texts: Iterable[str], *, stamped: bool = True) -> None:
        texts = list(texts)
        width = max(end - start, 0.0)
        for i, text in enumerate(texts):
            self.add(pod, start + width * (i + 1) / (len(texts) + 1), text, stamped=stamped)

    def ordered(self, now: float) -> list[Line]:
        """The lines printed by ``now``, in the order they were printed."""
        return self.lines[: bisect.bisect_right(self.lines, (now, float("inf")), key=_order)]

    def cut(self, at: float) -> None:
        """Forget what was written for after ``at`` (a start that fails or is stopped half-way)."""
        self.lines = [line for line in self.lines if line.at <= at]
        self.pods = [pod for pod in self.pods if pod.born < at or any(line.pod is pod for line in self.lines)]
        for pod in self.pods:
            if pod.ended is not None and pod.ended > at:
                pod.ended = None

    def alive(self, now: float, component: str | None = None) -> list[Pod]:
        return [p for p in self.pods if p.alive(now) and (component is None or p.component == component)]

    def boot(
        self,
        ctx: Context,
        t0: float,
        half: float,
        *,
        predictors: int,
        transformers: int,
        revision: int,
        windows: tuple[float, ...] | None = None,
    ) -> list[Pod]:
        """Write a whole start: instances placed, images pulled, server up, model loaded, ready.

        ``windows`` are the start times of the six stages after scheduling (placed, pulling,
        pulled, booting, up, routing, done); by default the start walk's half steps.
        """
        w = windows or tuple(t0 + half * k for k in range(1, 8))
        run = next(self._runs)
        pods = []
        for component, count in (("predictor", predictors), ("transformer", transformers)):
            for index in range(count):
                pod = self._pod(ctx, component, revision, run, index, w[0])
                pod.up_at = w[4]
                pods.append(pod)
                self._spread(pod, w[0], w[1], _placed(ctx, pod))
                self._spread(pod, w[1], w[2], _pulling(ctx, pod))
                self._spread(pod, w[2], w[3], _pulled(ctx, pod), stamped=False)
                self._spread(pod, w[3], w[4], _booting(ctx, pod))
                self._spread(pod, w[4], w[5], _up(ctx, pod))
                self._spread(pod, w[5], w[6], _probes(ctx, pod), stamped=False)
        return pods

    def fail(self, ctx: Context, step: str, at: float, *, alive_only: bool = True) -> None:
        """The lines a start failing at ``step`` leaves, written at ``at`` (after :meth:`cut`)."""
        if step not in ("INITIALIZED", "STARTED"):
            return  # SCHEDULED: no instance ever ran; READY: the route, not the server, failed
        failing = "transformer" if "transformer" in ctx.reason.lower() else "predictor"
        pods = [p for p in self.alive(at, failing) if p.born <= at] if alive_only else []
        if not pods:
            run = next(self._runs)
            pod = self._pod(ctx, failing, 1, run, 0, at)
            pods = [pod]
            before = _pulling(ctx, pod) if step == "INITIALIZED" else [*_pulling(ctx, pod), *_booting(ctx, pod)]
            self._spread(pod, at - 0.5, at, before)
        for pod in pods:
            if step == "INITIALIZED":
                self.add(pod, at, _pull_error(ctx, pod))
            else:
                self.add(pod, at, _traceback(ctx, pod), stamped=False)
            pod.crashed = True

    def shutdown(self, ctx: Context, pods: Iterable[Pod], start: float, end: float, *, why: str = "stop") -> None:
        for pod in pods:
            if pod.ended is not None and pod.ended <= start:
                continue
            if not pod.crashed and pod.up_at is not None and pod.up_at <= start:
                self._spread(pod, start, end, _shutdown(ctx, pod, why))
            pod.ended = end

    def serve(self, ctx: Context, at: float, pods: list[Pod]) -> None:
        """One inference request: the transformer, then a predictor instance, in turns."""
        turn = next(self._turn)
        request = _digest(self._salt, self.ident, turn, length=8, alphabet="0123456789abcdef")
        for component in ("transformer", "predictor"):
            group = [p for p in pods if p.component == component and not p.crashed]
            if not group:
                continue
            pod = group[turn % len(group)]
            pod.served += 1
            self.add(pod, at, _access(ctx, pod, request, turn), stamped=component == "predictor")

    def append(self, pod: Pod, at: float, text: str) -> None:
        self.add(pod, at, text, stamped=False)

    def crash_loop(self, ctx: Context, pod: Pod, at: float, every: float) -> None:
        """From ``at`` on, ``pod``'s container crashes every ``every`` seconds and is restarted.

        Each run boots and dies with a traceback; the runs of the next hour (at most
        :data:`CRASH_RUNS_WRITTEN`) are written ahead, as a start's lines are, and cut
        off by a stop or an update that ends the pod."""
        if pod.crash_from is not None:  # a loop already running: its future runs go, the new pace starts now
            self.lines = [line for line in self.lines if line.pod is not pod or line.at <= at]
        pod.crash_from, pod.crash_every = at, every
        runs = min(CRASH_RUNS_WRITTEN, max(1, math.ceil(3600 / every)))
        for k in range(runs):
            begin = at + k * every
            if k:  # the restarted container boots again
                self._spread(pod, begin, begin + every * 0.4, _booting(ctx, pod))
            self.add(pod, begin + every * 0.9, _traceback(ctx, pod), stamped=False)

    def archives(self, now: float) -> list[dict]:
        """What each container run that ended by ``now`` left in the Logs dataset, oldest first.

        A run ends when its pod goes away (a stop, an update, a scale-down) or its container
        restarts; the archive is named ``<UTC yyyyMMdd-HHmmss>_<pod>_<component>.log``."""
        out = []
        printed = self.ordered(now)
        for pod in self.pods:
            ends: list[float] = []
            if pod.crash_from is not None:
                ends += [pod.crash_from + (k + 1) * pod.crash_every for k in range(pod.restarts(now))]
            if pod.ended is not None and pod.ended <= now:
                ends.append(pod.ended)
            begin = pod.born
            for end in ends:
                lines = [line for line in printed if line.pod is pod and begin <= line.at < end]
                begin = end
                if not lines:
                    continue
                wall = self._wall_of(end)
                stamp = datetime.fromtimestamp(wall, tz=timezone.utc).strftime("%Y%m%d-%H%M%S")
                out.append(
                    {
                        "name": f"{stamp}_{pod.name}_{pod.component}.log",
                        "content": "".join(line.text + "\n" for line in lines),
                        "wall": wall,
                    }
                )
        out.sort(key=lambda a: (a["wall"], a["name"]))
        return out

    # ------------------------------------------------------------- reading
    def kubernetes(self, now: float, component: str, tail: int, pod: str | None, timestamps: bool) -> list[dict]:
        out = []
        for p in self.alive(now, component):
            if pod is not None and p.name != pod:
                continue
            since_run = p.run_start(now)  # a restarted container's log starts afresh
            lines = [line for line in self.ordered(now) if line.pod is p and line.at >= since_run]
            lines = lines[-tail:] if tail > 0 else []
            texts = [f"{iso(line.wall)} {line.text}" if timestamps else line.text for line in lines]
            out.append(
                {
                    "instanceName": p.name,
                    "content": "".join(t + "\n" for t in texts),
                    "podUid": p.uid,
                    "restartCount": p.restarts(now),
                    "truncated": False,
                    "readFailed": False,
                }
            )
        return out

    def opensearch(
        self, now: float, component: str, tail: int, pod: str | None, since: float | None, until: float | None
    ) -> list[dict]:
        low = None if since is None else round(since * 1_000_000)
        high = None if until is None else round(until * 1_000_000)
        picked = [
            line
            for line in self.ordered(now)
            if line.pod.component == component
            and (pod is None or line.pod.name == pod)
            and (low is None or line.us >= low)
            and (high is None or line.us <= high)
        ]
        picked = picked[-tail:] if tail > 0 else []
        return [
            {
                "instanceName": line.pod.name,
                "content": line.text,
                "timestamp": iso(line.wall),
                "docId": self.doc_id(line),
            }
            for line in picked
        ]

    def doc_id(self, line: Line) -> str:
        raw = hashlib.sha1(f"{self._salt}|{self.ident}|{line.seq}".encode()).digest()
        return base64.urlsafe_b64encode(raw).decode()[:20]

    def dump(self, now: float) -> list[dict]:
        """Every line printed by ``now``, for scenario checks."""
        return [
            {
                "instance": line.pod.name,
                "component": line.pod.component,
                "time": iso(line.wall),
                "at": line.at,
                "text": line.text,
            }
            for line in self.ordered(now)
        ]


# ------------------------------------------------------------------ texts
def _kserve(level: str, where: str, message: str) -> str:
    return f"1 kserve {level} [{where}] {message}"


def _is_transformer(pod: Pod) -> bool:
    return pod.component == "transformer"


def _script(ctx: Context, pod: Pod) -> str:
    if _is_transformer(pod):
        return ctx.transformer_script
    return f"/Projects/{ctx.project}/Models/{ctx.model}/{ctx.version}/predictor.py"


def _placed(ctx: Context, pod: Pod) -> list[str]:
    node = f"worker-{int(_digest(pod.name, length=2, alphabet='0123456789')) % 6 + 1}"
    return [f"storage-initializer scheduled on {node}.{ctx.namespace}.svc (pod {pod.name})"]


def _image(ctx: Context) -> str:
    kind = "vllm-inference" if ctx.model_server.upper() == "VLLM" else "python-inference"
    return f"docker.hops.works/hopsworks/{kind}:4.2.0"


def _pulling(ctx: Context, pod: Pod) -> list[str]:
    if _is_transformer(pod):
        return [
            f"storage-initializer INFO Pulling image {_image(ctx)}",
            f"storage-initializer INFO Mounting volume transformer-script from {ctx.transformer_script}",
            "storage-initializer INFO Mounting volume hopsfs-certs (secret, read-only)",
        ]
    source = f"hopsfs://namenode.service.consul:8020/Projects/{ctx.project}/Models/{ctx.model}/{ctx.version}"
    return [
        f"storage-initializer INFO Pulling image {_image(ctx)}",
        "storage-initializer INFO Mounting volume model-artifacts at /mnt/models",
        "storage-initializer INFO Mounting volume hopsfs-certs (secret, read-only)",
        f"storage-initializer INFO Copying model files from {source} to /mnt/models",
    ]


def _pulled(ctx: Context, pod: Pod) -> list[str]:
    size = 3 + int(_digest(pod.name, length=2, alphabet="0123456789"))
    lines = [f"storage-initializer: copied {'1 file' if _is_transformer(pod) else f'3 files ({size}.4 MB)'}"]
    return [*lines, f"Successfully pulled image {_image(ctx)}", "Started container kserve-container"]


def _booting(ctx: Context, pod: Pod) -> list[str]:
    script = _script(ctx, pod)
    if _is_transformer(pod):
        return [
            _kserve("INFO", "model_server.py:main():63", f"Starting transformer for {ctx.deployment}"),
            _kserve("INFO", "model_server.py:load_script():41", f"Loading transformer script {script}"),
            _kserve("INFO", "transformer.py:__init__():12", "Connecting to the online feature store"),
        ]
    return [
        _kserve("INFO", "model_server.py:main():63", f"Starting model server for {ctx.deployment}"),
        _kserve("INFO", "model_server.py:load_script():41", f"Loading predictor script {script}"),
        _kserve(
            "INFO", "predictor.py:__init__():9", f"Loading model {ctx.model} version {ctx.version} from /mnt/models"
        ),
    ]


def _up(ctx: Context, pod: Pod) -> list[str]:
    what = "transformer" if _is_transformer(pod) else f"model {ctx.model}"
    return [
        _kserve("INFO", "model_server.py:register_model():361", f"Registering {what} as {ctx.deployment}"),
        _kserve("INFO", "model_server.py:start():340", "Starting uvicorn with 1 workers"),
        f"{_GREEN}INFO{_RESET}:     Started server process [1]",
        f"{_GREEN}INFO{_RESET}:     Waiting for application startup.",
        f"{_GREEN}INFO{_RESET}:     Application startup complete.",
        f"{_GREEN}INFO{_RESET}:     Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)",
    ]


def _probes(ctx: Context, pod: Pod) -> list[str]:
    return [f'{_GREEN}INFO{_RESET}:     10.244.0.1:41822 - "GET /v1/models/{ctx.deployment} HTTP/1.1" 200 OK']


def _access(ctx: Context, pod: Pod, request: str, turn: int) -> str:
    port = 40000 + turn % 20000
    if _is_transformer(pod):
        return (
            f'{_GREEN}INFO{_RESET}:     10.244.1.7:{port} - "POST /v1/models/{ctx.deployment}:predict HTTP/1.1" 200 OK'
        )
    ms = 1.1 + (turn % 7) * 0.37
    return _kserve(
        "INFO",
        "model_server.py:predict():214",
        f"requestId: {request}, preprocess_ms: 0.02, predict_ms: {ms:.2f}, postprocess_ms: 0.01 (POST /v1/models/"
        f"{ctx.deployment}:predict 200)",
    )


def _pull_error(ctx: Context, pod: Pod) -> str:
    return (
        f"storage-initializer ERROR Failed to pull image {_image(ctx)}: rpc error: code = NotFound desc = manifest "
        f"for {_image(ctx)} not found; back-off pulling image (reason: {ctx.reason})"
    )


def storage_retry_line(restart: int) -> str:
    """What the storage initializer prints when copying the model fails and the pod restarts."""
    return (
        "storage-initializer ERROR Copying the model files failed: the connection to the file system was reset; "
        f"the pod restarts (restart {restart})"
    )


def _traceback(ctx: Context, pod: Pod) -> str:
    script = _script(ctx, pod)
    module = "featurestore_client" if _is_transformer(pod) else "xgboost"
    return "\n".join(
        [
            "Traceback (most recent call last):",
            '  File "/srv/hops/kserve/model_server.py", line 88, in <module>',
            "    server = build_server(args)",
            '  File "/srv/hops/kserve/model_server.py", line 52, in build_server',
            "    user_module = load_script(args.script_path)",
            '  File "/srv/hops/kserve/model_server.py", line 44, in load_script',
            "    spec.loader.exec_module(module)",
            '  File "<frozen importlib._bootstrap_external>", line 940, in exec_module',
            '  File "<frozen importlib._bootstrap>", line 241, in _call_with_frames_removed',
            f'  File "{script}", line 3, in <module>',
            f"    import {module}",
            f"ModuleNotFoundError: No module named '{module}'",
        ]
    )


def _shutdown(ctx: Context, pod: Pod, why: str) -> list[str]:
    first = (
        _kserve("INFO", "model_server.py:stop():392", "Scaling to zero: no requests for the retention period")
        if why == "idle"
        else _kserve("INFO", "model_server.py:stop():392", "Received SIGTERM, stopping the model server")
    )
    return [
        first,
        f"{_GREEN}INFO{_RESET}:     Shutting down",
        f"{_GREEN}INFO{_RESET}:     Waiting for application shutdown.",
        f"{_GREEN}INFO{_RESET}:     Application shutdown complete.",
        f"{_GREEN}INFO{_RESET}:     Finished server process [1]",
        _kserve("INFO", "model_server.py:stop():401", f"Stopped after serving {pod.served} requests"),
    ]
