"""A local Hopsworks-compatible server for demos, notebooks and tests.

>>> from hops_widgets import sandbox
>>> with sandbox.start(speed=10) as sb:            # doctest: +SKIP
...     project = sb.login()
...     deployment = project.get_model_serving().get_deployment("frauddetector")
...     sb.http_error(503, retry_after=2, times=1)   # script a fault
...     sb.requests(path_contains="/serving")        # count what was asked

:func:`start` runs one in a background thread of this process;
:func:`connect_or_start` reuses one started elsewhere (``hops-widgets demo``
exports its address in the ``HOPS_WIDGETS_SANDBOX_*`` environment variables).
Both handles have the same methods (see :class:`Operations`), among
them :meth:`Operations.play` for scenario files: timed steps in chapters, such
as the built-in ``"lesson"`` (``start(scenario="lesson")`` plays it at once;
the format is described in :mod:`hops_widgets.sandbox.script`).

Two API keys, one per project role, as on a real cluster: ``sb.api_keys`` is
``{"data_owner": ..., "data_scientist": ...}``. ``sb.api_key`` is the Data
Owner's (everything allowed, and the scenario operations). The Data
Scientist may list and read deployments, read their logs and send
predictions; creating, updating, starting, stopping and deleting answer 403.
``sb.login(role="data_scientist")`` and ``sb.sdk_login_kwargs(role=...)`` log
in as either.
"""

from __future__ import annotations

import inspect
import os
import secrets
import shutil
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable
from typing import Any

try:
    from .app import API_PREFIX, DATA_OWNER, DATA_SCIENTIST, MAX_BODY_BYTES, ROLES, SandboxApp, serve
except ImportError as exc:  # werkzeug is an extra, not a requirement of the widget
    raise ImportError(
        f"The hops-widgets sandbox needs its extra dependencies ({exc.name} is missing): "
        "pip install 'hops-widgets[sandbox]'"
    ) from exc
from .admin import Admin
from .facade import Operations
from .faults import FAULT_KINDS, FaultBook
from .machine import Blueprint, LifecycleError, ManualClock, ScenarioError, Timing, World
from .requestlog import RequestLog
from .script import Script, builtin_names, load
from .seeds import seed as _seed_world

__all__ = [
    "API_PREFIX",
    "DATA_OWNER",
    "DATA_SCIENTIST",
    "ENV_CA",
    "ENV_DS_KEY",
    "ENV_KEY",
    "ENV_PROJECT",
    "ENV_URL",
    "FAULT_KINDS",
    "ROLES",
    "Blueprint",
    "LifecycleError",
    "ManualClock",
    "Operations",
    "RemoteSandbox",
    "Sandbox",
    "Scenario",
    "ScenarioError",
    "Script",
    "Timing",
    "builtin_names",
    "connect_or_start",
    "load",
    "start",
]

ENV_URL = "HOPS_WIDGETS_SANDBOX_URL"
ENV_KEY = "HOPS_WIDGETS_SANDBOX_KEY"
ENV_PROJECT = "HOPS_WIDGETS_SANDBOX_PROJECT"
ENV_CA = "HOPS_WIDGETS_SANDBOX_CA"
# the Data Scientist's key; optional for RemoteSandbox, which otherwise asks the sandbox (admin ``info``)
ENV_DS_KEY = "HOPS_WIDGETS_SANDBOX_DS_KEY"


Scenario = Operations  # the old name of the handles' methods (the scenario *files* are :mod:`.script`)


def _display_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


