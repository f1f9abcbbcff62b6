"""Exceptions of hops-widgets, and a safe one-line explanation of any exception.

The built-in client raises the classes below. The SDK raises its own (and some
that are not its own, such as ``JSONDecodeError`` or ``AttributeError``); the
poller turns every one of them into widget state through :func:`explain`,
which never lets a credential through.
"""

from __future__ import annotations

import re

__all__ = [
    "AuthenticationError",
    "DeploymentFailed",
    "DeploymentNotFound",
    "HopsError",
    "InvalidResponse",
    "PermissionDenied",
    "ServerError",
    "Timeout",
    "explain",
    "redact",
]

MAX_MESSAGE_CHARS = 500


class HopsError(Exception):
    """Base class. ``status_code`` is the HTTP status when there was a response."""

    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        error_code: int | None = None,
        retry_after_s: float | None = None,
        response=None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error_code = error_code
        self.retry_after_s = retry_after_s
        self.response = response


class AuthenticationError(HopsError, PermissionError):
    kind = "auth"


class PermissionDenied(HopsError, PermissionError):
    kind = "forbidden"


class DeploymentNotFound(HopsError, LookupError):
    kind = "not_found"


class ServerError(HopsError):
    kind = "server"


class InvalidResponse(HopsError, ValueError):
    kind = "invalid_response"


class Timeout(HopsError, TimeoutError):
    kind = "timeout"


class DeploymentFailed(HopsError):
    """Raised by ``wait_for`` when the deployment reaches FAILED."""

    kind = "failed"

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


def _http_status(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (``Retry-After``), if any."""
    value = getattr(exc, "retry_after_s", None)
    if isinstance(value, (int, float)) and value >= 0:
        return float(value)
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    try:
        header = headers.get("Retry-After")
        return max(0.0, float(header)) if header is not None else None
    except (TypeError, ValueError, AttributeError):
        return None


def error_kind(exc: BaseException) -> str:
    """A short machine-readable category: auth, forbidden, not_found, server, ..."""
    if isinstance(exc, HopsError):
        return exc.kind
    status = _http_status(exc)
    name = type(exc).__name__
    text = str(exc).lower()
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


def explain(exc: BaseException, secrets: tuple[str, ...] | list[str] = ()) -> str:
    """One line for a person, with no credential in it.

    Our own errors carry messages we wrote; for any other exception the kind
    decides the sentence and the original text, redacted and shortened, is
    appended for whoever needs to dig.
    """
    if isinstance(exc, HopsError):
        return _shorten(redact(str(exc), secrets))
    kind = error_kind(exc)
    detail = _shorten(redact(f"{type(exc).__name__}: {exc}", secrets), 200)
    hint = _HINTS.get(kind)
    if hint is None:
        return _shorten(f"Unexpected error from the source. {detail}")
    return _shorten(f"{hint.format(status=_http_status(exc))} ({detail})")
