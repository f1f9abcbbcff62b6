"""Static HTML snapshots of both widgets: what nbconvert, GitHub's viewer and a kernel-less page show.

One module for every static picture (the way Dask keeps its HTML reprs behind one loader):
:func:`detail_html` for one deployment, :func:`overview_html` for the table (with its open
detail). Server text is escaped, stripped of hidden controls and isolated in ``<bdi>``.
The status tones come from :data:`TONES`, the palette ``js/widget.css`` declares too
(a test keeps the two the same).
"""

from __future__ import annotations

import html
import time
from typing import Any

from . import diagrams
from ._text import plain_log_text
from .errors import redact
from .state import ENDPOINT_LABELS, Instances, resources_text, strip_hidden

# tone -> (css token, Jupyter variable, light fallback, dark fallback); js/widget.css maps --hops-<token> alike
TONES: dict[str, tuple[str, str, str, str]] = {
    "ok": ("ok", "--jp-success-color1", "#2e7d32", "#66bb6a"),
    "error": ("err", "--jp-error-color1", "#c62828", "#ef5350"),
    "warn": ("warn", "--jp-warn-color1", "#b26a00", "#ffb74d"),
    "info": ("info", "--jp-info-color1", "#1565c0", "#64b5f6"),
    "idle": ("idle", "--jp-success-color2", "#00796b", "#4db6ac"),
}


def tone_css(root: str) -> str:
    """The tone rules of a static snapshot under ``root``: its Jupyter colour, else the light fallback."""
    return "".join(
        f"{root} [data-tone={tone}]{{color:var({var},{light})}}\n" for tone, (_, var, light, _dark) in TONES.items()
    )


def css_tokens() -> list[str]:
    """The ``--hops-<token>`` declarations ``js/widget.css`` makes of :data:`TONES`."""
    return [f"--hops-{token}: var({var}, light-dark({light}, {dark}));" for token, var, light, dark in TONES.values()]


def server(text: str) -> str:
    """Server text for static HTML: hidden controls (bidi overrides, NUL…) dropped, escaped, in ``<bdi>``."""
    return f"<bdi>{html.escape(strip_hidden(text), quote=True)}</bdi>"


_DETAIL_CSS = (
    """
.hops-snapshot{font-family:var(--jp-ui-font-family,system-ui,sans-serif);font-size:13px;
color:var(--jp-ui-font-color1,#1f2937);border:1px solid var(--jp-border-color2,#d1d5db);
border-radius:6px;padding:8px 12px;max-width:46em}
.hops-snapshot .hops-badge{display:inline-block;padding:1px 8px;border-radius:999px;font-weight:600;
border:1px solid currentColor}
"""
    + tone_css(".hops-snapshot")
    + """.hops-snapshot p{margin:4px 0}
.hops-snapshot .hops-restarting{color:var(--jp-warn-color1,#b45309);font-style:normal;font-weight:600}
.hops-snapshot .hops-reason{color:var(--jp-ui-font-color2,#4b5563)}
.hops-snapshot .hops-dia{display:block;width:100%;max-width:680px;margin:6px 0;font-size:12px}
.hops-snapshot .hops-dia rect{fill:none;stroke:var(--jp-border-color1,#9ca3af)}
.hops-snapshot .hops-dia text{fill:currentColor;text-anchor:middle}
.hops-snapshot .hops-dia .hops-dia-sub[style]{font-size:9px}
.hops-snapshot .hops-dia .hops-dia-sub{font-size:10px;opacity:.75}
.hops-snapshot .hops-dia-edge{fill:none;stroke:var(--jp-border-color1,#9ca3af)}
.hops-snapshot .hops-dia-edge[data-state=taken]{stroke:var(--jp-brand-color1,#1565c0);stroke-width:2.5}
.hops-snapshot .hops-dia-node[data-state=visited] rect{stroke:var(--jp-brand-color1,#1565c0)}
.hops-snapshot .hops-dia-node[data-state=current] rect{stroke:var(--jp-brand-color1,#1565c0);stroke-width:3;
fill:var(--jp-brand-color3,#bbdefb)}
.hops-snapshot .hops-logs{font-size:12px;max-height:20em;overflow:auto;white-space:pre-wrap;overflow-wrap:anywhere;
background:var(--jp-layout-color2,#f3f4f6);padding:6px;border-radius:4px}
"""
)