class _Handle(Operations):
    """What both handles share: addresses, login helpers, the environment to export."""

    url: str
    api_key: str  # the Data Owner's
    api_keys: dict[str, str]  # role -> key: "data_owner", "data_scientist"
    project: str
    project_id: int
    ca_path: str | None

    @property
    def speed(self) -> float:
        """The current speed factor."""
        return self.info()["speed"]

    @property
    def tls(self) -> bool:
        return self.url.startswith("https://")

    def key_for(self, role: str = DATA_OWNER) -> str:
        """The API key of ``role``: ``"data_owner"`` or ``"data_scientist"``."""
        if role not in ROLES:
            raise ScenarioError(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")
        key = self.api_keys.get(role)
        if not key:
            raise ScenarioError(f"This sandbox has no {role} key.")
        return key

    def login(self, *, role: str = DATA_OWNER, **kwargs: Any):
        """Log in with the built-in client as ``role`` (``"data_owner"`` by default, or
        ``"data_scientist"``); returns a :class:`hops_widgets.client.Project`."""
        from ..client import login

        kwargs.setdefault("verify", self.ca_path or True)
        return login(url=self.url, project=self.project, api_key=self.key_for(role), **kwargs)

    def sdk_login_kwargs(self, *, verify: bool = True, role: str = DATA_OWNER) -> dict[str, Any]:
        """Arguments for ``hopsworks.login(**...)`` as ``role`` (the SDK needs a TLS sandbox)."""
        if not self.tls:
            raise ScenarioError("The hopsworks SDK only speaks HTTPS: start the sandbox with tls=True.")
        host, _, port = self.url.split("://", 1)[1].rpartition(":")
        kwargs: dict[str, Any] = {
            "host": host.strip("[]"),
            "port": int(port),
            "project": self.project,
            "api_key_value": self.key_for(role),
            "engine": "python",
            "hostname_verification": bool(verify and self.ca_path),
        }
        if verify and self.ca_path:
            kwargs["trust_store_path"] = self.ca_path
        return kwargs

    def env(self) -> dict[str, str]:
        """The ``HOPS_WIDGETS_SANDBOX_*`` variables that let another process connect.

        ``..._KEY`` is the Data Owner's key (the scenario operations need it);
        ``..._DS_KEY`` the Data Scientist's."""
        values = {ENV_URL: self.url, ENV_KEY: self.api_key, ENV_PROJECT: self.project}
        if self.api_keys.get(DATA_SCIENTIST):
            values[ENV_DS_KEY] = self.api_keys[DATA_SCIENTIST]
        if self.ca_path:
            values[ENV_CA] = self.ca_path
        return values

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class Sandbox(_Handle):
    """A sandbox server running in this process. Use :func:`start` to make one."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
        speed: float = 1.0,
        api_key: str | None = None,
        project: str = "demo",
        project_id: int = 119,
        seed: bool = True,
        clock: Callable[[], float] | None = None,
        timing: Timing | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        scenario: Any = None,
        chapter: str | None = None,
        data_scientist_key: str | None = None,
    ) -> None:
        # a bad scenario is reported before anything is made or bound
        script = load(scenario) if scenario is not None else None
        if script is not None and chapter is not None:
            script.chapter(chapter)
        self.host = host
        self.api_key = api_key or secrets.token_urlsafe(24)
        ds_key = data_scientist_key or secrets.token_urlsafe(24)
        if ds_key == self.api_key:
            raise ScenarioError("The Data Scientist key must differ from the Data Owner key.")
        self.api_keys = {DATA_OWNER: self.api_key, DATA_SCIENTIST: ds_key}
        self.project = project
        self.project_id = project_id
        self.world = World(
            project=project, project_id=project_id, speed=speed, timing=timing, **({"clock": clock} if clock else {})
        )
        if seed:
            _seed_world(self.world)
        self.fault_book = FaultBook()
        self.request_log = RequestLog()
        self.admin = Admin(self.world, self.fault_book, self.request_log, seeded=seed)
        self.admin.api_keys = dict(self.api_keys)
        # the plan of the scenario given to start() (None without one); it plays from sandbox time 0
        self.scenario: dict[str, Any] | None = self.admin.player.play(script, chapter) if script else None
        self._stopping = threading.Event()
        self.app = SandboxApp(
            self.world,
            self.fault_book,
            self.request_log,
            self.admin,
            self.api_key,
            data_scientist_key=ds_key,
            stopping=self._stopping,
            max_body_bytes=max_body_bytes,
        )
        self.ca_path: str | None = None
        self.ca_pem: bytes | None = None
        self._tmpdir: str | None = None
        context = self._tls_context(host) if tls else None
        try:
            self._server, self._thread = serve(self.app, host, port, context)
        except BaseException:
            self._cleanup_files()
            raise
        self.port: int = self._server.port
        self.url = f"{'https' if tls else 'http'}://{_display_host(host)}:{self.port}"
        self._stopped = False

    def _tls_context(self, host: str) -> ssl.SSLContext:
        import trustme

        ca = trustme.CA(organization_name="hops-widgets sandbox")
        names = ["127.0.0.1", "localhost", "::1"]
        if host not in names and host not in ("0.0.0.0", "::", ""):
            names.append(host)
        cert = ca.issue_cert(*names)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        self._tmpdir = tempfile.mkdtemp(prefix="hops-sandbox-")
        self.ca_path = os.path.join(self._tmpdir, "sandbox-ca.pem")
        ca.cert_pem.write_to_path(self.ca_path)
        self.ca_pem = ca.cert_pem.bytes()
        return context

    def _call(self, op: str, **kwargs: Any) -> Any:
        return self.admin.dispatch(op, kwargs)

    @property
    def speed(self) -> float:
        return self.world.speed

    @property
    def clock(self) -> Callable[[], float]:
        return self.world.clock

    @property
    def running(self) -> bool:
        return not self._stopped and self._thread.is_alive()

    def stop(self) -> None:
        """Stop serving, end injected delays, join the server and request threads."""
        if self._stopped:
            return
        self._stopped = True
        self._stopping.set()
        # shutdown() waits for the accept loop to notice; a throwaway connection wakes it at once
        closer = threading.Thread(target=self._server.shutdown, name="hops-sandbox-stop", daemon=True)
        closer.start()
        while closer.is_alive():
            self._poke()
            closer.join(0.01)
        self._thread.join(timeout=30)
        self._server.server_close()
        self._cleanup_files()

    def _poke(self) -> None:
        host = self.host if self.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        try:
            with socket.create_connection((host, self.port), timeout=0.2):
                pass
        except OSError:
            pass

    def _cleanup_files(self) -> None:
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else "running"
        return f"<Sandbox {self.url} project={self.project!r} {state}>"


class RemoteSandbox(_Handle):
    """A handle on a sandbox running in another process, scripted over ``/_sandbox/<op>``."""

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        project: str | None = None,
        ca_path: str | None = None,
        timeout: float = 10,
        data_scientist_key: str | None = None,
    ) -> None:
        """``api_key`` is the Data Owner's; the Data Scientist's is ``data_scientist_key``, or
        else what the sandbox's ``info`` operation reports."""
        import requests

        self.url = url.rstrip("/")
        self.api_key = api_key
        self.ca_path = ca_path or None
        self._timeout = timeout
        self._session = requests.Session()
        self._session.trust_env = False  # a local address: never through a proxy
        self._session.headers["Authorization"] = f"ApiKey {api_key}"
        self._session.verify = self.ca_path or True
        info = self.info()
        self.api_keys = {DATA_OWNER: api_key}
        ds_key = data_scientist_key or (info.get("api_keys") or {}).get(DATA_SCIENTIST)
        if ds_key:
            self.api_keys[DATA_SCIENTIST] = ds_key
        self.project = project or info["project"]
        self.project_id = info["project_id"]
        host_port = self.url.split("://", 1)[1]
        self.host, _, port = host_port.rpartition(":")
        self.port = int(port)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> RemoteSandbox:
        env = os.environ if environ is None else environ
        if not env.get(ENV_URL) or not env.get(ENV_KEY):
            raise ScenarioError(f"Set {ENV_URL} and {ENV_KEY} to reach a running sandbox.")
        return cls(
            env[ENV_URL],
            env[ENV_KEY],
            project=env.get(ENV_PROJECT) or None,
            ca_path=env.get(ENV_CA),
            data_scientist_key=env.get(ENV_DS_KEY) or None,
        )

    def _call(self, op: str, **kwargs: Any) -> Any:
        import requests

        try:
            response = self._session.post(f"{self.url}/_sandbox/{op}", json=kwargs, timeout=self._timeout)
        except requests.RequestException as exc:
            raise ScenarioError(f"Cannot reach the sandbox at {self.url}: {type(exc).__name__}") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400:
            message = body.get("errorMsg") if isinstance(body, dict) else None
            code = body.get("errorCode") if isinstance(body, dict) else None
            if code == LifecycleError.error_code and response.status_code == LifecycleError.status_code:
                raise LifecycleError(message or "The sandbox refused the action.")
            raise ScenarioError(
                message or f"The sandbox answered HTTP {response.status_code}.",
                status_code=response.status_code,
                error_code=body.get("errorCode") if isinstance(body, dict) else None,
            )
        return body.get("result") if isinstance(body, dict) else None

    def stop(self) -> None:
        """Forget the connection (the sandbox itself belongs to whoever started it)."""
        self._session.close()

    def __repr__(self) -> str:
        return f"<RemoteSandbox {self.url} project={getattr(self, 'project', None)!r}>"


def start(
    port: int = 0, tls: bool = False, speed: float = 1.0, api_key: str | None = None, seed: bool = True, **options: Any
) -> Sandbox:
    """Run a sandbox in a background thread; returns its handle (also a context manager).

    ``clock`` (e.g. a :class:`ManualClock`) replaces ``time.monotonic``; ``speed``
    divides every duration; ``seed=False`` starts with no deployments; ``tls``
    serves HTTPS with a certificate from a CA made for this run (``handle.ca_path``).
    ``scenario`` (a dict, a file path or a built-in name such as ``"lesson"``) starts
    playing at once, all of it or only ``chapter``; its plan is ``handle.scenario``.
    A bad scenario raises :class:`ScenarioError` before anything is started.
    ``api_key`` and ``data_scientist_key`` fix the two roles' keys (random by default;
    ``handle.api_keys`` has both).
    """
    return Sandbox(port=port, tls=tls, speed=speed, api_key=api_key, seed=seed, **options)


def _options_of(fn: Callable[..., Any], cls: type) -> None:
    """Show ``fn``'s ``**options`` as the keyword options of ``cls`` it passes them to (in ``help()``)."""
    own = inspect.signature(fn)
    named = [p for p in own.parameters.values() if p.kind is not p.VAR_KEYWORD]
    others = [p for name, p in inspect.signature(cls).parameters.items() if name not in own.parameters]
    fn.__signature__ = own.replace(parameters=[*named, *others])  # type: ignore[attr-defined]


_options_of(start, Sandbox)


_STARTED: dict[str, Any] = {}  # what connect_or_start started in this process: {"kwargs": ..., "handle": ...}

# What a sandbox started elsewhere can be asked about, to tell whether an option matches it anyway.
_COMPARABLE = {
    "speed": lambda h: h.speed,
    "tls": lambda h: h.tls,
    "project": lambda h: h.project,
}


def connect_or_start(
    *, quiet: bool = False, scenario: Any = None, chapter: str | None = None, **kwargs: Any
) -> _Handle:
    """The sandbox to use from a notebook or script, found or started; says which on stdout.

    1. If ``HOPS_WIDGETS_SANDBOX_URL`` and ``_KEY`` are set (``hops-widgets demo``
       sets them for its kernels), a :class:`RemoteSandbox` on that server. It
       belongs to the process that started it, so ``kwargs`` cannot change it:
       each option that differs from what the server runs with is named as not
       applied (a notebook at ``speed=5`` then runs at the demo's speed).
    2. Else the sandbox an earlier call in this process started with the same
       ``kwargs``, if it still runs (running a notebook twice in one kernel
       reuses it instead of starting a second server).
    3. Else a new one: ``start(**kwargs)``.

    ``scenario`` (and ``chapter``) is applied in all three cases: it is played on
    the sandbox from its beginning, replacing any script that sandbox was playing
    (for the shared server of case 1, for every client). It is not one of the
    ``kwargs`` compared in case 2, so running a cell again reuses the sandbox and
    plays the scenario again from the top. A bad scenario raises
    :class:`ScenarioError` before any sandbox is reached or started.

    ``quiet=True`` prints nothing.
    """

    def say(text: str) -> None:
        if not quiet:
            print(text, flush=True)

    script = load(scenario) if scenario is not None else None
    if script is not None and chapter is not None:
        script.chapter(chapter)

    def play_on(handle: _Handle) -> None:
        if script is None:
            return
        plan = handle.play(script, chapter)
        part = f" (chapter {chapter!r})" if chapter is not None else ""
        say(f"Playing the scenario {plan['title']!r}{part} from the start, until sandbox time {plan['end']:.0f} s.")
        for warning in plan.get("warnings") or ():
            say(f"Warning: {warning}")

    if os.environ.get(ENV_URL) and os.environ.get(ENV_KEY):
        handle = RemoteSandbox.from_env()
        say(f"Using the sandbox at {handle.url} named by ${ENV_URL} (speed {handle.speed:g}x).")
        ignored = []
        for name, value in kwargs.items():
            actual = _COMPARABLE[name](handle) if name in _COMPARABLE else None
            if name in _COMPARABLE and actual == value:
                continue
            ignored.append(f"{name}={value!r}" + (f" (it runs with {actual!r})" if name in _COMPARABLE else ""))
        if ignored:
            say(
                f"Not applied, since that sandbox belongs to another process: {', '.join(ignored)}. "
                "Its scenario methods (set_speed, set_timing, ...) change it for every client."
            )
        play_on(handle)
        return handle
    earlier = _STARTED.get("handle")
    if earlier is not None and earlier.running and _STARTED.get("kwargs") == kwargs:
        say(f"Using the sandbox started earlier in this process at {earlier.url} (speed {earlier.speed:g}x).")
        play_on(earlier)
        return earlier
    handle = start(**kwargs)
    _STARTED.update(handle=handle, kwargs=dict(kwargs))
    say(
        f"Started a sandbox in this process at {handle.url} (speed {handle.speed:g}x); it runs until this process ends."
    )
    play_on(handle)
    return handle
