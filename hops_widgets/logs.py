"""The Logs section's kernel side: a bounded buffer of one component's lines, fetched only when looked at.

A :class:`LogBook` reads ``source.logs(component, tail)`` (one dict per line, the
same for every SDK version and the built-in client) while its section is open
*and* its view is on screen, every ``interval_s`` while following, once
otherwise, and never when closed or hidden. New lines are told apart from the
ones already seen by :class:`~hops_widgets._logformat.LogDeduper` and published as a
delta (``on_delta``), so an update carries the new lines, not the buffer; a
view drawn later asks for :meth:`LogBook.buffer`.

A deployment with no pod (Created, Stopped, Stopping, Idle, Creating) has no logs: the
backend answers 404 / 240027. The book then asks nothing and says so (``quiet``, calm
text, not an error) until the status changes (:meth:`LogBook.set` ``status``); lines read
before stay in the buffer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from ._logformat import LOG_COMPONENTS, LogDeduper
from ._text import clean_log_text, sendable, sendable_value, strip_escapes, visible
from .errors import explain, no_logs

__all__ = ["LogBook", "clean_line", "strip_ansi"]

log = logging.getLogger(__name__)

MAX_LINE_CHARS = 4000  # a 1 MB line is cut: the rest is said, not sent


def strip_ansi(text: str) -> str:
    """A cleaned line as it reads on screen (copies, exports): no escape sequence, nothing hidden."""
    return visible(strip_escapes(text))


def clean_line(text: Any) -> str:
    """A log line fit to travel and show: text, the last carriage-return segment, bounded.

    Surrogates become U+FFFD (the kernel could not send them), NUL is written ``␀``, and every
    hidden character that is not part of an escape sequence (a lone ESC, BEL, DEL, NEL, C1
    controls, bidirectional overrides) is written out as ``⟨U+202E⟩``. CSI and OSC sequences
    are kept for the view, which renders SGR colours and http(s) OSC 8 links as text and
    classes (never HTML) and removes the rest.
    """
    if not isinstance(text, str):
        try:
            text = "" if text is None else str(text)
        except Exception:  # noqa: BLE001 - an object whose str raises is shown by its type
            text = f"<{type(text).__name__}>"
    if "\r" in text:  # progress bars redraw one line: keep what the terminal would show last
        parts = [p for p in text.split("\r") if p]
        text = parts[-1] if parts else ""
    text = text.replace("\x00", "␀")
    if len(text) > MAX_LINE_CHARS:
        text = f"{text[:MAX_LINE_CHARS]} … ({len(text) - MAX_LINE_CHARS} more characters)"
    return clean_log_text(text)


class LogBook:
    LIMIT = 2000  # lines kept per component
    TAIL = 200  # lines asked for per instance and fetch

    def __init__(
        self,
        fetch: Callable[[str, int], list[dict]],
        on_delta: Callable[[dict[str, Any]], None],
        *,
        label: str = "deployment",
        interval_s: float = 2.0,
        secrets: Callable[[], tuple[str, ...]] = tuple,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._on_delta = on_delta
        self._label = label
        self.interval_s = interval_s
        self._secrets = secrets
        self._clock = clock
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.open = False
        self.follow = True
        self.visible = False
        self.component = "predictor"
        self._want = False
        self.status = ""  # the deployment's status, as the widget last told it
        self.runs = True  # a pod may run (the status says so), so there may be logs to read
        self._no_pods = False  # the backend said "no logs" (404 / 240027) in this status
        self._reset_buffer()
        self.requests = 0  # fetches made (for tests and the benchmark)

    def _reset_buffer(self) -> None:
        self._lines: deque[dict[str, Any]] = deque(maxlen=self.LIMIT)
        self._seq = 0
        self._instances: list[str] = []
        self._dedupe = LogDeduper()
        self._error = ""
        self._fetched = False

    # ------------------------------------------------------------ control
    def set(
        self,
        *,
        open: bool | None = None,
        component: str | None = None,
        follow: bool | None = None,
        visible: bool | None = None,
        status: str | None = None,
        runs: bool | None = None,
    ) -> None:
        """Change what the section shows; fetching starts or stops to match.

        ``status``/``runs``: the deployment's status and whether a pod may run in it; a new status
        that runs makes an open section read again (a deployment that starts has logs again).
        """
        reset = False
        quiet_before = self.quiet
        with self._lock:
            if status is not None and status != self.status:
                self.status = status
                self._no_pods = False  # the answer was for the old status
                if runs or (runs is None and self.runs):
                    self._want = True
            if runs is not None:
                self.runs = bool(runs)
            was_open = self.open
            if component is not None and component in LOG_COMPONENTS and component != self.component:
                self.component = component
                self._reset_buffer()
                reset = True
            if open is not None:
                self.open = bool(open)
            if follow is not None:
                self.follow = bool(follow)
            was = was_open and self.visible
            if visible is not None:
                self.visible = bool(visible)
            wanted = self.open and self.visible
            if wanted and (not was or reset):
                self._want = True  # just opened, switched or back on screen: fetch once even if not following
        if reset:
            self._publish([], reset=True)
        elif self.quiet != quiet_before and self.open:
            self._publish([])  # the note changes: "no logs while nothing runs", or not any more
        if wanted:
            self._ensure_thread()
            self._wake.set()  # fetch now: the user just opened, switched or came back

    @property
    def active(self) -> bool:
        return self.open and self.visible and not self._stopping

    @property
    def quiet(self) -> bool:
        """Nothing to read: no pod runs (by the status, or the backend's 404 / 240027)."""
        return not self.runs or self._no_pods

    def close(self) -> None:
        self._stopping = True
        self._wake.set()

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._run, name=f"hops-widgets-logs[{self._label}]", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        """Fetch while open and visible: every interval when following, else once per opening."""
        while self.active:
            self._wake.clear()
            if (self.follow or self._want) and not self.quiet:
                self._want = False
                self.fetch_once()
            if not self.active:
                break
            self._wake.wait(self.interval_s if self.follow and not self.quiet else None)
        with self._lock:
            self._thread = None

    # ------------------------------------------------------------ data
    def fetch_once(self) -> None:
        component = self.component
        self.requests += 1
        try:
            entries = self._fetch(component, self.TAIL)
        except Exception as exc:  # noqa: BLE001 - any source error is shown in the section, never raised
            with self._lock:
                if no_logs(exc):  # no pod runs: nothing to read until the status changes; not an error
                    self._no_pods = True
                    self._error = ""
                    self._fetched = True
                else:
                    self._error = explain(exc, self._secrets())
            self._publish([])
            return
        with self._lock:
            if component != self.component:
                return  # switched meanwhile: this answer is for the old one
            fresh = self._dedupe.new(entries)
            added = []
            for entry in fresh:
                self._seq += 1
                line = {
                    "seq": self._seq,
                    "instance": sendable(visible(str(entry.get("instance") or ""))),
                    "text": clean_line(entry.get("content")),
                    "ts": sendable_value(entry.get("timestamp")),
                }
                self._lines.append(line)
                added.append(line)
                if line["instance"] and line["instance"] not in self._instances:
                    self._instances.append(line["instance"])
            first = not self._fetched
            self._fetched = True
            had_error = bool(self._error)
            self._error = ""
        if added or first or had_error:
            self._publish(added)

    def _publish(self, added: list[dict[str, Any]], *, reset: bool = False) -> None:
        with self._lock:
            delta = {
                "component": self.component,
                "reset": reset,
                "lines": added,
                "last": self._seq,
                "instances": list(self._instances),
                "error": self._error,
                "fetched": self._fetched,
                "quiet": self.quiet,
            }
        try:
            self._on_delta(delta)
        except Exception:
            log.exception("hops-widgets: log delta not delivered")

    def buffer(self) -> dict[str, Any]:
        """Everything kept for the current component (for a view drawn after the lines came)."""
        with self._lock:
            return {
                "component": self.component,
                "reset": True,
                "lines": list(self._lines),
                "last": self._seq,
                "instances": list(self._instances),
                "error": self._error,
                "fetched": self._fetched,
                "quiet": self.quiet,
            }

    def tail(self, n: int = 20) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._lines)[-n:]
