"""HTTP transport: one ``requests.Session``, a timeout on every call, retries for GETs only,
and the one place where HTTP failures become :mod:`hops_widgets.errors`.

The API key lives in the session headers and nowhere else: no ``repr``, message or
attached response shows it.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .errors import (
    AuthenticationError,
    CertificateError,
    ConnectionFailed,
    DeploymentNotFound,
    HopsError,
    InvalidResponse,
    PermissionDenied,
    ServerError,
    Timeout,
    redact,
)

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


def shorten(text: str, limit: int = _MAX_DETAIL_CHARS) -> str:
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
        if expect == "bytes":  # a file's content (log archives)
            return response.content
        return self._json(response)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post_stream(self, url: str, body: Any, *, timeout: float, gateways: tuple[str, ...] = ()) -> requests.Response:
        """POST ``body`` to a full ``url`` (a model's own route, outside the API) and return the open
        response, to be read as it streams (a refusal other than 401/403 too: its body is the model
        server's). The key goes only to this client's host or to one of ``gateways`` (``host:port`` of
        the ingress the backend itself listed)."""
        where = urlsplit(url)
        if where.scheme not in ("http", "https") or where.netloc not in {urlsplit(self.base_url).netloc, *gateways}:
            raise HopsError(f"Refusing to send the API key to {where.netloc or url[:60]}: not a host of this cluster.")
        try:
            response = self._session.post(
                url,
                json=body,
                timeout=(min(self.timeout, 30.0), timeout),
                verify=self._verify,
                allow_redirects=False,
                stream=True,
                headers={"Accept": "text/event-stream, application/json"},
            )
        except requests.RequestException as exc:
            _scrub_request(getattr(exc, "request", None))
            raise self._transport_error(exc, timeout) from None
        _scrub(response)
        if response.status_code in (401, 403):  # the key itself: said as for any other call
            try:
                self._check(response, "POST", where.path)
            finally:
                response.close()
        return response  # another refusal is the model server's own answer, for the caller to read

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
                f"The TLS handshake with {where} failed ({shorten(redact(text, self.secrets), 160)})."
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
                f"The CA bundle given with verify= cannot be read ({shorten(text, 200)}), so the TLS certificate "
                f"of {self.base_url} cannot be checked. Pass the path of an existing CA bundle."
            )
        if "TLS" in text or "certificate" in text.lower():
            return CertificateError(f"TLS setup failed before connecting to {self.base_url} ({shorten(text, 200)}).")
        return ConnectionFailed(f"Cannot reach {self.base_url} ({type(exc).__name__}: {shorten(text, 200)}).")

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
        detail = shorten(redact(detail, self.secrets)) if detail else ""
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
                f"The server's answer is not valid JSON ({shorten(str(exc), 120)}).",
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
