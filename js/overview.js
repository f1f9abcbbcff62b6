// hops-widgets: the deployments overview table. Renders the `rows` trait;
// sorting is a per-view presentation choice, everything else comes from Python.

const ICONS = { ok: "✓", idle: "◐", info: "↻", warn: "■", error: "✕", off: "○", neutral: "•", unknown: "?" };
// Order for sorting by status: what needs attention first.
const STATUS_ORDER = ["FAILED", "STARTING", "UPDATING", "STOPPING", "CREATING", "RUNNING", "IDLE", "CREATED", "STOPPED"];
let nextViewId = 1;

function h(tag, className, parent) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (parent) parent.appendChild(node);
  return node;
}

function render({ model, el }) {
  const viewId = `o${nextViewId++}`;
  const root = h("div", "hops-deployment hops-overview", el);
  const header = h("div", "hops-header", root);
  h("span", "hops-name", header).textContent = "Deployments";
  const summary = h("span", "hops-model", header);
  const actions = h("span", "hops-actions", header);
  const refresh = h("button", "hops-button", actions);
  refresh.type = "button";
  refresh.dataset.action = "refresh";
  refresh.textContent = "Refresh";
  let msgId = 0;
  const send = (msg) => model.send({ ...msg, id: `${viewId}-${++msgId}` });
  refresh.addEventListener("click", () => send({ type: "refresh" }));

  const table = h("table", "hops-table", root);
  const head = h("tr", "", h("thead", "", table));
  const body = h("tbody", "", table);
  let sortKey = "name";
  let sortDir = 1;
  const columns = [
    ["name", "Name", true],
    ["model", "Model", false],
    ["status", "Status", true],
    ["message", "Condition", false],
    ["instances", "Instances", false],
    ["actions", "", false],
  ];
  const headers = {};
  for (const [key, label, sortable] of columns) {
    const th = h("th", "", head);
    th.scope = "col";
    if (!sortable) {
      th.textContent = label;
      continue;
    }
    const b = h("button", "hops-sort", th);
    b.type = "button";
    b.dataset.sort = key;
    b.textContent = label;
    b.addEventListener("click", () => {
      sortDir = sortKey === key ? -sortDir : 1;
      sortKey = key;
      updateRows();
    });
    headers[key] = th;
  }
  const error = h("div", "hops-error", root);
  error.setAttribute("role", "alert");
  const actionError = h("div", "hops-action-error", root);
  actionError.setAttribute("role", "alert");
  const footer = h("div", "hops-footer", root);
  const polling = h("span", "hops-polling", footer);

  function compare(a, b) {
    if (sortKey === "status") {
      const rank = (r) => {
        const i = STATUS_ORDER.indexOf(r.status);
        return i === -1 ? STATUS_ORDER.length : i;
      };
      return (rank(a) - rank(b) || a.name.localeCompare(b.name)) * sortDir;
    }
    return a.name.localeCompare(b.name) * sortDir;
  }

  function actionButton(cell, row, action, label) {
    const b = h("button", `hops-button hops-${action}`, cell);
    b.type = "button";
    b.dataset.action = action;
    b.textContent = label;
    const allowed = action === "start" ? row.can_start : row.can_stop;
    b.disabled = !allowed || !!row.pending;
    b.classList.toggle("hops-pending", row.pending === action);
    b.addEventListener("click", (event) => {
      event.stopPropagation();
      if (b.disabled) return;
      if (action === "stop" && !window.confirm(`Stop ${row.name}? Its instances will be released.`)) return;
      b.disabled = true;
      send({ type: action, name: row.name });
    });
  }

  function updateRows() {
    const rows = (model.get("rows") || []).slice().sort(compare);
    const selected = model.get("selected");
    const withActions = model.get("actions_enabled");
    body.replaceChildren();
    for (const row of rows) {
      const tr = h("tr", "hops-row", body);
      tr.dataset.name = row.name;
      tr.dataset.status = row.status;
      tr.tabIndex = 0;
      tr.setAttribute("aria-selected", String(row.name === selected));
      h("td", "hops-cell-name", tr).textContent = row.name;
      h("td", "hops-cell-model", tr).textContent = row.model;
      const badge = h("span", `hops-badge hops-tone-${row.tone}${row.busy ? " hops-busy" : ""}`, h("td", "", tr));
      const icon = h("span", "hops-badge-icon", badge);
      icon.setAttribute("aria-hidden", "true");
      icon.textContent = ICONS[row.tone] || ICONS.unknown;
      h("span", "hops-badge-text", badge).textContent = row.status_label;
      const cond = h("td", "hops-cell-message", tr);
      cond.textContent = row.message;
      cond.title = row.reason;
      const inst = h("td", "hops-cell-instances", tr);
      inst.textContent = row.instances;
      if (row.scale_to_zero) h("span", "hops-scale-to-zero", inst).textContent = "scale-to-zero";
      const cell = h("td", "hops-cell-actions", tr);
      if (withActions) {
        actionButton(cell, row, "start", "Start");
        actionButton(cell, row, "stop", "Stop");
      }
      const open = () => send({ type: "select", name: row.name });
      tr.addEventListener("click", open);
      tr.addEventListener("keydown", (e) => {
        if (e.key === "Enter") open();
      });
    }
    for (const [key, th] of Object.entries(headers)) {
      th.setAttribute("aria-sort", key === sortKey ? (sortDir > 0 ? "ascending" : "descending") : "none");
    }
    const counts = {};
    for (const r of rows) counts[r.status_label] = (counts[r.status_label] || 0) + 1;
    summary.textContent = `${rows.length} · ${Object.entries(counts)
      .map(([k, n]) => `${n} ${k}`)
      .join(", ")}`;
  }
  function updateStatus() {
    const text = model.get("error");
    error.hidden = !text;
    const lastOk = model.get("last_ok_ms");
    error.textContent = text ? `${text}${lastOk ? ` Last good update: ${new Date(lastOk).toLocaleTimeString()}.` : ""}` : "";
    const ae = model.get("action_error");
    actionError.hidden = !ae;
    actionError.textContent = ae;
    const mode = model.get("polling");
    polling.dataset.mode = mode;
    polling.textContent = mode === "backoff" ? `retrying in ${model.get("interval_s")} s` : `checking every ${model.get("interval_s") ?? "?"} s`;
  }
  for (const n of ["rows", "selected", "actions_enabled"]) model.on(`change:${n}`, updateRows);
  for (const n of ["error", "last_ok_ms", "action_error", "polling", "interval_s"]) model.on(`change:${n}`, updateStatus);
  updateRows();
  updateStatus();

  // visibility, as in the detail view: the poller slows down off screen
  let lastSent = null;
  let onScreen = false;
  const report = () => {
    const visible = onScreen && document.visibilityState === "visible";
    if (visible === lastSent) return;
    lastSent = visible;
    try {
      model.send({ type: "visibility", view: viewId, visible });
    } catch {
      // the model is closed
    }
  };
  const observer = typeof IntersectionObserver === "function" ? new IntersectionObserver((es) => {
    onScreen = es.some((e) => e.isIntersecting);
    report();
  }) : null;
  if (observer) observer.observe(root);
  else onScreen = true;
  document.addEventListener("visibilitychange", report);
  report();
  return () => {
    observer?.disconnect();
    document.removeEventListener("visibilitychange", report);
    onScreen = false;
    report();
  };
}

export default { render };