def detail_html(w: Any) -> str:
    """A static HTML picture of the widget's last state, all server text escaped.

    Server strings sit in ``<bdi>`` so a right-to-left override inside one
    cannot reorder the text around it.
    """

    def e(text: str) -> str:
        return html.escape(text, quote=True)

    def count(available: int | None, requested: int | None) -> str:
        return Instances(available, requested).pods_text()  # pods in any phase: never "available"

    counts = f"predictor {count(w.predictor_available, w.predictor_requested)}"
    if w.has_transformer:
        counts += f" · transformer {count(w.transformer_available, w.transformer_requested)}"
    if w.readiness:
        counts += f" · {w.readiness}"
    if w.scale_to_zero:
        counts += " · scale-to-zero"
    # the server's own spelling (hidden characters are dropped by server()), not the view's escaped one
    state = w.state
    name = state.name if state is not None else w.name
    model_name = (state.model_name or "") if state is not None else w.model_name
    model = f" <span class='hops-model'>{server(model_name)}</span>" if model_name else ""
    if model_name and w.model_version is not None:
        model += f" <span class='hops-version'>v{w.model_version}</span>"
    reason = f"<p class='hops-reason'>{server(w.condition_reason[:500])}</p>" if w.condition_reason else ""
    book = getattr(w, "_logs", None)
    lines = book.tail(20) if book is not None and book.open else []
    logs = ""
    if lines:
        text = "\n".join(plain_log_text(line["text"])[:300] for line in lines)
        title = f"<p class='hops-logs-title'>Last {len(lines)} log lines ({e(book.component)})</p>"
        logs = f"{title}<pre class='hops-logs'>{server(text)}</pre>"
    error = f"<p class='hops-error'>{server(w.error)}</p>" if w.error else ""
    page = _page(w) + _versions(w)
    if getattr(w, "_view", "") == "diagram" and w.diagram:
        page += diagrams.svg(w.diagram)
    return (
        f"<style>{_DETAIL_CSS}</style>"
        f"<div class='hops-snapshot' data-status='{e(w.status)}'>"
        f"<p><span class='hops-badge' data-tone='{e(w.tone)}'>{server(w.status_label)}</span> "
        f"{'<em class=hops-stale>(last known)</em> ' if w.stale else ''}{_restarting(w)}"
        f"<strong class='hops-name'>{server(name)}</strong>{model}</p>"
        f"<p class='hops-message'>{e(w.message or w.status_description)}</p>{reason}"
        f"{f'<p class=hops-advice>{e(w.advice)}</p>' if w.advice else ''}"
        f"<p class='hops-instances'>{e(counts)}</p>{page}{logs}{error}</div>"
    )


def _restarting(w: Any) -> str:
    """The live page's crash-loop warning, as it stood: the instances that keep restarting, by name."""
    found = getattr(w, "restarts", None) or {}
    looping = (found.get("looping") if isinstance(found, dict) else None) or []
    if not looping:
        return ""
    minutes = round((found.get("window_s") or 600) / 60)
    named = "; ".join(
        f"{server(str(r.get('instance', '?')))} ({html.escape(str(r.get('component', '')))}): "
        f"{int(r.get('recent') or 0)} restarts in {minutes} min"
        for r in looping[:3]
    )
    more = f" and {len(looping) - 3} more" if len(looping) > 3 else ""
    return f"<em class='hops-restarting'>Keeps restarting: {named}{more}</em> "


def _versions(w: Any) -> str:
    """The Versions section as last read (only if it was): newest first, the active one marked."""
    value = getattr(w, "versions", None) or {}
    items = (value.get("items") if isinstance(value, dict) else None) or []
    if not items:
        return ""
    rows = []
    for row in items:
        when = row.get("created_ms")
        stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(when / 1000)) if isinstance(when, (int, float)) else ""
        head = f"<strong>v{int(row['version'])}</strong>{' (active)' if row.get('active') else ''}"
        if row.get("model"):
            head += f" {server(row['model'])}"
        if stamp:
            head += f" <span class='hops-reason'>{html.escape(stamp)}</span>"
        changes = "; ".join(str(c) for c in row.get("changes") or [])
        rows.append(
            f"<li data-version='{int(row['version'])}' data-active='{str(bool(row.get('active'))).lower()}'>"
            f"{head}{f' — {server(changes)}' if changes else ''}</li>"
        )
    summary = f"<summary>Versions ({len(items)})</summary>"
    return f"<details class='hops-versions'>{summary}<ol>{''.join(rows)}</ol></details>"


def _page(w: Any) -> str:
    """Resources (collapsed, as in the view) and the endpoint lines of the static snapshot."""
    rows = [
        f"<li data-component='{html.escape(c)}'>{html.escape(c)}: {server(text)}</li>"
        for c, fields in (w.resources or {}).items()
        if (text := resources_text(fields))
    ]
    resources = (
        f"<details class='hops-resources'><summary>Resource allocation</summary><ul>{''.join(rows)}</ul></details>"
        if rows
        else ""
    )
    shown = [(label, (w.endpoint or {}).get(key)) for key, label in ENDPOINT_LABELS.items()]
    lines = [f"{html.escape(label)} {server(value)}" for label, value in shown if value]
    endpoint = f"<p class='hops-endpoint'>{' · '.join(lines)}</p>" if lines else ""
    return _links(w.links or {}) + resources + endpoint


