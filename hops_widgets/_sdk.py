"""Start and stop a deployment the way its SDK version needs, for the widget's buttons.

The widget asks for an action and returns at once; the poller shows what
follows. Every SDK does that with ``start(await_running=0)`` and
``stop(await_stopped=0)``, except that before 5.2 ``start`` sends its POST and
then reads ``.status`` of the ``None`` its await helper returns when asked not
to wait, so a start that worked ends in ``AttributeError``. For those
versions this module runs the SDK's own steps up to and including the POST,
with the SDK's own failure handling (a refused POST is followed by a stop and
re-raised), and leaves out only the broken tail, whose job (a "ready" print
once Running) cannot apply to a call that does not wait.

What each version does after its POST (read in the released packages):

========================  ==================================================
SDK                       after ``POST ?action=START`` with await 0
========================  ==================================================
3.7 (hsml 3.7.x) – 5.1.x  poll helper returns None; ``None.status`` raises
5.2 and later             returns; the route check runs only once Running
========================  ==================================================

``stop(await_stopped=0)`` is correct on every version and is always called
as is. Objects that are not the hopsworks SDK's (the built-in client, test
doubles) get the plain public calls.

Logs (:func:`logs`) are read without printing and without the SDK's state
check, whichever version made the deployment:

========================  ==================================================
SDK                       the call made
========================  ==================================================
5.x                       ``ServingApi._get_logs`` (what ``read_logs`` sends,
                          before it joins the lines into one text), with
                          ``source``/``since`` when asked
3.7 – 4.x                 ``ServingApi.get_logs(deployment, component, tail)``,
                          the REST call under ``Deployment.get_logs``, whose
                          engine prints a banner and the logs and returns
                          nothing while the deployment stops
built-in client           ``Deployment.log_entries``
other objects             ``read_logs`` (text, split on its instance headers)
========================  ==================================================
"""

from __future__ import annotations

import importlib
import logging
import re
import sys
from typing import Any

from ._logformat import LOG_COMPONENTS as LOG_COMPONENTS
from ._logformat import log_component, log_lines
from ._logformat import log_pods as log_pods_of

__all__ = [
    "FIXED_START",
    "can_download_logs",
    "chat",
    "download_logs",
    "embedded_state",
    "links",
    "log_pods",
    "logs",
    "logs_plan",
    "openai_url",
    "predict",
    "request_schema",
    "restart",
    "restart_plan",
    "rollback",
    "sdk_version",
    "start",
    "start_plan",
    "stop",
    "versions",
    "versions_plan",
]

# first release whose start(await_running=0) returns cleanly after the POST
FIXED_START = (5, 2)
log = logging.getLogger(__name__)
_RUNNING = "Running"
_START = "START"


def _is_sdk(deployment: Any) -> bool:
    return type(deployment).__module__.split(".")[0] == "hsml"


def sdk_version(deployment: Any) -> tuple[int, ...] | None:
    """The hsml version that made ``deployment`` as numbers, e.g. ``(4, 8, 8)``; None if unknown."""
    if not _is_sdk(deployment):
        return None
    try:
        text = importlib.import_module("hsml.version").__version__
    except (ImportError, AttributeError):
        return None
    return parse_version(text)


def parse_version(text: Any) -> tuple[int, ...] | None:
    """Leading numbers of a version string: ``"5.3.0.dev1"`` → ``(5, 3, 0)``."""
    if not isinstance(text, str):
        return None
    match = re.match(r"\s*v?(\d+(?:\.\d+)*)", text)
    if match is None:
        return None
    return tuple(int(part) for part in match.group(1).split("."))


def start_plan(deployment: Any) -> str:
    """``"public"`` (call ``start(await_running=0)``) or ``"post"`` (the SDK's steps up to its POST)."""
    version = sdk_version(deployment)
    if version is None or version[:2] >= FIXED_START:
        return "public"
    engine = getattr(deployment, "_serving_engine", None)
    if engine is None or not hasattr(engine, "_check_status") or not hasattr(engine, "_serving_api"):
        return "public"  # not the engine layout these versions have: let the SDK speak for itself
    return "post"


