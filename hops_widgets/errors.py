"""Exceptions of hops-widgets, and a safe one-line explanation of any exception.

The built-in client raises the classes below. The SDK raises its own (and some
that are not its own, such as ``JSONDecodeError`` or ``AttributeError``); the
poller turns every one of them into widget state through :func:`explain`,
which never lets a credential through.
"""

from __future__ import annotations

import re

from ._text import sendable, visible

__all__ = [
    "AuthenticationError",
    "DeploymentFailed",
    "DeploymentNotFound",
    "HopsError",
    "InvalidResponse",
    "LifecycleRefused",
    "PermissionDenied",
    "ServerError",
    "Timeout",
    "VersionsNotAvailable",
    "action_refusal",
    "error_code",
    "explain",
    "no_logs",
    "redact",
]

# The serving API's error codes the widget acts on (RESTCodes.ServingErrorCode: 240000 + n)
LIFECYCLE_ERROR = 240003  # 400: start or stop refused in this status ("stop it first", "try later")
LOGS_NOT_AVAILABLE = 240027  # 404: no pod runs, so there are no server logs to read
BUSY_ERROR = 240002  # 500: an update or rollback refused while the deployment starts or stops

MAX_MESSAGE_CHARS = 500


class HopsError(Exception):
    """Base class. ``status_code`` is the HTTP status when there was a response."""

    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        response=None,
        error_code: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error_code = error_code
        self.retry_after_s = retry_after_s
        self.response = response

    def __init_subclass__(cls, kind: str | None = None, **rest: object) -> None:
        """A subclass names its ``kind`` in its bases: ``class Timeout(HopsError, kind="timeout")``."""
        super().__init_subclass__(**rest)
        if kind is not None:
            cls.kind = kind


class AuthenticationError(HopsError, PermissionError, kind="auth"): ...


class PermissionDenied(HopsError, PermissionError, kind="forbidden"): ...


class DeploymentNotFound(HopsError, LookupError, kind="not_found"): ...


class ServerError(HopsError, kind="server"): ...


class InvalidResponse(HopsError, ValueError, kind="invalid_response"): ...


class Timeout(HopsError, TimeoutError, kind="timeout"): ...


class LifecycleRefused(HopsError, kind="refused"):
    """The cluster would refuse (or the SDK would silently skip) this start or stop in the status it has."""

    def __init__(self, message: str, *, status: str = "") -> None:
        super().__init__(message, status_code=400, error_code=LIFECYCLE_ERROR)
        self.status = status


class VersionsNotAvailable(HopsError, LookupError, kind="absent"):
    """The backend has no deployment versions (they came with Hopsworks 5.2): nothing to list or roll back."""


class DeploymentFailed(HopsError, kind="failed"):
    """Raised by ``wait_for`` when the deployment reaches FAILED."""

    def __init__(self, message: str, *, state=None) -> None:
        super().__init__(message)
        self.state = state


class ConnectionFailed(HopsError, ConnectionError):
    kind = "connection"


class CertificateError(ConnectionFailed):
    kind = "tls"


# ``ApiKey abc.def``, ``Bearer xyz``, ``api_key=...``, ``"apiKey": "..."``
_SECRET_PATTERNS = [
    re.compile(r"(?i)\b(apikey|bearer|basic)\s+[^\s'\",;]+"),
    re.compile(r"(?i)(api[_-]?key(?:_value)?|token|password|secret)(['\"]?\s*[:=]\s*['\"]?)[^\s'\",;&}]+"),
]


