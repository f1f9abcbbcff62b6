"""What both widgets share below them: the view's files, being shown once per cell, pulls."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

import traitlets as t

from ._text import sendable_value

__all__ = ["STATIC", "Pullable", "ShownOnce", "asset", "ms"]

log = logging.getLogger(__name__)


def _static_dir() -> Path:
    here = Path(__file__).parent
    packaged = here / "static"  # the wheel puts js/ here
    return packaged if (packaged / "widget.js").exists() else here.parent / "js"


STATIC = _static_dir()


def asset(name: str) -> str | Path:
    """The file's text; its Path only for anywidget's hot reload (ANYWIDGET_HMR=1).

    A Path makes anywidget watch the file and keep every widget alive for
    reloading, which a notebook that opens many widgets cannot afford.
    """
    path = STATIC / name
    return path if os.environ.get("ANYWIDGET_HMR") == "1" else path.read_text(encoding="utf-8")


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000)


class ShownOnce:
    """Display for a widget: the live view, a plain-text line and a static HTML snapshot.

    ``show()`` displays the widget and notes the cell; if the same object is
    also the cell's last line (``w = show(...)`` then ``w``), it is not shown
    a second time.
    """

    _shown_in: int | None = None

    def _snapshot_html(self) -> str:  # pragma: no cover - each widget has its own
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs: Any):
        bundle = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        data, meta = bundle if isinstance(bundle, tuple) else (bundle, {})  # (data, meta) in some ipywidgets
        data = dict(data or {})
        data["text/plain"] = repr(self)
        data["text/html"] = self._snapshot_html()  # what nbconvert HTML and GitHub show
        return data, meta

    def _ipython_display_(self) -> None:
        from IPython import get_ipython
        from IPython.display import publish_display_data

        count = getattr(get_ipython(), "execution_count", None)
        if self._shown_in is not None and self._shown_in == count:
            self._shown_in = None  # show() displayed it in this cell already
            return
        data, meta = self._repr_mimebundle_()
        publish_display_data(data, metadata=meta)

    def _mark_shown(self) -> None:
        from IPython import get_ipython

        ip = get_ipython()
        self._shown_in = getattr(ip, "execution_count", None) if ip is not None else None


class Pullable(t.HasTraits):
    """Numbered changes, so a view whose host dropped the kernel's pushes can ask for what it lacks.

    Every change of a synced trait (listed in ``PULLED``) gets a revision, and ``_rev``
    (synced, in the same message) says the newest. Where the host delivers trait
    changes sent from the poller thread (JupyterLab, Notebook 7, Voilà, marimo), the
    view already holds ``_rev`` and a pull finds nothing. Where it drops them
    (Colab) or holds them back, the view's ``{"type": "pull", "rev"}`` notice is
    answered, inside that request, with ``{"type": "state", "rev", "changes"}``:
    only what changed since, nothing at all when nothing did.

    A message that cannot be sent never wedges the ones after it. Every state leaves through
    :meth:`get_state`, which makes it sendable (surrogates replaced, non-finite numbers
    unknown: what jupyter_client's packer refuses). Should a message still fail to send, it
    is dropped, ipywidgets' queue of held changes is cleared with it (in ``hold_sync`` a
    raising send left it queued, so every later message failed too), and the view's next
    pull is answered with the whole state under a new revision.
    """

    _rev = t.Int(0).tag(sync=True)
    PULLED: tuple[str, ...] = ()
    _resync = False  # a message was lost: the next pull gets the whole state
    send_failures = 0  # messages that could not be sent (for tests and the curious)

    def get_state(self, key: Any = None, drop_defaults: bool = False) -> dict:
        state = super().get_state(key=key, drop_defaults=drop_defaults)  # type: ignore[misc]
        return sendable_value(state)

    def _send(self, msg: Any, buffers: Any = None) -> None:
        try:
            super()._send(msg, buffers=buffers)  # type: ignore[misc]
        except Exception:  # a message the kernel cannot pack must not stop the next ones
            self.send_failures += 1
            self._resync = True
            log.debug("hops-widgets: a message could not be sent; the view gets the whole state", exc_info=True)

    def _init_pull(self) -> None:
        self._revs: dict[str, int] = {}
        self._rev_lock = threading.Lock()
        self.observe(self._count_change, names=list(self.PULLED))

    def _count_change(self, change: Any) -> None:
        # _rev is set under the lock too: set after it, a change counted on another thread
        # meanwhile (subshells, the poller) could be overwritten by this older revision, and a
        # view that only pulls would then be told a _rev below a change it never gets.
        with self._rev_lock:
            rev = self._rev + 1
            self._revs[change["name"]] = rev
            self._rev = rev  # inside hold_sync this rides in the same message as the change

    def _pulled(self, name: str, content: dict | None = None) -> Any:
        """The value a pull answers with for ``name`` (``content``: the view's pull notice)."""
        return getattr(self, name)

    def pull(self, content: dict) -> None:
        """Answer a view's pull with what changed after its ``rev`` (nothing if nothing did)."""
        try:
            since = int(content.get("rev") or 0)
        except (TypeError, ValueError):
            since = 0
        with self._rev_lock:
            resync, self._resync = self._resync, False
            if resync:  # a message was lost: everything, under a revision newer than any the view holds
                names = list(self.PULLED)
                rev = self._rev + 1
            else:
                names = [name for name, rev in self._revs.items() if rev > since]
                rev = self._rev
        if not names:
            return
        changes = sendable_value({name: self._pulled(name, content) for name in names})
        self.send({"type": "state", "rev": rev, "changes": changes})  # type: ignore[attr-defined]
        if resync:
            with self._rev_lock:
                self._rev = max(self._rev, rev)