# What the SDK's own status check (``ServingEngine._check_status``, every version) does before its POST:
# start on these prints a line ("already running", "in failed state") and sends nothing; stop on these
# prints "already stopped". The widget asks first and says so instead (a refusal, not a silent no-op).
_SDK_START_SKIPS = frozenset({"RUNNING", "IDLE", "STARTING", "UPDATING", "FAILED", "STOPPING", "CREATING"})
_SDK_STOP_SKIPS = frozenset({"CREATING", "CREATED", "STOPPED", "STOPPING"})


def _refuse_if_skipped(deployment: Any, action: str) -> None:
    """Raise :class:`~hops_widgets.errors.LifecycleRefused` where the SDK would skip ``action`` silently."""
    from .errors import LifecycleRefused

    get_state = getattr(deployment, "get_state", None)
    if not _is_sdk(deployment) or not callable(get_state):
        return  # the built-in client and test doubles send the request; the server answers
    status = str(getattr(get_state(), "status", "") or "").upper()
    skips = _SDK_START_SKIPS if action == "start" else _SDK_STOP_SKIPS
    if status in skips:
        raise LifecycleRefused(
            f"Not sent: the SDK does not {action} a deployment that is {status.lower()} (it would only print a line).",
            status=status,
        )


def start(deployment: Any) -> None:
    """Ask the deployment to start without waiting for it; a refused request raises.

    Where the SDK would print a line and send nothing (a failed, running or starting
    deployment), :class:`~hops_widgets.errors.LifecycleRefused` is raised instead.
    """
    _refuse_if_skipped(deployment, "start")
    if start_plan(deployment) == "public":
        deployment.start(await_running=0)
    else:
        _start_up_to_post(deployment)


def stop(deployment: Any) -> None:
    """Ask the deployment to stop without waiting for it; a refused request raises (as in :func:`start`)."""
    _refuse_if_skipped(deployment, "stop")
    deployment.stop(await_stopped=0)


# ---------------------------------------------------------------------- restart
RESTART_WAIT_S = 600.0


def restart_plan(deployment: Any) -> str:
    """``"public"`` (the object's own ``restart``) or ``"steps"`` (stop, wait for Stopped, start).

    ``Deployment.restart(await_stopped, await_running)`` came with hsml 5.2 and
    with the built-in client; it stops (unless already stopped), waits, then
    starts. Older SDKs have none, so the same is done here with :func:`stop`,
    the SDK's ``stop(await_stopped=...)`` wait, and :func:`start`.
    """
    if not callable(getattr(deployment, "restart", None)):
        return "steps"
    version = sdk_version(deployment)
    if version is not None and version[:2] < FIXED_START:
        return "steps"  # a restart of its own would end in the broken start(await_running=0)
    return "public"


def restart(deployment: Any, wait_s: float = RESTART_WAIT_S) -> None:
    """Stop the deployment, wait up to ``wait_s`` for Stopped, then ask it to start (without waiting).

    Blocks for the stop: call it off the polling thread, so the widget shows the
    stop steps and then the start steps as they happen.
    """
    if restart_plan(deployment) == "public":
        deployment.restart(await_stopped=wait_s, await_running=0)
        return
    if not _stopped(deployment):
        deployment.stop(await_stopped=wait_s)
    start(deployment)


def _stopped(deployment: Any) -> bool:
    check = getattr(deployment, "is_stopped", None)
    if callable(check):
        return bool(check())
    state = deployment.get_state()
    return str(getattr(state, "status", "")).upper() in ("STOPPED", "CREATED")


# ---------------------------------------------------------------------- predict
def predict(deployment: Any, body: Any) -> Any:
    """One inference request with ``body`` as the whole payload (``{"instances": [...]}`` and the like).

    The SDK's ``predict(data=body)``; the built-in client's ``predict(data=body)``.
    A stopped deployment fails like a model server does (the server's error).
    """
    return deployment.predict(data=body)


