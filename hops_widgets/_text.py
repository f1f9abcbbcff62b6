"""Server text made fit to send to a view and to show to a person.

Two different dangers, two helpers each:

- **Sending.** JSON allows a lone surrogate (``"\\ud800"``) and Python decodes it to one,
  but jupyter_client packs every message as UTF-8 with ``surrogateescape``, which
  encodes only ``\\udc80``–``\\udcff`` (and those into bytes that are not UTF-8): the
  message fails to pack. Non-finite floats fail too (``allow_nan=False``; the packer then
  falls back with a warning into the cell). :func:`sendable` replaces every surrogate
  with U+FFFD; :func:`sendable_value` does that through a whole JSON-like value and turns
  non-finite numbers into ``None``.
- **Showing.** Bidirectional overrides and isolates, zero-width marks and C0/C1 controls
  change how text reads without being seen. :func:`visible` writes each out as
  ``⟨U+202E⟩``; :func:`strip_hidden` drops them (static HTML that others will open).

Log lines are terminal output: :func:`clean_log_text` keeps the escape sequences a view
can render (CSI, OSC) and writes out every other hidden character, so a lone ESC, a stray
BEL or an RTL override reads as what it is; :func:`strip_escapes` then removes the
sequences for copies and exports.
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = [
    "clean_log_text",
    "sendable",
    "sendable_value",
    "strip_escapes",
    "strip_hidden",
    "visible",
]

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0/C1 controls (but tab and newline), bidirectional overrides and isolates, zero-width marks, the BOM.
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# Terminal escape sequences a log line may carry, in the order they are tried. A view renders
# SGR (colours) and OSC 8 (links); every other one is removed whole, its text and terminator too.
ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*(?:[@-~]|$)"  # CSI (SGR among them); one cut at the end of the line
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: window title, 8 hyperlink; BEL or ST ends it
    r"|\x1b[PX^_][^\x1b]*\x1b\\"  # DCS, SOS, PM, APC strings, ended by ST
    r"|\x1b[!-/]+[0-~]"  # nF: character set selection, as in tput sgr0's ESC ( B
    r"|\x1b[78=>c]"  # cursor save/restore, keypad modes, reset
)


def sendable(text: str) -> str:
    """``text`` with every surrogate (never valid alone in UTF-8) replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def sendable_value(value: Any, _depth: int = 0) -> Any:
    """A JSON-like value every string of which is :func:`sendable` and every number finite.

    Dicts, lists and tuples are copied only where something changes; non-finite floats
    become ``None`` (a view shows an unknown value, never ``inf``).
    """
    if isinstance(value, str):
        return sendable(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if _depth > 64:
        return value
    if isinstance(value, dict):
        out = {}
        changed = False
        for key, item in value.items():
            new_key = sendable(key) if isinstance(key, str) else key
            new_item = sendable_value(item, _depth + 1)
            changed = changed or new_key is not key or new_item is not item
            out[new_key] = new_item
        return out if changed else value
    if isinstance(value, (list, tuple)):
        items = [sendable_value(item, _depth + 1) for item in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return items if isinstance(value, list) else tuple(items)
    return value


def visible(text: str) -> str:
    """``text`` with every hidden control character written out as ``⟨U+202E⟩``.

    A right-to-left override in a name or a log line must not make it read as
    something else, and a BEL or a lone ESC must not vanish or swallow a character.
    """
    return _HIDDEN.sub(lambda m: f"⟨U+{ord(m.group()):04X}⟩", text)


def strip_hidden(text: str) -> str:
    """``text`` without hidden control characters (for static HTML that others will open)."""
    return _HIDDEN.sub("", text)


def clean_log_text(text: str) -> str:
    """A log line whose hidden characters are written out, its escape sequences kept for the view.

    Surrogates become U+FFFD; CSI sequences stay as they are (their bytes are all ASCII); an
    OSC keeps its terminator and has its text written out (an OSC 8 link's address too). An OSC
    or string with no terminator is not one: its ESC is written out and nothing is hidden. Everything
    else hidden (a lone ESC, BEL, DEL, NEL, C1, bidi) is written out with :func:`visible`.
    """
    text = sendable(text)
    if not _HIDDEN.search(text):
        return text
    out = []
    at = 0
    for match in ESCAPE_SEQUENCE.finditer(text):
        out.append(visible(text[at : match.start()]))
        seq = match.group()
        if seq.startswith("\x1b]"):
            end = "\x07" if seq.endswith("\x07") else "\x1b\\" if seq.endswith("\x1b\\") else ""
            seq = "\x1b]" + visible(seq[2 : len(seq) - len(end)]) + end
        elif seq.startswith(("\x1bP", "\x1bX", "\x1b^", "\x1b_")):
            seq = ""  # nothing a view shows; dropped here so it cannot carry anything along
        out.append(seq)
        at = match.end()
    out.append(visible(text[at:]))
    return "".join(out)


def strip_escapes(text: str) -> str:
    """``text`` without terminal escape sequences (OSC 8 link text is kept, its address dropped)."""
    return ESCAPE_SEQUENCE.sub("", text)


def plain_log_text(text: str) -> str:
    """A log line as it reads on screen, for copies and exports: no sequences, nothing hidden."""
    return visible(strip_escapes(clean_log_text(text)))
