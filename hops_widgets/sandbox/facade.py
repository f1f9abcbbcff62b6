"""The methods both sandbox handles share: one per operation of the table, and a few shortcuts.

:class:`Operations` gets a method for each row of
:data:`~hops_widgets.sandbox.ops.OPERATIONS` (same name, signature and docstring,
made by :func:`_method`), plus the hand-written shortcuts below: the fault kinds as
methods, :meth:`Operations.status`, and :meth:`Operations.play`, which reads a
scenario file here before sending it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import script as _script
from .ops import OPERATIONS, Operation

__all__ = ["Operations"]


class Operations:
    """Named sandbox operations; subclasses supply ``_call(op, **kwargs)``.

    Faults take the same filters: ``deployment`` (only requests about it; for
    data faults, only its JSON), ``endpoint`` (a name such as
    ``"serving_get"`` or a list of them), ``path`` (a substring), ``method``
    and ``times`` (a one-shot count; None keeps the fault until cleared).
    Each returns the fault id for :meth:`clear_fault`.
    """

    def _call(self, op: str, **kwargs: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def status(self, name: str) -> str:
        """The status word the API would report for ``name`` now (e.g. ``"Running"``)."""
        return self.deployment(name)["status"]

    def fail_logs(self, status: int = 500, **where: Any) -> int:
        """Make the logs endpoint answer ``status`` (other filters as for :meth:`http_error`)."""
        return self.http_error(status, endpoint="serving_logs", **where)

    def slow_logs(self, seconds: float, **where: Any) -> int:
        """Make the logs endpoint wait ``seconds`` (real time) before answering."""
        return self.latency(seconds, endpoint="serving_logs", **where)

    def http_error(
        self,
        status: int,
        *,
        retry_after: float | None = None,
        error_code: int | None = None,
        message: str | None = None,
        **where: Any,
    ) -> int:
        """Answer matching requests with ``status`` (401, 403, 404, 500, 502, 503, ...)."""
        params: dict[str, Any] = {"status": status}
        if retry_after is not None:
            params["retry_after"] = retry_after
        if error_code is not None:
            params["error_code"] = error_code
        if message is not None:
            params["message"] = message
        return self.add_fault("http_error", **where, **params)

    def latency(self, seconds: float, **where: Any) -> int:
        """Wait ``seconds`` (real time) before answering."""
        return self.add_fault("latency", seconds=seconds, **where)

    def malformed_json(self, **where: Any) -> int:
        """Answer matching requests 200 with a JSON body cut off in the middle."""
        return self.add_fault("malformed_json", **where)

    def html_page(self, status: int = 502, **where: Any) -> int:
        """Answer matching requests with an HTML error page of ``status``."""
        return self.add_fault("html", status=status, **where)

    def empty_body(self, **where: Any) -> int:
        """Answer matching requests 200 with an empty body."""
        return self.add_fault("empty_body", **where)

    def disconnect(self, **where: Any) -> int:
        """Close the connection of matching requests without answering."""
        return self.add_fault("disconnect", **where)

    def unknown_status(self, value: str = "Hibernating", **where: Any) -> int:
        """Report the status ``value``, a word the API never sends, in the serving JSON."""
        return self.add_fault("unknown_status", value=value, **where)

    def mutate(self, *, drop: Iterable[str] = (), set: Mapping[str, Any] | None = None, **where: Any) -> int:
        """Drop or overwrite serving JSON fields; dotted names reach inside (``"condition.reason"``)."""
        return self.add_fault("mutate", drop=list(drop), set=dict(set or {}), **where)

    def missing_fields(self, *names: str, **where: Any) -> int:
        """Leave the fields ``names`` out of the serving JSON (dotted names reach inside)."""
        return self.mutate(drop=names, **where)

    def play(self, script: Any, chapter: str | None = None) -> dict[str, Any]:
        """Play a scenario from now on: a dict, a file path, or a built-in name such as ``"lesson"``.

        ``chapter`` plays only the chapter with that id. The file is read and checked here
        (errors name the file and the place in it), then sent to the sandbox, which replaces
        any script it was playing. Returns the plan: title, chapters with their sandbox start
        and end times, the deployments the script makes, and warnings.
        """
        parsed = _script.load(script)
        if chapter is not None:
            parsed.chapter(chapter)
        return self._call("play", script=dict(parsed.data), chapter=chapter, source=parsed.origin)


def _method(op: Operation) -> Callable[..., Any]:
    """The handles' method for ``op``: its signature and docstring; arguments left at None are not sent."""
    params = op.signature.parameters

    def method(self: Operations, *args: Any, **kwargs: Any) -> Any:
        sent: dict[str, Any] = {}
        for name, value in op.signature.bind(*args, **kwargs).arguments.items():
            if params[name].kind is inspect.Parameter.VAR_KEYWORD:
                sent.update(value)
            elif value is not None or params[name].default is not None:
                sent[name] = value
        return self._call(op.name, **(op.prepare(sent) if op.prepare else sent))

    method.__name__ = op.name
    method.__qualname__ = f"{Operations.__name__}.{op.name}"
    method.__module__ = __name__
    method.__doc__ = op.doc
    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    method.__signature__ = op.signature.replace(parameters=[self_param, *params.values()])  # type: ignore[attr-defined]
    return method


for _op in OPERATIONS.values():
    if _op.method:
        setattr(Operations, _op.name, _method(_op))
del _op