# ---------------------------------------------------------------------- schema, OpenAI URL, chat
# What Try it reads for a schema-checked body (5.2) and a vLLM deployment's chat (4.8+):
#
# ========================  ==================================================
# source                    request schema · OpenAI URL · a chat request
# ========================  ==================================================
# hopsworks SDK 5.2+        ``deployment.schema`` (None without one), its
#                           ``to_json_schema()["request"]`` · ``get_openai_url()``
#                           · POST through the SDK's own istio client
# hopsworks SDK 4.8–5.1     no schema · ``get_openai_url()`` · the same POST
# hopsworks SDK 3.7–4.7     none of them (absent, not an error)
# built-in client           ``request_schema()`` (REST ``format=jsonschema``, with
#                           its example) · ``get_openai_url()`` · ``chat()``
# ========================  ==================================================
def request_schema(deployment: Any) -> dict | None:
    """The JSON Schema of the deployment's request body, or None (no schema, or an SDK without them).

    A 404 from the schema endpoint means "no schema" on every path; other errors are raised.
    """
    own = getattr(deployment, "request_schema", None)
    if callable(own) and not _is_sdk(deployment):
        return own()
    if not isinstance(getattr(type(deployment), "schema", None), property):
        return None  # SDKs before 5.2 have no deployment schema
    try:
        schema = deployment.schema
    except Exception as exc:
        if getattr(getattr(exc, "response", None), "status_code", None) == 404:
            return None
        raise
    render = getattr(schema, "to_json_schema", None)
    if schema is None or not callable(render):
        return None
    doc = render()
    return doc.get("request") if isinstance(doc, dict) and isinstance(doc.get("request"), dict) else None


def openai_url(deployment: Any) -> str | None:
    """The OpenAI-compatible base URL of a vLLM deployment (``…/v1``), or None."""
    method = getattr(deployment, "get_openai_url", None)
    if not callable(method):
        return None
    url = method()
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None


def chat(deployment: Any, body: dict, on_text: Any = None, timeout_s: float = 120.0) -> str:
    """Send one OpenAI chat completions request to a vLLM deployment; the reply's text.

    ``on_text(text_so_far)`` is called as a streamed reply grows. The SDK's key never leaves
    its client: the request goes through the SDK's istio client (the one ``get_openai_url``
    names), the built-in client's through its own session.
    """
    from ._schema import read_chat

    own = getattr(deployment, "chat", None)
    if callable(own) and not _is_sdk(deployment):
        return own(body, on_text=on_text, timeout_s=timeout_s)
    base = openai_url(deployment)
    if base is None:
        raise RuntimeError("This deployment has no OpenAI-compatible URL (not vLLM, or no ingress gateway listed).")
    istio = _sdk_client("istio")
    auth = getattr(istio, "_auth", None)
    if auth is None:
        raise RuntimeError("The SDK has no client for the ingress gateway, so the chat cannot be sent.")
    # The SDK's istio client turns TLS checks on only for the string "true", so after
    # hopsworks.login(hostname_verification=True) it would not check the gateway's certificate:
    # the request goes with the SDK's own auth object (the key stays inside it) and the
    # verification of its REST client, which is what the user asked for at login.
    rest = _sdk_client("")
    verify = getattr(rest, "_verify", None)
    if verify is None:
        verify = getattr(istio, "_verify", True)
    import requests

    response = requests.post(
        f"{base}/chat/completions",
        json=body,
        auth=auth,
        verify=verify,
        stream=True,
        timeout=(10.0, timeout_s),
        allow_redirects=False,
        headers={"Accept": "text/event-stream, application/json"},
    )
    try:
        return read_chat(response, on_text)
    finally:
        response.close()


