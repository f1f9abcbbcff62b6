"""The kernel side of the widgets' message channel: one dispatch table, one reply builder.

A view sends ``{"type": ..., "id": ..., ...}``. A message with an id is a request
and is always answered, an error too: ``{"type": "reply", "id", "ok", "error",
"body"}``. A message without an id (``visibility``) is a notice and gets no
answer. A handler returns ``None`` or a dict (answered at once) or a Future
(answered when it resolves); whatever it raises is answered as an error, with
no secret in its text. Both widgets use this; neither imports the other.

A Future's reply is sent from whichever thread finished the work (the
poller's), and a host that drops messages from other threads (Colab) drops
it. So those replies are kept for a while, and a view lists the ids it still
waits for in its next message (``"waiting": [...]``, in its periodic pull):
each kept one is sent again from there, the thread that handles messages. A
view settles a request once, so a reply that did arrive the first time and
comes again changes nothing.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from ._text import sendable_value
from .errors import explain

__all__ = ["Channel", "Refused", "Visibility"]

log = logging.getLogger(__name__)
Handler = Callable[[dict], Any]


class Refused(RuntimeError):
    """A request the widget will not carry out; its message, written for a person, is the answer."""


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
        self._late: collections.OrderedDict[str, dict] = collections.OrderedDict()  # id -> a Future's reply
        self._late_lock = threading.Lock()

    KEEP_LATE = 32  # replies of finished Futures kept for views that may not have received them

    def __call__(self, _widget: Any, content: Any, _buffers: Any = None) -> None:
        """The ``on_msg`` callback."""
        if not isinstance(content, dict):
            return
        self._resend(content.get("waiting"))
        kind = content.get("type")
        handler = self.handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            self.reply(content, ok=False, error=f"Unknown command {kind!r}.")
            return
        try:
            result = handler(content)
        except Refused as exc:  # not an error of the source: its own sentence, marked as a refusal
            self.reply(content, ok=False, error=explain(exc, self._secrets(), plain=True), refused=True)
            return
        except Exception as exc:  # noqa: BLE001 - a bad click must not break the widget
            self.reply(content, ok=False, error=explain(exc, self._secrets()))
            return
        if isinstance(result, Future):
            self.reply_when_done(content, result)
        else:
            self.reply(content, ok=True, body=result)

    def reply(
        self,
        request: dict,
        *,
        ok: bool,
        error: str = "",
        body: Any = None,
        keep: bool = False,
        refused: bool = False,
    ) -> None:
        """Answer ``request`` (only requests, the messages with an id, are answered).

        ``keep``: the reply may be sent from a thread whose messages a host drops; keep it to send
        again when a view says it still waits for it.
        """
        if request.get("id") is None or not self._alive():
            return
        message = {"type": "reply", "id": request["id"], "request": request.get("type"), "ok": ok, "error": error}
        if body is not None:
            message["body"] = body
        if refused:
            message["refused"] = True
        if keep and isinstance(request["id"], str):
            with self._late_lock:
                self._late[request["id"]] = message
                while len(self._late) > self.KEEP_LATE:
                    self._late.popitem(last=False)
        self._deliver(message)

    def _resend(self, waiting: Any) -> None:
        if not isinstance(waiting, list) or not waiting:
            return
        with self._late_lock:
            found = [self._late[i] for i in waiting[: self.KEEP_LATE] if isinstance(i, str) and i in self._late]
        for message in found:
            if self._alive():
                self._deliver(message)

    def _deliver(self, message: dict) -> None:
        try:
            self._send(sendable_value(message))  # server text in a body: no surrogate, no NaN
        except Exception:  # the comm may be closing: nobody is listening any more
            log.debug("hops-widgets: reply not sent", exc_info=True)

    def reply_when_done(self, request: dict, future: Future) -> None:
        def done(f: Future) -> None:
            if f.cancelled():
                self.reply(request, ok=False, error="cancelled", keep=True)
            elif f.exception() is not None:
                self.reply(request, ok=False, error=str(f.exception()), keep=True)
            else:
                self.reply(request, ok=True, keep=True)

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
