"""The kernel side of the widgets' message channel: one dispatch table, one reply builder.

A view sends ``{"type": ..., "id": ..., ...}``. A message with an id is a request
and is always answered, an error too: ``{"type": "reply", "id", "ok", "error",
"body"}``. A message without an id (``visibility``) is a notice and gets no
answer. A handler returns ``None`` or a dict (answered at once) or a Future
(answered when it resolves); whatever it raises is answered as an error, with
no secret in its text. Both widgets use this; neither imports the other.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from .errors import explain

__all__ = ["Channel", "Visibility"]

log = logging.getLogger(__name__)
Handler = Callable[[dict], Any]


class Channel:
    """Dispatches one widget's frontend messages and sends their replies.

    ``send`` is the widget's ``send``; ``secrets`` are redacted from error texts;
    ``alive`` says whether replies may still be sent (the widget is open).
    """

    def __init__(
        self,
        send: Callable[[dict], None],
        handlers: dict[str, Handler],
        *,
        secrets: Callable[[], tuple[str, ...]] = tuple,
        alive: Callable[[], bool] = lambda: True,
    ) -> None:
        self._send = send
        self.handlers = handlers
        self._secrets = secrets
        self._alive = alive

    def __call__(self, _widget: Any, content: Any, _buffers: Any = None) -> None:
        """The ``on_msg`` callback."""
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        handler = self.handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            self.reply(content, ok=False, error=f"Unknown command {kind!r}.")
            return
        try:
            result = handler(content)
        except Exception as exc:  # noqa: BLE001 - a bad click must not break the widget
            self.reply(content, ok=False, error=explain(exc, self._secrets()))
            return
        if isinstance(result, Future):
            self.reply_when_done(content, result)
        else:
            self.reply(content, ok=True, body=result)

    def reply(self, request: dict, *, ok: bool, error: str = "", body: Any = None) -> None:
        """Answer ``request`` (only requests, the messages with an id, are answered)."""
        if request.get("id") is None or not self._alive():
            return
        message = {"type": "reply", "id": request["id"], "request": request.get("type"), "ok": ok, "error": error}
        if body is not None:
            message["body"] = body
        try:
            self._send(message)
        except Exception:  # the comm may be closing: nobody is listening any more
            log.debug("hops-widgets: reply not sent", exc_info=True)

    def reply_when_done(self, request: dict, future: Future) -> None:
        def done(f: Future) -> None:
            if f.cancelled():
                self.reply(request, ok=False, error="cancelled")
            elif f.exception() is not None:
                self.reply(request, ok=False, error=str(f.exception()))
            else:
                self.reply(request, ok=True)

        future.add_done_callback(done)


class Visibility:
    """Which views of one widget are on screen; tells the poller whether anyone looks."""

    def __init__(self, report: Callable[[bool], None]) -> None:
        self._views: set[str] = set()
        self._report = report
        self._lock = threading.Lock()  # notices of two views may be handled on two threads (subshells)

    def __call__(self, content: dict) -> None:
        view = str(content.get("view", ""))
        with self._lock:
            if content.get("visible"):
                self._views.add(view)
            else:
                self._views.discard(view)
            self._report(bool(self._views))  # inside: reports reach the poller in the order they were made

    @property
    def any(self) -> bool:
        return bool(self._views)
