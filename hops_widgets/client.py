"""A small Hopsworks Model Serving client built on ``requests``, shaped like the SDK.

    project = hops_widgets.client.login(host="my.cluster", project="demo", api_key="...")
    serving = project.get_model_serving()
    deployment = serving.get_deployment("frauddetector")
    deployment.get_state().describe()

It covers what the widgets need (reading state, start, stop) with one
``requests.Session``, a timeout on every call, a couple of quick retries for
idempotent GETs only, and one function that maps HTTP failures onto
:mod:`hops_widgets.errors`. The API key lives in the session headers and
nowhere else: no ``repr``, message or attached response shows it.
"""

from __future__ import annotations

import json
import os
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ._actions import announce
from ._text import sendable
from .errors import (
    AuthenticationError,
    CertificateError,
    ConnectionFailed,
    DeploymentFailed,
    DeploymentNotFound,
    HopsError,
    InvalidResponse,
    PermissionDenied,
    ServerError,
    Timeout,
    redact,
)
from .state import DeploymentState

__all__ = [
    "API_PREFIX",
    "DEFAULT_TIMEOUT_S",
    "LOG_COMPONENTS",
    "LOG_SOURCES",
    "Client",
    "Deployment",
    "InsecureConnectionWarning",
    "LogDeduper",
    "ModelServing",
    "Project",
    "Resources",
    "ScalingConfiguration",
    "Transformer",
    "login",
]

API_PREFIX = "/hopsworks-api/api"
DEFAULT_TIMEOUT_S = 10.0
PREDICT_TIMEOUT_S = 120.0  # a request to a deployment scaled to zero waits for its cold start
DEFAULT_RETRIES = 2
NOT_FOUND_CODE = 240000  # the serving API's "no such deployment"
_MAX_DETAIL_CHARS = 300


class InsecureConnectionWarning(UserWarning):
    """TLS certificate checking was switched off on purpose (``verify`` set to ``False``)."""


class _GetRetry(Retry):
    """urllib3's Retry, except that a response carrying ``Retry-After`` goes straight back.

    The server then said when to come back; the poller honours that with its
    own backoff instead of the transport hammering it.
    """

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if has_retry_after:
            return False
        return super().is_retry(method, status_code, has_retry_after)


def _retry_policy(retries: int) -> Retry:
    return _GetRetry(
        total=retries,
        connect=retries,
        read=False,  # a read error is raised as it is: retrying a timeout would multiply the wait
        status=retries,
        other=0,
        allowed_methods=frozenset({"GET"}),
        status_forcelist=(502, 503, 504),
        backoff_factor=0.1,
        backoff_max=1.0,
        respect_retry_after_header=False,
        raise_on_status=False,
        raise_on_redirect=False,
    )


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError, IndexError):
            return None