def _sdk_client(kind: str) -> Any:
    """The SDK's REST client (``kind=""``) or its istio client (``"istio"``), or None (3.7 has neither module)."""
    for name in ("hopsworks_common.client", "hsml.client"):
        try:
            module = importlib.import_module(f"{name}.{kind}" if kind else name)
            found = module._get_instance()
        except Exception:  # noqa: BLE001 - the next module, or none
            continue
        if found is not None:
            return found
    return None


# ---------------------------------------------------------------------- links
def links(deployment: Any) -> dict[str, str]:
    """``{"ui": deployment page, "model": model registry page, "inference": inference URL}``, where known.

    The UI page is the SDK's ``get_url()`` (``/p/<project>/deployments/<id>`` on the
    public host); the model page is what ``Model.get_url()`` builds for the
    deployment's model (``/p/<project>/models/<name>/<version>``), made without
    fetching the model; the inference URL is ``get_inference_url()`` (4.8+) where
    it gives one; ``"openai"`` is a vLLM deployment's ``get_openai_url()`` (4.8+).
    A link that cannot be made is left out, never an error.
    """
    out: dict[str, str] = {}
    for key, name in (("ui", "get_url"), ("inference", "get_inference_url"), ("openai", "get_openai_url")):
        method = getattr(deployment, name, None)
        if not callable(method):
            continue
        try:
            url = method()
        except Exception as exc:  # noqa: BLE001 - a missing link is shown as missing
            log.debug("%s() failed: %s", name, type(exc).__name__)
            continue
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            out[key] = url
    model, version = getattr(deployment, "model_name", None), getattr(deployment, "model_version", None)
    ui = out.get("ui")
    if ui and isinstance(model, str) and model and version is not None:
        head, _sep, _tail = ui.rpartition("/deployments/")
        if head:
            from urllib.parse import quote

            out["model"] = f"{head}/models/{quote(model, safe='')}/{quote(str(version), safe='')}"
    return out


def _method(obj: Any, *names: str):
    for name in names:
        found = getattr(obj, name, None)
        if callable(found):
            return found
    raise AttributeError(f"{type(obj).__name__} has none of {', '.join(names)}")


def _start_up_to_post(deployment: Any) -> None:
    """What ``ServingEngine.start`` of hsml 3.7–5.1 does with ``await_status=0``, without its broken tail.

    It checks the status first (printing "already running" and the like, and
    raising while the deployment stops), then POSTs START; if that POST is
    refused it stops the deployment, as the SDK does, and re-raises. The
    progress bar is left out: the widget shows the steps.
    """
    engine = deployment._serving_engine
    done, _state = engine._check_status(deployment, _RUNNING)
    if done:
        return
    post = _method(engine._serving_api, "_post", "post")
    engine_stop = _method(engine, "_stop", "stop")
    rest_error = getattr(sys.modules.get(type(engine).__module__), "RestAPIError", None)
    try:
        post(deployment, _START)
    except Exception as exc:
        if rest_error is not None and isinstance(exc, rest_error):
            try:
                engine_stop(deployment, await_status=0)
            except Exception as cleanup:  # noqa: BLE001 - the POST's own error is the one to show
                log.debug("the stop sent after a refused start failed too: %s", type(cleanup).__name__)
        raise


# ---------------------------------------------------------------------- logs
# The components whose logs the serving API gives (the SDK's ``get_logs(component=...)``):
# one list, in the wire format module the built-in client and the log book share.


def logs_plan(deployment: Any) -> str:
    """How :func:`logs` reads this deployment's logs: ``"rest5"``, ``"rest4"``, ``"client"``,
    ``"read_logs"`` or ``"none"``."""
    if _is_sdk(deployment):
        api = getattr(getattr(deployment, "_serving_engine", None), "_serving_api", None)
        if callable(getattr(api, "_get_logs", None)):
            return "rest5"
        if callable(getattr(api, "get_logs", None)):
            return "rest4"
    elif callable(getattr(deployment, "log_entries", None)):
        return "client"
    if callable(getattr(deployment, "read_logs", None)):
        return "read_logs"
    return "none"


