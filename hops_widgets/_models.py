"""The SDK-shaped objects of the built-in client: Project, ModelServing, Deployment and its parts.

They read and act through :class:`hops_widgets._transport.Client`; log lines come in the
wire format of :mod:`hops_widgets._logformat`. ``show()`` imports the widgets only when called.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlsplit

from ._actions import announce
from ._logformat import (
    LOG_SOURCES,
    LogDeduper,
    by_instance,
    format_log_entries,
    log_component,
    log_instant,
    log_lines,
    log_pods,
)
from ._transport import API_PREFIX, PREDICT_TIMEOUT_S, Client, shorten
from .errors import (
    DeploymentFailed,
    DeploymentNotFound,
    HopsError,
    InvalidResponse,
    Timeout,
    VersionsNotAvailable,
    redact,
)
from .state import DeploymentState

_SAFE_FILE = re.compile(r"[A-Za-z0-9_.+=@-]{1,255}")  # a log archive's name as saved here


# --------------------------------------------------------------------- shapes
def int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class ScalingConfiguration:
    """Minimum and maximum instances of one component (``min_instances == 0`` is scale-to-zero)."""

    def __init__(self, data: Mapping[str, Any] | None) -> None:
        data = data if isinstance(data, Mapping) else {}
        self.min_instances = int_or_none(data.get("minInstances", data.get("min_instances")))
        self.max_instances = int_or_none(data.get("maxInstances", data.get("max_instances")))
        self.scale_metric = data.get("scaleMetric", data.get("scale_metric"))
        self.target = data.get("target")

    def to_dict(self) -> dict[str, Any]:
        return {
            "min_instances": self.min_instances,
            "max_instances": self.max_instances,
            "scale_metric": self.scale_metric,
            "target": self.target,
        }

    def describe(self) -> None:
        print(json.dumps(self.to_dict(), indent=2, sort_keys=True))

    def __repr__(self) -> str:
        return f"ScalingConfiguration(min_instances={self.min_instances!r}, max_instances={self.max_instances!r})"


class Resources:
    """Requested instances and per-instance resources of the predictor or the transformer."""

    def __init__(self, requested_instances: Any, resources: Mapping[str, Any] | None, *, component: str) -> None:
        self.component = component
        self.requested_instances = int_or_none(requested_instances)
        resources = resources if isinstance(resources, Mapping) else {}
        self.requests = dict(resources.get("requests") or {})
        self.limits = dict(resources.get("limits") or {})

    @property
    def num_instances(self) -> int | None:
        """Same as :attr:`requested_instances` (the SDK's name)."""
        return self.requested_instances

    @property
    def cores(self) -> Any:
        return self.requests.get("cores")

    @property
    def memory(self) -> Any:
        return self.requests.get("memory")

    @property
    def gpus(self) -> Any:
        return self.requests.get("gpus")

    def to_dict(self) -> dict[str, Any]:
        if self.component == "transformer":
            return {
                "requested_transformer_instances": self.requested_instances,
                "transformer_resources": {"requests": self.requests, "limits": self.limits},
            }
        return {
            "requested_instances": self.requested_instances,
            "predictor_resources": {"requests": self.requests, "limits": self.limits},
        }

    def describe(self) -> None:
        print(json.dumps(self.to_dict(), indent=2, sort_keys=True))

    def __repr__(self) -> str:
        return f"Resources({self.component}, requested_instances={self.requested_instances!r})"


class Transformer:
    """The optional pre/post-processing component of a deployment."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.script_file = data.get("transformer") or data.get("scriptFile")
        self.resources = Resources(
            data.get("requestedTransformerInstances"), data.get("transformerResources"), component="transformer"
        )
        self.scaling_configuration = ScalingConfiguration(data.get("transformerScalingConfig"))

    def __repr__(self) -> str:
        return f"Transformer({self.script_file!r})"


# what a serving JSON says about the moment (computed by the backend on every read), not the configuration
_STATE_FIELDS = frozenset(
    {"status", "condition", "availableInstances", "availableTransformerInstances", "deployed", "revision"}
)


class Deployment:
    """One model deployment. Attributes reflect the last JSON fetched; :meth:`get_state` refreshes them."""

    poll_interval_s = 1.0  # how often start()/stop() look while awaiting

    def __init__(self, serving: ModelServing, data: Mapping[str, Any]) -> None:
        ident = data.get("id") if isinstance(data, Mapping) else None
        if int_or_none(ident) is None or not isinstance(data.get("name"), str):
            raise InvalidResponse("The server sent a deployment without a numeric id and a name.")
        self._serving = serving
        self._client = serving._client
        self._data: dict[str, Any] = dict(data)
        self.id: int = ident
        self._hops_widgets_key = (self._client.base_url, serving._project_id, ident)
        self._hops_widgets_secrets = self._client.secrets

    # ------------------------------------------------------------ attributes
    @property
    def name(self) -> str:
        return self._data.get("name", "")

    @property
    def model_name(self) -> str | None:
        return self._data.get("modelName")

    @property
    def model_version(self) -> int | None:
        return int_or_none(self._data.get("modelVersion"))

    @property
    def description(self) -> str | None:
        return self._data.get("description")

    @property
    def project_name(self) -> str:
        return self._serving.project_name

    @property
    def resources(self) -> Resources:
        return Resources(
            self._data.get("requestedInstances"), self._data.get("predictorResources"), component="predictor"
        )

    @property
    def scaling_configuration(self) -> ScalingConfiguration:
        return ScalingConfiguration(self._data.get("predictorScalingConfig") or self._data.get("scalingConfiguration"))

    @property
    def transformer(self) -> Transformer | None:
        if not (self._data.get("transformer") or self._data.get("scriptFile")):
            return None
        return Transformer(self._data)

    def to_dict(self) -> dict[str, Any]:
        """The serving JSON as last fetched (a copy)."""
        return json.loads(json.dumps(self._data))

    def __repr__(self) -> str:
        return f"Deployment(name={self.name!r}, id={self.id}, project={self.project_name!r})"

    # --------------------------------------------------------------- state
    @property
    def _path(self) -> str:
        return f"/project/{self._serving._project_id}/serving/{self.id}"

    def get_state(self) -> DeploymentState:
        """Fetch the current state (one GET)."""
        data = self._client.get(self._path)
        if not isinstance(data, Mapping):
            raise InvalidResponse(f"Expected a deployment object, got {type(data).__name__}.")
        self._data = dict(data)
        return DeploymentState.from_json(data)

    def is_running(self, or_idle: bool = True) -> bool:
        status = self.get_state().status
        return status == "RUNNING" or (or_idle and status == "IDLE")

    def is_stopped(self, or_created: bool = True) -> bool:
        status = self.get_state().status
        return status == "STOPPED" or (or_created and status == "CREATED")

    # ------------------------------------------------------------- actions
    def start(self, await_running: float = 600, *, poll_interval_s: float | None = None) -> DeploymentState | None:
        """Ask the server to start; with ``await_running > 0`` wait up to that many seconds for Running.

        Raises :class:`DeploymentFailed` if it fails on the way, :class:`Timeout` if time runs out.
        """
        self._client.request("POST", self._path, params={"action": "START"}, expect="nothing")
        announce(self, "start")  # widgets showing this deployment poll fast now
        if not await_running or await_running <= 0:
            return None
        return self._await(("RUNNING", "IDLE"), await_running, poll_interval_s, fail_on_failed=True)

    def stop(self, await_stopped: float = 600, *, poll_interval_s: float | None = None) -> DeploymentState | None:
        """Ask the server to stop; with ``await_stopped > 0`` wait up to that many seconds for Stopped."""
        self._client.request("POST", self._path, params={"action": "STOP"}, expect="nothing")
        announce(self, "stop")
        if not await_stopped or await_stopped <= 0:
            return None
        return self._await(("STOPPED",), await_stopped, poll_interval_s, fail_on_failed=False)

    def wait_for(self, status: str, timeout: float = 600, *, poll_interval_s: float | None = None) -> DeploymentState:
        """Poll until the status is ``status`` (e.g. ``"RUNNING"``); returns that state.

        Raises :class:`DeploymentFailed` with the reason if it fails on the way,
        :class:`Timeout` if ``timeout`` seconds pass first.
        """
        target = status.strip().upper()
        return self._await((target,), timeout, poll_interval_s, fail_on_failed=target != "FAILED")

    def _await(
        self,
        targets: tuple[str, ...],
        limit_s: float,
        interval_s: float | None,
        *,
        fail_on_failed: bool,
        sleep: Callable[[float], None] = time.sleep,
    ) -> DeploymentState:
        interval = self.poll_interval_s if interval_s is None else interval_s
        deadline = time.monotonic() + limit_s
        while True:
            state = self.get_state()
            if state.status in targets:
                return state
            if fail_on_failed and state.status == "FAILED":
                reason = state.condition.reason if state.condition and state.condition.reason else "no reason given"
                reason = shorten(redact(reason, self._client.secrets))
                raise DeploymentFailed(f"Deployment {self.name!r} failed: {reason}", state=state)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                wanted = " or ".join(t.capitalize() for t in targets)
                raise Timeout(
                    f"Deployment {self.name!r} did not become {wanted} within {limit_s:g} s "
                    f"(last status: {state.status_label})."
                )
            sleep(min(interval, remaining))

    def update(self, **changes: Any) -> Deployment:
        """Change ``requested_instances``, ``min_instances``, ``requested_transformer_instances``
        or ``description`` (one PUT); a running deployment passes through Updating."""
        body = self.to_dict()
        for key, value in changes.items():
            if key == "requested_instances":
                body["requestedInstances"] = value
            elif key == "requested_transformer_instances":
                body["requestedTransformerInstances"] = value
            elif key == "min_instances":
                body.setdefault("predictorScalingConfig", {})["minInstances"] = value
            elif key == "description":
                body["description"] = value
            else:
                raise TypeError(f"update() cannot change {key!r}")
        data = self._client.request("PUT", f"/project/{self._serving._project_id}/serving", body=body)
        if isinstance(data, Mapping):
            # the backend answers a PUT with the configuration only: the state fields it leaves out
            # (status, condition, instance counts) keep their last known values until the next read
            kept = {k: v for k, v in self._data.items() if k in _STATE_FIELDS and k not in data}
            self._data = {**dict(data), **kept}
        announce(self, "update")
        return self

    def restart(self, await_stopped: float = 600, await_running: float = 600) -> DeploymentState | None:
        """Stop (unless already stopped), wait up to ``await_stopped`` s for Stopped, then start.

        As the SDK's ``Deployment.restart``: ``await_running`` is passed to :meth:`start`.
        """
        if not self.is_stopped():
            self.stop(await_stopped=await_stopped)
        announce(self, "restart")
        return self.start(await_running=await_running)

    # ------------------------------------------------------------ versions (Hopsworks 5.2+)
    @property
    def version(self) -> int | None:
        """Number of the active configuration version (backends 5.2+ keep one per change), or None."""
        return int_or_none(self._data.get("version"))

    def get_versions(self) -> list[dict[str, Any]] | None:
        """Every configuration version this deployment had, newest first, as the REST API lists them.

        Each is a dict: ``version``, ``active`` (the one it runs), ``created``/``updated``, and what a
        version holds (``modelVersion``, ``predictor``, ``predictorResources``, ``predictorScalingConfig``…).
        None on a backend before 5.2, which has no versions (its 404 is not an error here).
        """
        found: dict[int, dict[str, Any]] = {}
        offset = 0
        for _page in range(_VERSIONS_MAX_PAGES):
            try:
                page = self._client.get(f"{self._path}/versions", params={"offset": offset, "limit": _VERSIONS_PAGE})
            except HopsError as exc:
                if _no_versions(exc):
                    return None
                raise
            items = page.get("items") if isinstance(page, Mapping) else None
            if not isinstance(items, list):
                raise InvalidResponse("Expected {count, items} from the versions endpoint.")
            for item in items:
                if isinstance(item, Mapping) and int_or_none(item.get("version")) is not None:
                    found[item["version"]] = dict(item)
            offset += len(items)
            count = int_or_none(page.get("count"))
            if not items or count is None or offset >= count:
                break
        return sorted(found.values(), key=lambda v: v["version"], reverse=True)

    def rollback(self, version: int, await_update: float = 600) -> DeploymentState | None:
        """Make an earlier version the active one again (one POST); it keeps its number.

        A deployed one (Running, Idle, Failed, Updating) rolls its instances to that version
        through Updating; with ``await_update > 0`` this waits up to that many seconds for
        Running. Refused while Starting or Stopping (500 / 240002) and for a Data Scientist (403).
        Raises :class:`~hops_widgets.errors.VersionsNotAvailable` on a backend before 5.2.
        """
        if isinstance(version, bool) or not isinstance(version, int):
            raise TypeError(f"version must be a whole number, not {version!r}")
        deployed = False
        if await_update and await_update > 0:
            deployed = self.get_state().status in ("RUNNING", "IDLE", "FAILED", "UPDATING")
        try:
            data = self._client.request("POST", f"{self._path}/rollback", body={"version": version})
        except HopsError as exc:
            if _no_versions(exc):
                raise VersionsNotAvailable(
                    "This Hopsworks has no deployment versions (they came with 5.2): there is nothing to roll back to.",
                    status_code=exc.status_code,
                    error_code=exc.error_code,
                ) from None
            raise
        if isinstance(data, Mapping):
            kept = {k: v for k, v in self._data.items() if k in _STATE_FIELDS and k not in data}
            self._data = {**dict(data), **kept}
        announce(self, "rollback")
        if not deployed:
            return None
        return self._await(("RUNNING",), float(await_update), None, fail_on_failed=True)

    def predict(self, inputs: Any = None, data: Any = None) -> Any:
        """Send one inference request (this also wakes a deployment scaled to zero).

        ``inputs`` are the model inputs (sent as ``{"instances": inputs}``); ``data``
        is a whole payload, as the SDK's ``predict(data=...)``. Not both.
        """
        if inputs is not None and data is not None:
            raise ValueError("Give inputs or data, not both.")
        body = data if data is not None else {"instances": inputs if inputs is not None else [[0]]}
        path = f"/project/{self._serving._project_id}/inference/models/{quote(self.name, safe='')}:predict"
        return self._client.request("POST", path, body=body, timeout=max(self._client.timeout, PREDICT_TIMEOUT_S))

    def delete(self) -> None:
        self._client.request("DELETE", self._path, expect="nothing")

    # ---------------------------------------------------------------- logs
    def get_url(self) -> str:
        """This deployment's page in the Hopsworks UI."""
        return f"{self._client.base_url}/p/{self._serving._project_id}/deployments/{self.id}"

    def get_inference_url(self) -> str:
        """Where :meth:`predict` sends its requests (the Hopsworks REST path, as the SDK without Istio)."""
        path = f"/project/{self._serving._project_id}/inference/models/{quote(self.name, safe='')}:predict"
        return f"{self._client.base_url}{API_PREFIX}{path}"

    # ------------------------------------------- the request schema (5.2), the OpenAI API (vLLM)
    def request_schema(self) -> dict[str, Any] | None:
        """The JSON Schema of a request body (``…/schema?format=jsonschema``, Hopsworks 5.2), its
        example under ``examples`` where it has one; None when there is none (any 404)."""
        try:
            doc = self._client.get(f"{self._path}/schema", params={"format": "jsonschema"})
        except HopsError as exc:
            if exc.status_code == 404:  # 240037: no schema; an older backend: no such path
                return None
            raise
        request = doc.get("request") if isinstance(doc, Mapping) else None
        return dict(request) if isinstance(request, Mapping) else None

    def get_openai_url(self) -> str | None:
        """A vLLM deployment's OpenAI-compatible base URL, as the SDK's ``get_openai_url()`` builds it:
        the ingress gateway the backend lists, ``/v1/<project namespace>/<name>/v1``; else None."""
        if str(self._data.get("modelServer") or "").upper() != "VLLM":
            return None
        gateway = self._serving.gateway()
        namespace = self._data.get("projectNamespace")
        if gateway is None or not isinstance(namespace, str) or not namespace:
            return None
        return f"{gateway}/v1/{quote(namespace, safe='')}/{quote(self.name, safe='')}/v1"

    def chat(
        self,
        body: Mapping[str, Any],
        *,
        on_text: Callable[[str], None] | None = None,
        timeout_s: float = PREDICT_TIMEOUT_S,
    ) -> str:
        """Send an OpenAI chat completions request (``{"model", "messages", "stream"}``); the reply's
        text, ``on_text(text_so_far)`` told as a streamed reply grows."""
        from ._schema import read_chat

        base = self.get_openai_url()
        if base is None:
            raise HopsError(
                "This deployment has no OpenAI-compatible URL: it is not served by vLLM, "
                "or the cluster lists no ingress gateway."
            )
        netloc = urlsplit(base).netloc
        url = f"{base}/chat/completions"
        response = self._client.post_stream(url, dict(body), timeout=timeout_s, gateways=(netloc,))
        try:
            return read_chat(response, on_text)
        finally:
            response.close()

    def log_entries(
        self,
        component: str = "predictor",
        tail: int | None = 10,
        source: str | None = None,
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        pod: str | None = None,
        *,
        timeout: float | None = None,
    ) -> list[dict[str, Any]]:
        """One read of the logs endpoint, one plain dict per line, oldest first per instance.

        Each dict is ``{"instance", "content", "timestamp", "id"}``; ``timestamp``
        and ``id`` are None on the kubernetes source, which has neither. A 5.2 backend's
        lines also carry ``restarts`` (their container's restart count). Optional
        parameters are sent only when set (``tail=None`` lets the server pick).
        """
        params: dict[str, Any] = {"component": log_component(component)}
        if tail is not None:
            if isinstance(tail, bool) or not isinstance(tail, int) or tail < 0:
                raise ValueError(f"tail must be a whole number of lines >= 0, not {tail!r}")
            params["tail"] = tail
        if source is not None:
            if source not in LOG_SOURCES:
                raise ValueError(f"source must be one of {', '.join(LOG_SOURCES)}, not {source!r}")
            params["source"] = source
        for key, value in (("since", since), ("until", until)):
            if value is not None:
                params[key] = log_instant(value, key)
        if pod is not None:
            params["pod"] = str(pod)
        data = self._client.get(f"{self._path}/logs", params=params, timeout=timeout)
        return log_lines(data)

    def read_logs(
        self,
        component: str = "predictor",
        tail: int = 100,
        source: str = "kubernetes",
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        pod: str | None = None,
    ) -> str:
        """The logs as one text, never printed: the last ``tail`` lines of each live instance.

        ``source="opensearch"`` reads the stored history instead (also after a
        stop), bounded by ``since``/``until`` (ISO-8601 or datetime; the live
        source ignores them). ``pod`` keeps one instance. With more than one
        instance, each one's block starts with a ``==> name <==`` line. An
        empty string when nothing matched.
        """
        return format_log_entries(self.log_entries(component, tail, source, since, until, pod))

    def log_pods(self, component: str = "predictor", *, timeout: float | None = None) -> list[dict[str, Any]]:
        """Each live instance and its container's restart count: one read of the logs endpoint, one line per pod.

        ``{"instance", "restarts", "pod_uid", "truncated", "read_failed"}`` each; ``restarts`` is None
        where the backend sends no count (before Hopsworks 5.2).
        """
        params = {"component": log_component(component), "tail": 1}
        return log_pods(self._client.get(f"{self._path}/logs", params=params, timeout=timeout))

    def download_logs(self, path: str | None = None, latest: bool = False) -> list[str]:
        """Save the log archives the instances left (one per container run that ended) under ``path``.

        As the SDK 5.2 ``Deployment.download_logs``: the archives are listed in the project's
        ``Logs/Serving/<name>`` dataset and saved into a new ``logs-deployment-<name>_<id>`` directory
        under ``path`` (the working directory when unset); ``latest`` keeps those of the last stop
        only. Returns the local paths. :class:`FileNotFoundError` when there are none, or ``path``
        is not a directory.
        """
        import os
        import uuid

        folder = os.getcwd() if path is None else str(path)
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"{folder} is not a directory")
        dataset = f"Logs/Serving/{quote(self.name, safe='')}"
        none = FileNotFoundError(
            f"No archived logs for deployment {self.name!r}: instances leave one when their container exits, "
            "restarts or is stopped."
        )
        project = self._serving._project_id
        try:
            listing = self._client.get(
                f"/project/{project}/dataset/{dataset}",
                params={"action": "listing", "expand": "inodes", "sort_by": "NAME:desc"},
            )
        except HopsError as exc:
            if exc.status_code == 404:
                raise none from None
            raise
        items = listing.get("items") if isinstance(listing, Mapping) else None
        names = []
        for item in items if isinstance(items, list) else []:
            attrs = item.get("attributes") if isinstance(item, Mapping) else None
            name = attrs.get("name") if isinstance(attrs, Mapping) else None
            # a plain file name only: the server's text never picks where on this disk a file goes
            if isinstance(name, str) and _SAFE_FILE.fullmatch(name) and name.strip(".") and not attrs.get("dir"):
                names.append(name)
        names = list(dict.fromkeys(names))
        if latest and names:
            newest = max(n.split("_", 1)[0] for n in names)
            names = [n for n in names if n.startswith(newest + "_")]
        if not names:
            raise none
        own = re.sub(r"[^A-Za-z0-9_.-]", "_", self.name)[:100].strip(".") or "deployment"
        target = os.path.join(folder, f"logs-deployment-{own}_{uuid.uuid4().hex[:16]}")
        os.makedirs(target, exist_ok=True)
        saved = []
        for name in names:
            body = self._client.request(
                "GET", f"/project/{project}/dataset/download/with_auth/{dataset}/{quote(name)}", expect="bytes"
            )
            local = os.path.join(target, name)
            with open(local, "wb") as out:
                out.write(body)
            saved.append(local)
        return saved

    def tail_logs(
        self,
        component: str = "predictor",
        interval: float = 2.0,
        source: str = "kubernetes",
        since: str | datetime | None = "now",
        timeout: float | None = None,
        stop_on_status: str | None = None,
        pod: str | None = None,
        *,
        stop: threading.Event | None = None,
    ) -> Iterator[str]:
        """Follow the logs: poll every ``interval`` s and yield the text of lines not seen before.

        Lines are told apart by their document id on the opensearch source and by
        a hash of their text, per instance, on the kubernetes one (see
        :class:`LogDeduper`). ``since="now"`` yields only lines printed from now on;
        an ISO-8601 time (or datetime) replays from there. The loop ends when
        ``timeout`` seconds have passed, when the status reads ``stop_on_status``
        (e.g. ``"Stopped"``), when ``stop`` (a ``threading.Event``) is set, or when the
        caller stops iterating. Errors of a poll are raised, typed as for any call.
        """
        log_component(component)
        if source not in LOG_SOURCES:
            raise ValueError(f"source must be one of {', '.join(LOG_SOURCES)}, not {source!r}")
        if not isinstance(interval, (int, float)) or isinstance(interval, bool) or interval <= 0:
            raise ValueError("interval must be a number of seconds > 0")
        return self._follow(component, float(interval), source, since, timeout, stop_on_status, pod, stop)

    def _follow(self, component, interval, source, since, timeout, stop_on_status, pod, stop) -> Iterator[str]:
        wake = stop or threading.Event()
        deadline = None if not timeout else time.monotonic() + float(timeout)
        dedupe = LogDeduper()
        cursor: str | None
        if since == "now":
            cursor = log_instant(datetime.now(timezone.utc), "since")
        else:
            cursor = None if since is None else log_instant(since, "since")
        # the live source cannot start "from now": its first window is what was there before
        prime = since == "now" and source == "kubernetes"
        wanted = str(stop_on_status).strip().lower() if stop_on_status is not None else None
        while not wake.is_set():
            entries = self.log_entries(
                component, _FOLLOW_TAIL, source, cursor if source == "opensearch" else None, None, pod
            )
            fresh = dedupe.new(entries)
            if source == "opensearch":
                stamps = [e["timestamp"] for e in entries if isinstance(e.get("timestamp"), str)]
                if stamps:
                    cursor = max([*stamps, *([cursor] if cursor else [])])
            if fresh and not prime:
                yield format_log_entries(fresh)
            prime = False
            if wanted is not None and str(self.get_state().status).strip().lower() == wanted:
                return
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                if wake.wait(min(interval, left)):
                    return
            elif wake.wait(interval):
                return

    def get_logs(self, component: str = "predictor", tail: int = 10) -> None:
        """Print the last ``tail`` lines of each live instance, as the SDK's ``get_logs`` does; returns None.

        While the deployment stops or is stopped there are no live instances: it
        says so (with the page that keeps the history) and reads nothing.
        """
        log_component(component)
        status = self.get_state().status
        if status == "STOPPING":
            print(f"The deployment is stopping, so its live logs are going away; past logs: {self.get_url()}")
            return None
        if status in ("STOPPED", "CREATED"):
            print(f"The deployment is not running, so it has no live logs; past logs: {self.get_url()}")
            return None
        if status == "STARTING":
            print("The deployment is starting: some instances may have printed nothing yet.")
        print(f"All logs, with filters, on the deployment page: {self.get_url()}", end="\n\n")
        entries = self.log_entries(component, tail)
        for instance, lines in by_instance(entries):
            print(f"Instance name: {instance}")
            print("\n".join(line["content"] for line in lines), end="\n\n")
        return None

    def show(self, **options: Any):
        """A live widget for this deployment (``hops_widgets.show``)."""
        from .display import show

        return show(self, **options)