def redact(text: str, secrets: tuple[str, ...] | list[str] = ()) -> str:
    """Remove credentials from ``text``: the given secrets and anything shaped like one."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _SECRET_PATTERNS[0].sub(lambda m: f"{m.group(1)} ***", text)
    text = _SECRET_PATTERNS[1].sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    return text


def _shorten(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# The functions below run inside the poller's error handler on exceptions from any
# source: none of them may raise, whatever the exception's attributes or ``__str__`` do.


def _attr(obj: object, name: str) -> object:
    """``getattr(obj, name, None)``, also when the attribute is a property that raises."""
    try:
        return getattr(obj, name, None)
    except Exception:  # noqa: BLE001 - a broken attribute is an absent one
        return None


def _text(exc: BaseException) -> str:
    """``str(exc)``, or a placeholder when the exception cannot be printed."""
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - a broken __str__ must not hide the error itself
        return f"<{_name(exc)} that cannot be printed>"
    return text if isinstance(text, str) else ""


def _name(exc: BaseException) -> str:
    name = getattr(type(exc), "__name__", "")
    return name if isinstance(name, str) and name else "Exception"


def _status_of(obj: object) -> int | None:
    status = _attr(obj, "status_code")
    if isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 599:
        return status
    status = _attr(_attr(obj, "response"), "status_code")
    if isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 599:
        return status
    return None


def _http_status(exc: BaseException) -> int | None:
    """The HTTP status behind ``exc``: its own, its cause's, or a failed response it was raised over.

    The SDK raises exceptions that are not its ``RestAPIError`` while handling an
    HTTP error (``ModelServingException`` from a 404, ``AttributeError`` while
    reading the error body of a 403); the status is still the best explanation.
    """
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen and len(seen) < 8:
        seen.add(id(link))
        status = _status_of(link)
        if status is not None:
            return status
        link = _attr(link, "__cause__") or _attr(link, "__context__")  # type: ignore[assignment]
        if not isinstance(link, BaseException):
            link = None
    # A local ``response`` in the frames the exception went through (innermost last).
    found: int | None = None
    try:
        tb = exc.__traceback__
        depth = 0
        while tb is not None and depth < 50:
            response = tb.tb_frame.f_locals.get("response")
            status = _attr(response, "status_code") if response is not None else None
            if isinstance(status, int) and not isinstance(status, bool) and 400 <= status <= 599:
                found = status
            tb = tb.tb_next
            depth += 1
    except Exception:  # noqa: BLE001 - only a hint
        return found
    return found


def error_code(exc: BaseException) -> int | None:
    """The backend's ``errorCode`` behind ``exc`` (ours, the SDK's ``RestAPIError``, or its response body)."""
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen and len(seen) < 8:
        seen.add(id(link))
        code = _attr(link, "error_code")
        if isinstance(code, str) and code.isdigit():
            code = int(code)
        if isinstance(code, int) and not isinstance(code, bool):
            return int(code)
        try:
            body = _attr(link, "response").json()  # type: ignore[union-attr]
        except Exception:  # noqa: BLE001 - no readable body: no code
            body = None
        code = body.get("errorCode") if isinstance(body, dict) else None
        if isinstance(code, int) and not isinstance(code, bool):
            return code
        link = _attr(link, "__cause__") or _attr(link, "__context__")  # type: ignore[assignment]
        if not isinstance(link, BaseException):
            link = None
    return None


def action_refusal(exc: BaseException) -> str:
    """Why a start/stop/restart was refused: ``"lifecycle"`` (400 / 240003: not in this status),
    ``"forbidden"`` (403: the user's role may not), or ``""`` (another error)."""
    if isinstance(exc, LifecycleRefused):
        return "lifecycle"
    status = _http_status(exc)
    if status == 403 or isinstance(exc, PermissionDenied):
        return "forbidden"
    if error_code(exc) == LIFECYCLE_ERROR and status in (400, None):
        return "lifecycle"
    return ""


def no_logs(exc: BaseException) -> bool:
    """A logs request answered "no pod runs" (404 / 240027): nothing to read, not a fault."""
    return error_code(exc) == LOGS_NOT_AVAILABLE


def retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (``Retry-After``), if any."""
    value = _attr(exc, "retry_after_s")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    try:
        headers = _attr(_attr(exc, "response"), "headers") or {}
        header = headers.get("Retry-After")
        if header is None:
            return None
        wait = float(header)
    except Exception:  # noqa: BLE001 - an odd header is no header
        return None
    return max(0.0, wait) if wait == wait else None


def error_kind(exc: BaseException) -> str:
    """A short machine-readable category: auth, forbidden, not_found, server, ..."""
    if isinstance(exc, HopsError):
        kind = _attr(exc, "kind")
        return kind if isinstance(kind, str) and kind else "error"
    status = _http_status(exc)
    name = _name(exc)
    text = _text(exc).lower()
    if status in (401,):
        return "auth"
    if status == 403:
        return "forbidden"
    if status == 404 or "not found" in text:
        return "not_found"
    if status is not None and status >= 500:
        return "server"
    if "SSL" in name or "certificate verify" in text:
        return "tls"
    if "Timeout" in name or isinstance(exc, TimeoutError):
        return "timeout"
    if "Connection" in name or isinstance(exc, ConnectionError):
        return "connection"
    if "JSONDecode" in name or isinstance(exc, ValueError):
        return "invalid_response"
    return "error"


_HINTS = {
    "auth": "The server refused the API key (HTTP 401). Log in again with a valid key.",
    "forbidden": "Access denied (HTTP 403): the API key lacks the serving scope or a project role.",
    "not_found": "The deployment was not found: it may have been deleted.",
    "server": "The server had a problem (HTTP {status}). Retrying with backoff.",
    "tls": "The server's TLS certificate could not be verified. Pass the CA bundle with verify=...; "
    "verification is never switched off silently.",
    "timeout": "The server did not answer in time. Retrying with backoff.",
    "connection": "Cannot connect to the server. Retrying with backoff.",
    "invalid_response": "The server sent a response that could not be read.",
}


# What an exception raised with no message means, where its class says it.
_EMPTY_MEANS = {
    "MemoryError": "the kernel ran out of memory",
    "RecursionError": "a call nested too deeply",
    "TimeoutError": "an operation timed out",
    "ConnectionError": "the connection failed",
    "StopIteration": "an iterator ended early",
}


def _detail(exc: BaseException) -> str:
    """``Name: message``; a sentence instead of a bare ``Name:`` when the message is empty."""
    name = _name(exc)
    text = _text(exc)
    if text.strip():
        return f"{name}: {text}"
    means = next((v for k, v in _EMPTY_MEANS.items() if k in name), "")
    return f"{name}, with no message{f' ({means})' if means else ''}"


def explain(exc: BaseException, secrets: tuple[str, ...] | list[str] = (), *, plain: bool = False) -> str:
    """One line for a person, with no credential in it.

    Our own errors carry messages we wrote; for any other exception the kind
    decides the sentence and the original text, redacted and shortened, is
    appended for whoever needs to dig. Hidden characters from a server (an RTL
    override, controls) are written out and surrogates replaced, so the line can
    be sent to a view and read as it is. ``plain``: the exception's own text only
    (a refusal the widget wrote). Never raises.
    """
    try:
        if plain:  # a sentence we wrote (a refusal): only made safe, no category around it
            return sendable(visible(_shorten(redact(_text(exc), tuple(secrets or ())))))
        return sendable(visible(_explain(exc, secrets)))
    except Exception:  # noqa: BLE001 - the last resort: the class name
        return f"{_name(exc)} (it could not be described)."


def _explain(exc: BaseException, secrets: tuple[str, ...] | list[str] = ()) -> str:
    secrets = tuple(s for s in (secrets or ()) if isinstance(s, str))
    if isinstance(exc, HopsError):
        return _shorten(redact(_text(exc), secrets)) or f"{_name(exc)} (no message)."
    kind = error_kind(exc)
    detail = _shorten(redact(_detail(exc), secrets), 200)
    hint = _HINTS.get(kind)
    if hint is None:
        return _shorten(f"Unexpected error from the source. {detail}")
    return _shorten(f"{hint.format(status=_http_status(exc))} ({detail})")