def logs(deployment: Any, component: str = "predictor", tail: int = 100, since: str | None = None) -> list[dict]:
    """The last ``tail`` log lines of ``component``, as plain dicts, printing nothing.

    Each line is ``{"instance": str, "content": str, "timestamp": str | None, "id": str | None}``
    (and ``"restarts": int``, its container's restart count, where a 5.2 backend sends one),
    oldest first per instance. Without ``since`` the live instances are read (a
    stopped deployment has none: ``[]``). With ``since`` (ISO-8601) the stored
    history from that time on is asked for where the version can (5.x, the
    built-in client: ``timestamp`` and ``id`` set); older versions have no such
    parameter, and their lines come back as without it.
    """
    log_component(component)
    if isinstance(tail, bool) or not isinstance(tail, int) or tail < 0:
        raise ValueError(f"tail must be a whole number of lines >= 0, not {tail!r}")
    plan = logs_plan(deployment)
    source = "opensearch" if since is not None else None
    if plan == "client":
        return deployment.log_entries(component, tail, source=source, since=since)
    if plan == "rest5":
        api = deployment._serving_engine._serving_api
        kwargs = {"source": source, "since": since} if since is not None else {}
        return _entries(api._get_logs(deployment, component, tail, **kwargs))
    if plan == "rest4":
        return _entries(deployment._serving_engine._serving_api.get_logs(deployment, component, tail))
    if plan == "read_logs":
        kwargs = {"source": source, "since": since} if since is not None else {}
        return _parse_text(deployment.read_logs(component=component, tail=tail, **kwargs))
    raise AttributeError(f"{type(deployment).__name__} offers no way to read logs")


def _entries(chunks: Any) -> list[dict]:
    """The SDK's log objects (or dicts) as the endpoint's JSON, then one dict per line."""
    wire = []
    for chunk in chunks or ():
        if isinstance(chunk, dict):
            wire.append(chunk)
            continue
        wire.append(_wire(chunk))
    return log_lines(wire)


def _wire(chunk: Any) -> dict:
    """One SDK log object as the endpoint's JSON (5.2.1 objects also carry their pod's fields)."""
    return {
        "instanceName": getattr(chunk, "instance_name", None),
        "content": getattr(chunk, "content", None),
        "timestamp": getattr(chunk, "timestamp", None),
        "docId": getattr(chunk, "doc_id", None),
        "restartCount": getattr(chunk, "restart_count", None),
        "podUid": getattr(chunk, "pod_uid", None),
        "truncated": getattr(chunk, "truncated", None),
        "readFailed": getattr(chunk, "read_failed", None),
    }


# ---------------------------------------------------------------------- restarts
# Each instance's restart count comes with its log lines from 5.2 backends (kubernetes source):
#
# ========================  ==================================================
# source                    the call, and whether counts come back
# ========================  ==================================================
# hopsworks SDK 5.2+        ``ServingApi._get_logs(deployment, component, 1)``:
#                           objects with ``restart_count``, ``pod_uid``
# hopsworks SDK 5.0–5.1     the same call; no counts in its objects
# hopsworks SDK 3.7–4.x     none (its log objects have no pod fields): no read
# built-in client           ``Deployment.log_pods``: counts where the backend sends them
# ========================  ==================================================
def log_pods(deployment: Any, component: str = "predictor") -> list[dict] | None:
    """Each instance of ``component`` and its restart count, by one log read of one line per pod.

    ``None`` where this SDK cannot tell (nothing is read); else :func:`~hops_widgets._logformat.log_pods`
    dicts, whose ``restarts`` is None where the backend sent no count.
    """
    log_component(component)
    plan = logs_plan(deployment)
    if plan == "client" and callable(getattr(deployment, "log_pods", None)):
        return deployment.log_pods(component)
    if plan != "rest5":
        return None
    chunks = deployment._serving_engine._serving_api._get_logs(deployment, component, 1)
    return log_pods_of([c if isinstance(c, dict) else _wire(c) for c in chunks or ()])


