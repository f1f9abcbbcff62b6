"""A small Hopsworks Model Serving client built on ``requests``, shaped like the SDK.

    project = hops_widgets.client.login(host="my.cluster", project="demo", api_key="...")
    serving = project.get_model_serving()
    deployment = serving.get_deployment("fraud-detector")
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
import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ._actions import announce
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
    "Client",
    "Deployment",
    "InsecureConnectionWarning",
    "ModelServing",
    "Project",
    "Resources",
    "ScalingConfiguration",
    "Transformer",
    "login",
]

API_PREFIX = "/hopsworks-api/api"
DEFAULT_TIMEOUT_S = 10.0
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
            self._data = dict(data)
        announce(self, "update")
        return self

    def predict(self, inputs: Any = None) -> Any:
        """Send one inference request (this also wakes a deployment scaled to zero)."""
        body = {"instances": inputs if inputs is not None else [[0]]}
        path = f"/project/{self._serving._project_id}/inference/models/{quote(self.name, safe='')}:predict"
        return self._client.request("POST", path, body=body)

    def delete(self) -> None:
        self._client.request("DELETE", self._path, expect="nothing")

    def show(self, **options: Any):
        """A live widget for this deployment (``hops_widgets.widget.show``)."""
        from .widget import show

        return show(self, **options)


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
        """A live overview of every deployment (``hops_widgets.widget.show``)."""
        from .widget import show

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