_FOLLOW_TAIL = 200  # lines per poll while following
_VERSIONS_PAGE = 100  # versions asked for per request, as the SDK pages them
_VERSIONS_MAX_PAGES = 100
# a 404 with these codes is a real answer (a deleted deployment, a version it does not have);
# any other 404 from the versions endpoints says the backend has none (before 5.2)
_NOT_VERSIONS = (240000, 240038)


def _no_versions(exc: HopsError) -> bool:
    return exc.status_code == 404 and exc.error_code not in _NOT_VERSIONS


class ModelServing:
    """The model serving handle of one project."""

    def __init__(self, project: Project) -> None:
        self._project = project
        self._client = project._client
        self._project_id = project.id
        self._hops_widgets_key = (self._client.base_url, project.id)
        self._hops_widgets_secrets = self._client.secrets

    @property
    def project_name(self) -> str:
        return self._project.name

    @property
    def project_id(self) -> int:
        return self._project_id

    def __repr__(self) -> str:
        return f"ModelServing(project={self.project_name!r})"

    def gateway(self) -> str | None:
        """The ingress gateway the backend lists (``GET …/inference/endpoints``, type LOAD_BALANCER) as
        ``scheme://host:port``, read once; None when it lists none (inference then goes through the API)."""
        if not hasattr(self, "_gateway"):
            found = None
            try:
                endpoints = self._client.get(f"/project/{self._project_id}/inference/endpoints")
            except HopsError:
                endpoints = []
            for entry in endpoints if isinstance(endpoints, list) else []:
                if not isinstance(entry, Mapping) or entry.get("type") != "LOAD_BALANCER":
                    continue
                hosts, ports = entry.get("hosts") or [], entry.get("ports") or []
                if hosts and ports and isinstance(hosts[0], str) and isinstance(ports[0], Mapping):
                    scheme = "https" if str(ports[0].get("name", "")).upper() == "HTTPS" else "http"
                    host = f"[{hosts[0]}]" if ":" in hosts[0] else hosts[0]
                    port = int_or_none(ports[0].get("number")) or (443 if scheme == "https" else 80)
                    found = f"{scheme}://{host}:{port}"
                    break
            self._gateway = found
        return self._gateway

    @property
    def _path(self) -> str:
        return f"/project/{self._project_id}/serving"

    def get_deployment(self, name: str) -> Deployment | None:
        """The deployment called ``name``, or None if there is none (like the SDK)."""
        try:
            data = self._client.get(self._path, params={"name": name})
        except DeploymentNotFound:
            return None
        if not isinstance(data, Mapping):
            raise InvalidResponse(f"Expected one deployment object, got {type(data).__name__}.")
        return Deployment(self, data)

    def get_deployment_by_id(self, deployment_id: int) -> Deployment | None:
        try:
            data = self._client.get(f"{self._path}/{int(deployment_id)}")
        except DeploymentNotFound:
            return None
        if not isinstance(data, Mapping):
            raise InvalidResponse(f"Expected one deployment object, got {type(data).__name__}.")
        return Deployment(self, data)

    def _list(self) -> list[Mapping[str, Any]]:
        data = self._client.get(self._path)
        if isinstance(data, Mapping) and ("items" in data or "count" in data):
            data = data.get("items") or []
        if not isinstance(data, list) or not all(isinstance(item, Mapping) for item in data):
            raise InvalidResponse("Expected a list of deployment objects.")
        return data

    def deployment_handle(self, deployment_id: int, name: str) -> Deployment:
        """A handle on a listed deployment from its id and name, without a request."""
        return Deployment(self, {"id": deployment_id, "name": name})

    def get_deployments(self) -> list[Deployment]:
        """Every deployment of the project (one GET)."""
        return [Deployment(self, item) for item in self._list()]

    def list_states(self) -> list[DeploymentState]:
        """The state of every deployment from one GET, however many there are."""
        return [DeploymentState.from_json(item) for item in self._list()]

    def show(self, **options: Any):
        """A live overview of every deployment (``hops_widgets.show``)."""
        from .display import show

        return show(self, **options)


class Project:
    """A logged-in project. Close it (or use ``with``) to release the HTTP session."""

    def __init__(self, client: Client, project_id: int, name: str) -> None:
        self._client = client
        self.id = project_id
        self.name = name

    @property
    def url(self) -> str:
        return self._client.base_url

    def get_model_serving(self) -> ModelServing:
        return ModelServing(self)

    def close(self) -> None:
        self._client.close()

    logout = close

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Project(name={self.name!r}, id={self.id}, url={self.url!r})"