# ---------------------------------------------------------------------- log archives
# ``Deployment.download_logs(path, latest)`` (SDK 5.2+, and the built-in client): the archives each
# instance leaves in the project's Logs dataset when its container ends, saved under ``path``.
def can_download_logs(deployment: Any) -> bool:
    return callable(getattr(deployment, "download_logs", None))


def download_logs(deployment: Any, path: str, latest: bool = False) -> list[str]:
    """The archives saved under ``path`` (a directory that exists): their local paths."""
    if not can_download_logs(deployment):
        raise AttributeError(f"{type(deployment).__name__} offers no log archives (download_logs is SDK 5.2+)")
    return list(deployment.download_logs(path=path, latest=latest) or [])


_HEADER = re.compile(r"^==> (.*) <==$")


def _parse_text(text: Any) -> list[dict]:
    """``read_logs`` text back into lines: ``==> name <==`` lines open an instance's block."""
    if not isinstance(text, str) or not text:
        return []
    out, instance = [], ""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for line in lines:
        header = _HEADER.match(line)
        if header is not None:
            instance = header.group(1)
            continue
        out.append({"instance": instance, "content": line, "timestamp": None, "id": None})
    return out


# ---------------------------------------------------------------------- reading states
# The backend computes a state for every deployment a read returns: the list costs one per
# deployment of the project, a single GET one. The overview reads both ways, through each
# SDK's own objects:
#
# ========================  ==================================================
# source                    the list / one deployment's state
# ========================  ==================================================
# hopsworks SDK (3.7–5.x)   ``ModelServing.get_deployments()``, each object with
#                           the state that came in the list (``predictor._state``)
#                           / that object's own ``get_state()``
# built-in client           ``ModelServing.list_states()`` / ``Deployment.get_state()``
#                           on a handle made from the listed id (no request)
# ========================  ==================================================


def embedded_state(deployment: Any) -> Any:
    """The state an SDK deployment got inside the list response, without a new request (or None)."""
    predictor = getattr(deployment, "predictor", None) or getattr(deployment, "_predictor", None)
    return getattr(predictor, "_state", None)


# ---------------------------------------------------------------------- requested instances
# Where SDK-shaped resources keep the requested count. The SDK's public ``num_instances``
# warns that it is deprecated, so its private field comes first (read by ``state.py``).
REQUESTED_FIELDS = ("_num_instances", "requested_instances", "requested_transformer_instances", "num_instances")


# ---------------------------------------------------------------------- the SDK's API key
# hopsworks_common keeps the logged-in key at ``client._client._auth._token`` (3.7–5.x); it is
# read only to redact it from what the widgets show, and only if the SDK is already loaded.
def sdk_secrets() -> tuple[str, ...]:
    """The hopsworks SDK's API key, if the SDK is loaded and logged in, for redaction only."""
    client_module = sys.modules.get("hopsworks_common.client")
    try:
        token = client_module._client._auth._token  # type: ignore[union-attr]
    except AttributeError:
        return ()
    return (token,) if isinstance(token, str) and token else ()


# ---------------------------------------------------------------------- a deployment's project
# hsml 3.7 to 5.x: the SDK's ``ModelServing`` has ``_project_id``; a deployment's ``_serving_api``
# lists the project the SDK is logged into (``_get_all()`` on 5.x, ``get_all()`` before), and
# ``model_registry_id`` (``_model_registry_id`` on some versions) is that project's id.
def serving_project_id(serving: Any) -> int | None:
    """The project id of the SDK's ``ModelServing`` (None for other objects)."""
    pid = getattr(serving, "_project_id", None)
    return pid if type(serving).__module__.startswith("hsml") and isinstance(pid, int) else None