# the identity links the live page has (Open in Hopsworks, the model's page, the inference URL)
_LINK_LABELS = (("ui", "Open in Hopsworks"), ("model", "Model in the registry"), ("inference", "Inference URL"))


def _links(found: dict[str, Any]) -> str:
    """The live page's links as static anchors: http(s) only, escaped, a new tab, no referrer."""
    out = []
    for key, label in _LINK_LABELS:
        url = found.get(key)
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            continue
        href = html.escape(strip_hidden(url), quote=True)
        anchor = f"<a href='{href}' target='_blank' rel='noopener noreferrer'>{html.escape(label)}</a>"
        if key == "inference":  # the address itself is what one copies
            anchor += f" <code class='hops-url'>{server(url)}</code>"
        out.append(f"<span data-link='{key}'>{anchor}</span>")
    return f"<p class='hops-links'>{' · '.join(out)}</p>" if out else ""


_OVERVIEW_CSS = (
    """
.hops-snapshot-overview{font-family:var(--jp-ui-font-family,system-ui,sans-serif);font-size:13px;
color:var(--jp-ui-font-color1,#1f2937);border:1px solid var(--jp-border-color2,#d1d5db);
border-radius:6px;padding:8px 12px;max-width:72em;box-sizing:border-box}
.hops-snapshot-overview table{border-collapse:collapse;width:100%;margin-top:4px}
.hops-snapshot-overview th{text-align:left;color:var(--jp-ui-font-color2,#4b5563);
border-bottom:1px solid var(--jp-border-color2,#d1d5db);padding:3px 6px}
.hops-snapshot-overview td{padding:3px 6px;border-bottom:1px solid var(--jp-border-color3,#eeeeee);
vertical-align:top;overflow-wrap:anywhere}
.hops-snapshot-overview .hops-badge{display:inline-block;padding:0 8px;border-radius:999px;font-weight:600;
border:1px solid currentColor;white-space:nowrap}
"""
    + tone_css(".hops-snapshot-overview")
    + """.hops-snapshot-overview .hops-muted{color:var(--jp-ui-font-color2,#4b5563)}
.hops-snapshot-overview p{margin:2px 0}
"""
)


def overview_html(w: Any) -> str:
    """A static HTML table of the overview's last state (nbconvert HTML, GitHub's viewer).

    All server text is escaped and sits in ``<bdi>``; attribute values are our own words or
    escaped. Secrets never reach the rows or the error text (see errors.explain), and the
    error is redacted once more here.
    """
    e = html.escape
    table = w.table
    rows = table.rows
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status_label"]] = counts.get(r["status_label"], 0) + 1
    summary = ", ".join(f"{n} {server(label)}" for label, n in sorted(counts.items()))
    body = []
    for r in rows:
        shows_reason = r.get("condition_shows") == "reason"
        lead, other = (r["reason"], r["message"]) if shows_reason else (r["message"], r["reason"])
        note = f"<p class='hops-muted'>{server(other)}</p>" if other and shows_reason else ""
        s2z = " <span class='hops-muted'>scale-to-zero</span>" if r.get("scale_to_zero") else ""
        ready = f" <span class='hops-muted'>{e(r['readiness'])}</span>" if r.get("readiness") else ""
        body.append(
            f"<tr data-status='{e(r['status'])}'>"
            f"<td class='hops-cell-name'><strong>{server(r['name'])}</strong></td>"
            f"<td class='hops-cell-model'>{server(r['model'])}</td>"
            f"<td><span class='hops-badge' data-tone='{e(r['tone'])}'>{server(r['status_label'])}</span></td>"
            f"<td class='hops-cell-message'><p>{server(lead)}</p>{note}</td>"
            f"<td class='hops-cell-instances'>{e(r['instances'])}{ready}{s2z}</td></tr>"
        )
    if not rows:
        body.append("<tr><td colspan='5' class='hops-muted'>No deployments shown yet.</td></tr>")
    error = ""
    if table.error:
        error = f"<p class='hops-error'>{server(redact(table.error, w.source.secrets))}</p>"
    when = ""
    last_ok = table.last_ok_ms or getattr(w, "_last_ok_ms", None)
    if last_ok:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(last_ok / 1000))
        when = f" <span class='hops-muted'>· as of {e(stamp)}</span>"
    detail = ""
    if w.detail is not None:
        detail = detail_html(w.detail)
    return (
        f"<style>{_OVERVIEW_CSS}</style>"
        f"<div class='hops-snapshot-overview'>"
        f"<p><strong>Deployments</strong> <span class='hops-muted'>{len(rows)}"
        f"{' · ' + summary if summary else ''}</span>{when}</p>"
        "<table><thead><tr><th>Name</th><th>Model</th><th>Status</th><th>Condition</th>"
        "<th title='Pods that exist, in any phase (pending and crashing ones count), of the requested'>"
        "Pods (exist of requested)</th>"
        f"</tr></thead><tbody>{''.join(body)}</tbody></table>{error}</div>{detail}"
    )