def _short(text: str, limit: int = _MAX_DETAIL_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def _looks_like_html(response: requests.Response) -> bool:
    ctype = response.headers.get("Content-Type", "").lower()
    return "html" in ctype or response.content[:200].lstrip().lower().startswith((b"<!doctype", b"<html"))


class Client:
    """HTTP plumbing: one session, the API key header, timeouts, retries and error mapping."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        verify: bool | str = True,
        timeout: float = DEFAULT_TIMEOUT_S,
        retries: int = DEFAULT_RETRIES,
    ) -> None:
        if not api_key or not str(api_key).strip():
            raise ValueError("An API key is required.")
        if timeout is None or timeout <= 0:
            raise ValueError("timeout must be a number of seconds > 0; requests without one can hang forever.")
        self.base_url = base_url.rstrip("/")
        self.timeout = float(timeout)
        self._key = str(api_key).strip()
        self._verify = verify
        if verify is False:
            warnings.warn(
                f"TLS certificate verification is off for {self.base_url}: anyone on the network path could "
                "read the API key. Pass verify='/path/to/ca.pem' instead.",
                InsecureConnectionWarning,
                stacklevel=3,
            )
            # we warned once, clearly; urllib3 would repeat it on every request to this host
            from urllib3.exceptions import InsecureRequestWarning

            host = urlsplit(self.base_url).hostname or ""
            warnings.filterwarnings(
                "ignore",
                message=rf"Unverified HTTPS request is being made to host '{host}'",
                category=InsecureRequestWarning,
            )
        self._session = requests.Session()
        self._session.headers.update(
            {
                "Authorization": f"ApiKey {self._key}",
                "Accept": "application/json",
                "User-Agent": "hops-widgets",
            }
        )
        self._session.mount(self.base_url + "/", HTTPAdapter(max_retries=_retry_policy(retries)))
        self._closed = False

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self._key,)

    def __repr__(self) -> str:
        return f"Client({self.base_url!r})"

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._closed = True
        self._session.close()

    # ---------------------------------------------------------------- calls
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        expect: str = "json",
        timeout: float | None = None,
    ) -> Any:
        """Send one request to ``API_PREFIX + path``; ``expect`` is ``"json"`` or ``"nothing"``."""
        url = f"{self.base_url}{API_PREFIX}{path}"
        limit = self.timeout if timeout is None else timeout
        try:
            response = self._session.request(
                method,
                url,
                params=params,
                json=body,
                timeout=limit,
                verify=self._verify,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            # ``from None`` hides the original from tracebacks, but it stays reachable as
            # ``__context__`` and its prepared request still carries the key: scrub it too.
            _scrub_request(getattr(exc, "request", None))
            raise self._transport_error(exc, limit) from None
        except OSError as exc:
            # requests checks the CA bundle and client certificate files itself and raises a
            # bare OSError (not one of its own exceptions) when a path does not exist
            raise self._local_error(exc) from None
        _scrub(response)
        self._check(response, method, path)
        if expect == "nothing":
            return None
        return self._json(response)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def _transport_error(self, exc: requests.RequestException, limit: float) -> HopsError:
        where = self.base_url
        if isinstance(exc, requests.exceptions.SSLError):
            text = str(exc)
            if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
                return CertificateError(
                    f"The TLS certificate of {where} could not be verified (self-signed, or signed by a CA this "
                    "machine does not trust). Pass the CA bundle with verify='/path/to/ca.pem'."
                )
            if "hostname" in text.lower() or "doesn't match" in text:
                return CertificateError(f"The TLS certificate of {where} is not valid for this host name.")
            return CertificateError(
                f"The TLS handshake with {where} failed ({_short(redact(text, self.secrets), 160)})."
            )
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return Timeout(f"Could not connect to {where} within {limit:g} s.")
        if isinstance(exc, requests.exceptions.ReadTimeout):
            return Timeout(f"{where} did not answer within {limit:g} s.")
        if isinstance(exc, requests.exceptions.ConnectionError):
            reason = getattr(exc.args[0] if exc.args else None, "reason", None)
            if isinstance(reason, urllib3.exceptions.ReadTimeoutError):
                return Timeout(f"{where} did not answer within {limit:g} s.")
            text = str(exc)
            if "Connection refused" in text or "Errno 111" in text:
                return ConnectionFailed(f"Cannot connect to {where}: connection refused (is the server running?).")
            if "RemoteDisconnected" in text or "Connection aborted" in text:
                return ConnectionFailed(f"{where} closed the connection without answering.")
            if "Name or service not known" in text or "getaddrinfo" in text or "resolve" in text:
                return ConnectionFailed(f"Cannot resolve the host of {where}.")
            return ConnectionFailed(f"Cannot connect to {where} ({type(exc).__name__}).")
        if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
            return ConnectionFailed(f"The answer from {where} was cut off ({type(exc).__name__}).")
        return HopsError(f"Request to {where} failed ({type(exc).__name__}).")

    def _local_error(self, exc: OSError) -> HopsError:
        text = str(exc)
        if "CA certificate bundle" in text:
            return CertificateError(
                f"The CA bundle given with verify= cannot be read ({_short(text, 200)}), so the TLS certificate "
                f"of {self.base_url} cannot be checked. Pass the path of an existing CA bundle."
            )
        if "TLS" in text or "certificate" in text.lower():
            return CertificateError(f"TLS setup failed before connecting to {self.base_url} ({_short(text, 200)}).")
        return ConnectionFailed(f"Cannot reach {self.base_url} ({type(exc).__name__}: {_short(text, 200)}).")

    def _check(self, response: requests.Response, method: str, path: str) -> None:
        """The one place where HTTP statuses become exceptions."""
        status = response.status_code
        if 200 <= status < 300:
            return
        error_code: int | None = None
        detail = ""
        html = _looks_like_html(response)
        if not html:
            try:
                payload = response.json()
            except ValueError:
                payload = None
            if isinstance(payload, dict):
                code = payload.get("errorCode")
                error_code = code if isinstance(code, int) and not isinstance(code, bool) else None
                parts = [payload.get("errorMsg"), payload.get("usrMsg")]
                detail = " ".join(_sentence(p) for p in parts if isinstance(p, str) and p.strip())
            elif response.text.strip():
                detail = response.text
        head = f"HTTP {status}" + (f", error {error_code}" if error_code is not None else "")
        detail = _short(redact(detail, self.secrets)) if detail else ""
        if html:
            detail = "the server sent an HTML page instead of JSON (a proxy or gateway error page)"
        suffix = f": {detail}" if detail else ""
        kwargs: dict[str, Any] = {"status_code": status, "error_code": error_code, "response": response}
        if status == 401:
            raise AuthenticationError(f"The server rejected the API key ({head}){suffix}", **kwargs)
        if status == 403:
            raise PermissionDenied(f"Access denied ({head}){suffix}", **kwargs)
        if status in (400, 404) and error_code == NOT_FOUND_CODE:
            raise DeploymentNotFound(f"Deployment not found ({head}){suffix}", **kwargs)
        if status >= 500:
            wait = _retry_after(response)
            hint = f" Retry after {wait:g} s." if wait is not None else ""
            raise ServerError(f"Server error ({head}){suffix}{hint}", retry_after_s=wait, **kwargs)
        raise HopsError(f"{method} {path} was refused ({head}){suffix}", **kwargs)

    def _json(self, response: requests.Response) -> Any:
        status = response.status_code
        if not response.content:
            raise InvalidResponse(
                f"The server answered HTTP {status} with an empty body.", status_code=status, response=response
            )
        if _looks_like_html(response):
            raise InvalidResponse(
                f"The server answered HTTP {status} with an HTML page instead of JSON (a proxy or login page?).",
                status_code=status,
                response=response,
            )
        try:
            return response.json()
        except ValueError as exc:
            raise InvalidResponse(
                f"The server's answer is not valid JSON ({_short(str(exc), 120)}).",
                status_code=status,
                response=response,
            ) from None


def _scrub(response: requests.Response) -> None:
    """Hide the key in the request kept on the response (errors carry the response)."""
    _scrub_request(getattr(response, "request", None))


def _scrub_request(request: Any) -> None:
    """Hide the key in a prepared request that outlives the call (on a response or an exception)."""
    headers = getattr(request, "headers", None)
    if headers is not None and "Authorization" in headers:
        headers["Authorization"] = "ApiKey ***"


# --------------------------------------------------------------------- shapes
def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class ScalingConfiguration:
    """Minimum and maximum instances of one component (``min_instances == 0`` is scale-to-zero)."""

    def __init__(self, data: Mapping[str, Any] | None) -> None:
        data = data if isinstance(data, Mapping) else {}
        self.min_instances = _int_or_none(data.get("minInstances", data.get("min_instances")))
        self.max_instances = _int_or_none(data.get("maxInstances", data.get("max_instances")))
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
        self.requested_instances = _int_or_none(requested_instances)
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
        if _int_or_none(ident) is None or not isinstance(data.get("name"), str):
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
        return _int_or_none(self._data.get("modelVersion"))

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
                reason = _short(redact(reason, self._client.secrets))
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
        and ``id`` are None on the kubernetes source, which has neither. Optional
        parameters are sent only when set (``tail=None`` lets the server pick).
        """
        params: dict[str, Any] = {"component": _log_component(component)}
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
                params[key] = _log_instant(value, key)
        if pod is not None:
            params["pod"] = str(pod)
        data = self._client.get(f"{self._path}/logs", params=params, timeout=timeout)
        return _log_lines(data)

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
        _log_component(component)
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
            cursor = _log_instant(datetime.now(timezone.utc), "since")
        else:
            cursor = None if since is None else _log_instant(since, "since")
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
        _log_component(component)
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
        for instance, lines in _by_instance(entries):
            print(f"Instance name: {instance}")
            print("\n".join(line["content"] for line in lines), end="\n\n")
        return None

    def show(self, **options: Any):
        """A live widget for this deployment (``hops_widgets.show``)."""
        from .display import show

        return show(self, **options)


LOG_COMPONENTS = ("predictor", "transformer")
LOG_SOURCES = ("kubernetes", "opensearch")
_FOLLOW_TAIL = 200  # lines per poll while following


def _log_component(component: Any) -> str:
    if component not in LOG_COMPONENTS:
        raise ValueError(f"component must be one of {', '.join(LOG_COMPONENTS)}, not {component!r}")
    return component


def _log_instant(value: Any, name: str) -> str:
    """An ISO-8601 instant for the wire: datetimes become UTC with a ``Z``; text is checked and kept."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        moment = moment.astimezone(timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}Z"
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an ISO-8601 time or a datetime, not {type(value).__name__}")
    try:
        datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} must be an ISO-8601 time such as 2025-01-31T12:00:00Z, not {value!r}") from None
    return value.strip()


def _log_lines(data: Any) -> list[dict[str, Any]]:
    """The endpoint's answer as one dict per line (live blocks split on newlines, stored documents kept)."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise InvalidResponse(f"Expected a list of log entries, got {type(data).__name__}.")
    out: list[dict[str, Any]] = []
    for item in data:
        if not isinstance(item, Mapping):
            raise InvalidResponse("A log entry is not an object.")
        instance = item.get("instanceName", item.get("instance_name"))
        content = item.get("content")
        if content is None:
            content = ""
        if not isinstance(content, str) or (instance is not None and not isinstance(instance, str)):
            raise InvalidResponse("A log entry has no text content or a bad instance name.")
        stamp = item.get("timestamp")
        doc = item.get("docId", item.get("doc_id"))
        stamp = sendable(stamp) if isinstance(stamp, str) else None
        doc = sendable(str(doc)) if isinstance(doc, (str, int)) and not isinstance(doc, bool) else None
        lines = content.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        instance = sendable(instance or "")  # a lone surrogate (valid JSON) cannot be printed or sent
        for line in lines:
            out.append({"instance": instance, "content": sendable(line), "timestamp": stamp, "id": doc})
    return out


def _by_instance(entries: Iterable[Mapping[str, Any]]) -> list[tuple[str, list[Mapping[str, Any]]]]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for entry in entries:
        groups.setdefault(entry.get("instance") or "", []).append(entry)
    return list(groups.items())


def format_log_entries(entries: Iterable[Mapping[str, Any]]) -> str:
    """Lines as text, each ending in a newline; a ``==> name <==`` line before each instance when there are several."""
    groups = _by_instance(entries)
    if len(groups) <= 1:
        return "".join(f"{e['content']}\n" for _, lines in groups for e in lines)
    return "".join(f"==> {name} <==\n" + "".join(f"{e['content']}\n" for e in lines) for name, lines in groups)


class LogDeduper:
    """Keeps, of successive log reads, only the lines not returned before.

    Stored documents (an ``id``) are seen or not by id; the last ``max_ids`` ids are
    kept. Live lines have no id, so each instance's previous window is kept as
    hashes of its lines, and of a new window only what follows its longest
    overlap with the end of the previous one is new. That keeps repeated
    identical lines (the same access log line twice) when they are really new;
    what it cannot tell apart is a window made of one line repeated end to end.
    """

    def __init__(self, max_ids: int = 4096, max_instances: int = 256) -> None:
        self.max_ids = max_ids
        self.max_instances = max_instances
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._windows: OrderedDict[str, list[int]] = OrderedDict()

    def new(self, entries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        entries = [dict(e) for e in entries]
        fresh: list[dict[str, Any]] = []
        live: dict[str, list[dict[str, Any]]] = {}
        for entry in entries:
            ident = entry.get("id")
            if ident is None:
                live.setdefault(entry.get("instance") or "", []).append(entry)
                continue
            if ident in self._ids:
                continue
            self._ids[ident] = None
            if len(self._ids) > self.max_ids:
                self._ids.popitem(last=False)
            fresh.append(entry)
        for instance, lines in live.items():
            hashes = [hash(line.get("content")) for line in lines]
            previous = self._windows.pop(instance, None)
            skip = _overlap(previous, hashes) if previous is not None else 0
            fresh.extend(lines[skip:])
            self._windows[instance] = hashes
            while len(self._windows) > self.max_instances:
                self._windows.popitem(last=False)
        return fresh


def _overlap(previous: list[int], current: list[int]) -> int:
    """The length of the longest end of ``previous`` that ``current`` starts with."""
    for size in range(min(len(previous), len(current)), 0, -1):
        if previous[-size:] == current[:size]:
            return size
    return 0


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


def _base_url(host: str, port: int | None, scheme: str, url: str | None) -> str:
    if url is None and "://" in host:
        url = host
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Not an http(s) URL: {url!r}")
        scheme = parts.scheme
        host = parts.hostname
        port = parts.port or (443 if scheme == "https" else 80)
    if scheme not in ("http", "https"):
        raise ValueError("scheme must be 'https' or 'http'")
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


def login(
    host: str = "127.0.0.1",
    port: int = 443,
    project: str | None = None,
    api_key: str | None = None,
    verify: bool | str = True,
    timeout: float = DEFAULT_TIMEOUT_S,
    scheme: str = "https",
    *,
    url: str | None = None,
    retries: int = DEFAULT_RETRIES,
) -> Project:
    """Log in to a Hopsworks cluster (or the sandbox) and open ``project``.

    ``url`` (or a ``host`` containing ``://``) replaces host, port and scheme.
    ``api_key`` defaults to ``$HOPSWORKS_API_KEY``, ``project`` to
    ``$HOPSWORKS_PROJECT`` and then to the first project of the key's user.
    ``verify`` is True (system CAs), a CA bundle path, or False (warns).
    """
    base = _base_url(host, port, scheme, url)
    api_key = api_key or os.environ.get("HOPSWORKS_API_KEY")
    if not api_key:
        raise ValueError("An API key is required: pass api_key=... or set HOPSWORKS_API_KEY.")
    project = project or os.environ.get("HOPSWORKS_PROJECT") or None
    client = Client(base, api_key, verify=verify, timeout=timeout, retries=retries)
    try:
        if project:
            info = client.get(f"/project/getProjectInfo/{quote(project, safe='')}")
            if not isinstance(info, Mapping) or _int_or_none(info.get("projectId")) is None:
                raise InvalidResponse("The project information has no projectId.")
            return Project(client, info["projectId"], str(info.get("projectName") or project))
        teams = client.get("/project")
        if not isinstance(teams, list) or not teams:
            raise HopsError("This API key's user belongs to no project; pass project=...")
        first = teams[0].get("project") if isinstance(teams[0], Mapping) else None
        if not isinstance(first, Mapping) or _int_or_none(first.get("id")) is None:
            raise InvalidResponse("The project list has no project id.")
        return Project(client, first["id"], str(first.get("name", "")))
    except HopsError as exc:
        client.close()
        if exc.status_code in (400, 404) and exc.error_code == 150004:
            raise HopsError(
                f"No project named {project!r} on {base}.", status_code=exc.status_code, error_code=exc.error_code
            ) from None
        raise
    except BaseException:
        client.close()
        raise