def project_lister(deployment: Any) -> tuple[int, Any] | None:
    """``(project id, list call)`` for an SDK deployment: the call lists the SDK's deployments of
    that project (None when the object is not the SDK's or has neither)."""
    api = getattr(deployment, "_serving_api", None)
    get_all = getattr(api, "_get_all", None) or getattr(api, "get_all", None)
    pid = getattr(deployment, "model_registry_id", None)
    if pid is None:
        pid = getattr(deployment, "_model_registry_id", None)
    if callable(get_all) and isinstance(pid, int) and type(deployment).__module__.startswith("hsml"):
        return pid, get_all
    return None


# ---------------------------------------------------------------------- versions and rollback
# Deployment versions came with Hopsworks 5.2, in the backend and in the SDK:
#
# ========================  ==================================================
# source                    list / roll back
# ========================  ==================================================
# hopsworks SDK 5.2+        ``Deployment.get_versions()`` (every page, newest
#                           first) / ``ServingApi._rollback(deployment, n)``: the
#                           REST call under ``Deployment.rollback``, without its
#                           state read, its "already active" print and its wait
# hopsworks SDK before 5.2  none: not available
# built-in client           ``Deployment.get_versions()`` / ``rollback(n, await_update=0)``
# other objects             none: not available
# ========================  ==================================================
#
# A backend before 5.2 has no such endpoints. Its 404 (not the deployment's own 240000, nor a
# missing version's 240038) means "not available here": answered with None, never raised.
_VERSIONED = (5, 2)
_NOT_VERSIONS = (240000, 240038)  # a deleted deployment, a version it does not have: real errors


def versions_plan(deployment: Any) -> str:
    """How this deployment's versions are read: ``"sdk"`` (5.2+), ``"client"`` or ``"none"`` (not available)."""
    if _is_sdk(deployment):
        version = sdk_version(deployment)
        if version is not None and version[:2] < _VERSIONED:
            return "none"
        api = getattr(deployment, "_serving_api", None)
        if callable(getattr(deployment, "get_versions", None)) and callable(getattr(api, "_rollback", None)):
            return "sdk"
        return "none"
    if callable(getattr(deployment, "get_versions", None)) and callable(getattr(deployment, "rollback", None)):
        return "client"
    return "none"


def _versions_missing(exc: BaseException) -> bool:
    """A 404 that says the backend has no versions endpoints (it predates 5.2)."""
    from .errors import _http_status, error_code

    return _http_status(exc) == 404 and error_code(exc) not in _NOT_VERSIONS


def versions(deployment: Any) -> list[dict] | None:
    """Every version of the deployment, newest first, as ``GET …/serving/{id}/versions`` lists them
    (camelCase dicts: ``version``, ``active``, ``created``, ``modelVersion``, ``predictorResources``…).

    None where they are not available: an SDK before 5.2, a backend before 5.2, an object
    without versions. Other errors are raised.
    """
    plan = versions_plan(deployment)
    if plan == "none":
        return None
    try:
        found = deployment.get_versions()
    except Exception as exc:
        if _versions_missing(exc):
            return None
        raise
    if found is None:
        return None
    out = []
    for item in found:
        if isinstance(item, dict):
            out.append(item)
        elif callable(getattr(item, "to_dict", None)):
            out.append(item.to_dict())
    return sorted(out, key=lambda v: v.get("version") if isinstance(v.get("version"), int) else -1, reverse=True)


def rollback(deployment: Any, version: int) -> bool | None:
    """Make ``version`` the active one again, without waiting for the rollout: True once asked.

    None where versions are not available (as :func:`versions`). Refusals are raised: 403 for a
    role that may not (a Data Scientist), 500 / 240002 while the deployment starts or stops,
    404 / 240038 for a version it does not have.
    """
    if isinstance(version, bool) or not isinstance(version, int):
        raise TypeError(f"version must be a whole number, not {version!r}")
    plan = versions_plan(deployment)
    if plan == "none":
        return None
    try:
        if plan == "sdk":
            deployment._serving_api._rollback(deployment, version)
        else:
            deployment.rollback(version, await_update=0)
    except Exception as exc:
        if _versions_missing(exc):
            return None
        raise
    return True
