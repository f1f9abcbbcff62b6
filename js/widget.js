// hops-widgets: the live deployment view. A pure render of the model's traits.
// Server text goes through textContent only; the view computes no state.

/** @typedef {{ get(k: string): any, on(e: string, f: Function): void, send(m: object): void }} Model */

const ICONS = {
  ok: "✓",
  idle: "◐",
  info: "↻",
  warn: "■",
  error: "✕",
  off: "○",
  neutral: "•",
  unknown: "?",
};
const STEP_ICONS = { done: "✓", active: "…", failed: "✕", pending: "○" };
let nextViewId = 1;

/**
 * @param {string} tag
 * @param {string} className
 * @param {HTMLElement} [parent]
 * @returns {HTMLElement}
 */
function h(tag, className, parent) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (parent) parent.appendChild(node);
  return node;
}

/** @param {number | null} n */
const num = (n) => (n === null || n === undefined ? "?" : String(n));

/** @param {number} seconds */
export function ago(seconds) {
  if (seconds < 5) return "just now";
  if (seconds < 60) return `${Math.floor(seconds)} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return `${Math.floor(seconds / 3600)} h ago`;
}

/** @param {number} seconds */
export function duration(seconds) {
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** What the poller is doing, in words (both views). */
export function pollingText(mode, every) {
  const texts = {
    fast: `checking every ${every} s`,
    stable: `checking every ${every} s`,
    hidden: `off screen: checking every ${every} s`,
    paused: "paused while off screen",
    backoff: `next try in ${every} s`,
    waiting: "waiting for the server to answer",
    stopped: "not polling",
    starting: "connecting…",
  };
  return texts[mode] || mode;
}

/** Build the instance row for one component. */
function instanceRow(parent, role, label) {
  const row = h("div", "hops-instance", parent);
  row.dataset.role = role;
  h("span", "hops-instance-label", row).textContent = label;
  const count = h("span", "hops-count", row);
  const bar = h("span", "hops-bar", row);
  const fill = h("span", "hops-bar-fill", bar);
  return { row, count, fill };
}

/**
 * Tell Python whether this view is on screen (IntersectionObserver + page visibility),
 * so the poller can slow down when nobody looks. Returns the cleanup.
 * @param {Model} model
 * @param {HTMLElement} root
 * @param {string} viewId
 */
function watchVisibility(model, root, viewId) {
  let onScreen = typeof IntersectionObserver !== "function";
  let lastSent = null;
  const report = () => {
    const visible = onScreen && document.visibilityState === "visible";
    if (visible === lastSent) return;
    lastSent = visible;
    try {
      model.send({ type: "visibility", view: viewId, visible });
    } catch {
      // the model is already closed: nobody is listening any more
    }
  };
  const observer = onScreen
    ? null
    : new IntersectionObserver((entries) => {
        onScreen = entries.some((e) => e.isIntersecting);
        report();
      });
  observer?.observe(root);
  document.addEventListener("visibilitychange", report);
  report();
  return () => {
    observer?.disconnect();
    document.removeEventListener("visibilitychange", report);
    onScreen = false;
    report();
  };
}

/** A badge: tone on the border and icon, the word at full contrast. */
function setBadge(badge, icon, text, tone, busy, label) {
  badge.className = `hops-badge hops-tone-${tone}${busy ? " hops-busy" : ""}`;
  icon.textContent = ICONS[tone] || ICONS.unknown;
  text.textContent = label;
}

/** @param {{ model: Model, el: HTMLElement }} ctx */
function renderDeployment({ model, el }) {
  const viewId = `v${nextViewId++}-${Math.random().toString(36).slice(2, 8)}`;
  const root = h("div", "hops-deployment", el);

  // header: badge, name, model
  const header = h("div", "hops-header", root);
  const badge = h("span", "hops-badge", header);
  badge.setAttribute("role", "status");
  badge.setAttribute("aria-live", "polite");
  const badgeIcon = h("span", "hops-badge-icon", badge);
  badgeIcon.setAttribute("aria-hidden", "true");
  const badgeText = h("span", "hops-badge-text", badge);
  const badgeStale = h("span", "hops-badge-stale", badge);
  badgeStale.textContent = "last known";
  const name = h("span", "hops-name", header);
  const modelInfo = h("span", "hops-model", header);
  const actions = h("span", "hops-actions", header);

  // condition
  const message = h("p", "hops-message", root);
  const reason = h("p", "hops-reason", root);
  const reasonCut = h("span", "hops-reason-cut", root);
  const steps = h("ol", "hops-steps", root);
  steps.setAttribute("aria-label", "Progress");

  // instances
  const instances = h("div", "hops-instances", root);
  const predictor = instanceRow(instances, "predictor", "Predictor");
  const transformer = instanceRow(instances, "transformer", "Transformer");
  const s2z = h("span", "hops-scale-to-zero", instances);
  s2z.textContent = "scale-to-zero";
  s2z.title = "Minimum instances is 0: with no traffic the deployment idles at 0 instances, which is healthy.";

  // history: timeline + sparkline of available instances
  const historyBox = h("details", "hops-history", root);
  const historySummary = h("summary", "", historyBox);
  historySummary.textContent = "History";
  const chart = h("figure", "hops-chart", historyBox);
  const chartTitle = h("figcaption", "hops-chart-title", chart);
  const plot = h("div", "hops-chart-plot", chart);
  const axis = h("div", "hops-chart-axis", plot);
  axis.setAttribute("aria-hidden", "true");
  const axisTop = h("span", "", axis);
  const axisBottom = h("span", "", axis);
  axisBottom.textContent = "0";
  const SVG = "http://www.w3.org/2000/svg";
  const spark = document.createElementNS(SVG, "svg");
  spark.setAttribute("class", "hops-sparkline");
  spark.setAttribute("viewBox", "0 0 200 40");
  spark.setAttribute("preserveAspectRatio", "none");
  spark.setAttribute("role", "img");
  const sparkGrid = document.createElementNS(SVG, "polyline");
  sparkGrid.setAttribute("class", "hops-chart-grid");
  sparkGrid.setAttribute("points", "0,2 200,2");
  const sparkLine = document.createElementNS(SVG, "polyline");
  spark.append(sparkGrid, sparkLine);
  plot.appendChild(spark);
  const span = h("div", "hops-chart-span", chart);
  span.setAttribute("aria-hidden", "true");
  const spanStart = h("span", "", span);
  h("span", "", span).textContent = "now";
  const timeline = h("ol", "hops-timeline", historyBox);

  // problems, error banner, footer
  const problems = h("ul", "hops-problems", root);
  const error = h("div", "hops-error", root);
  error.setAttribute("role", "alert");
  const actionError = h("div", "hops-action-error", root);
  actionError.setAttribute("role", "alert");
  const footer = h("div", "hops-footer", root);
  const checked = h("span", "hops-checked", footer);
  const updated = h("span", "hops-updated", footer);
  const polling = h("span", "hops-polling", footer);
  // When the kernel was last heard from. Polls that find nothing new send nothing, so between
  // messages the poller's own schedule bounds how old the last check can be.
  let heardAt = 0;
  const heard = () => {
    heardAt = Date.now();
  };

  // ---------------------------------------------------------------- actions
  /** @type {Record<string, HTMLButtonElement>} */
  const buttons = {};
  let msgId = 0;
  for (const [action, label] of [
    ["start", "Start"],
    ["stop", "Stop"],
    ["refresh", "Refresh"],
  ]) {
    const b = /** @type {HTMLButtonElement} */ (h("button", `hops-button hops-${action}`, actions));
    b.type = "button";
    b.dataset.action = action;
    b.textContent = label;
    b.addEventListener("click", () => {
      if (b.disabled) return;
      if (action === "stop" && !confirmStop()) return;
      b.disabled = true; // one click, one action; traits re-enable it
      model.send({ type: action, id: `${viewId}-${++msgId}` });
    });
    buttons[action] = b;
  }
  function confirmStop() {
    const who = model.get("name") || "this deployment";
    return window.confirm(`Stop ${who}? Its instances will be released and requests will fail until it is started again.`);
  }

  // ---------------------------------------------------------------- updates
  function updateStatus() {
    const tone = model.get("tone") || "neutral";
    root.dataset.status = model.get("status");
    root.dataset.tone = tone;
    setBadge(badge, badgeIcon, badgeText, tone, model.get("busy"), model.get("status_label"));
    const stale = model.get("stale");
    badge.classList.toggle("hops-stale", stale);
    badgeStale.hidden = !stale;
    if (stale) badgeIcon.textContent = "?";
    badge.title = stale
      ? "Last known status: the server cannot be reached, so this may be out of date."
      : model.get("status_description");
    root.dataset.stale = String(stale);
  }
  function updateIdentity() {
    name.textContent = model.get("name");
    const m = model.get("model_name");
    const v = model.get("model_version");
    modelInfo.textContent = m ? `${m}${v === null ? "" : ` v${v}`}` : "";
    modelInfo.hidden = !m;
  }
  function updateCondition() {
    message.textContent = model.get("message");
    const r = model.get("condition_reason");
    reason.textContent = r;
    reason.hidden = !r;
    const cut = model.get("reason_cut_chars");
    reasonCut.hidden = !cut;
    reasonCut.textContent = cut ? `…and ${cut} more characters (widget.state.condition.reason has the full text)` : "";
  }
  function updateSteps() {
    steps.replaceChildren();
    const list = model.get("steps") || [];
    steps.hidden = list.length === 0;
    for (const step of list) {
      const li = h("li", "hops-step", steps);
      li.dataset.type = step.type;
      li.dataset.state = step.state;
      const icon = h("span", "hops-step-icon", li);
      icon.setAttribute("aria-hidden", "true");
      icon.textContent = STEP_ICONS[step.state] || "";
      h("span", "hops-step-label", li).textContent = step.label;
      li.title = `${step.label}: ${step.state}`;
    }
  }
  function setCount(part, available, requested) {
    part.count.textContent = `${num(available)}/${num(requested)}`;
    const ratio = requested ? Math.min(1, (available || 0) / requested) : available ? 1 : 0;
    part.fill.style.width = `${Math.round(ratio * 100)}%`;
  }
  function updateInstances() {
    setCount(predictor, model.get("predictor_available"), model.get("predictor_requested"));
    transformer.row.hidden = !model.get("has_transformer");
    setCount(transformer, model.get("transformer_available"), model.get("transformer_requested"));
    s2z.hidden = !model.get("scale_to_zero");
  }
  function updateProblems() {
    problems.replaceChildren();
    const list = model.get("problems") || [];
    problems.hidden = list.length === 0;
    for (const p of list) h("li", "", problems).textContent = p;
  }
  function updateError() {
    const text = model.get("error");
    error.hidden = !text;
    if (!text) {
      error.textContent = "";
      return;
    }
    const lastOk = model.get("last_ok_ms");
    const when = lastOk ? ` Last good update: ${new Date(lastOk).toLocaleTimeString()}.` : "";
    error.textContent = `${text}${when}`;
  }
  function updateActions() {
    const enabled = model.get("actions_enabled");
    actions.hidden = !enabled;
    const pending = model.get("pending_action");
    buttons.start.disabled = !model.get("can_start") || !!pending;
    buttons.stop.disabled = !model.get("can_stop") || !!pending;
    buttons.refresh.disabled = false;
    for (const action of ["start", "stop"]) {
      buttons[action].classList.toggle("hops-pending", pending === action);
      buttons[action].setAttribute("aria-busy", String(pending === action));
    }
    const ae = model.get("action_error");
    actionError.hidden = !ae;
    actionError.textContent = ae;
  }
  function updateHistory() {
    // newest status first; the condition steps seen during a status are listed inside it
    const entries = model.get("history") || [];
    timeline.replaceChildren();
    for (const entry of entries.slice().reverse()) {
      const li = h("li", "hops-event", timeline);
      li.dataset.status = entry.status;
      const head = h("div", "hops-event-head", li);
      h("time", "hops-event-time", head).textContent = new Date(entry.at_ms).toLocaleTimeString();
      h("span", "hops-event-label", head).textContent = entry.label;
      const took = entry.duration_s === null ? "so far" : duration(entry.duration_s);
      h("span", "hops-event-duration", head).textContent = took;
      li.title = entry.message;
      const steps = entry.steps || [];
      if (steps.length === 0) continue;
      const list = h("ol", "hops-event-steps", li);
      for (const step of steps) {
        const item = h("li", "hops-event-step", list);
        h("time", "hops-event-time", item).textContent = new Date(step.at_ms).toLocaleTimeString();
        h("span", "", item).textContent = step.label;
      }
    }
    const n = entries.length;
    historySummary.textContent = `History (${n} ${n === 1 ? "status" : "statuses"})`;
  }
  function updateSeries() {
    const points = (model.get("instance_series") || []).filter((p) => p[1] !== null);
    const top = Math.max(1, ...points.map((p) => p[1]));
    const t0 = points.length ? points[0][0] : Date.now();
    const minutes = Math.max(0, (Date.now() - t0) / 60000);
    const spanText = minutes < 1 ? `${Math.max(1, Math.round(minutes * 60))} s` : `${Math.round(minutes)} min`;
    chartTitle.textContent = `Available predictor instances, last ${spanText}`;
    axisTop.textContent = String(top);
    spanStart.textContent = points.length ? new Date(t0).toLocaleTimeString() : "";
    chart.hidden = points.length === 0;
    spark.setAttribute(
      "aria-label",
      `Available predictor instances over the last ${spanText}, from 0 to ${top}: ${points.map((p) => p[1]).join(", ")}`,
    );
    if (points.length === 0) {
      sparkLine.setAttribute("points", "");
      return;
    }
    const t1 = Math.max(Date.now(), points[points.length - 1][0]);
    const x = (t) => (t1 === t0 ? 200 : ((t - t0) / (t1 - t0)) * 200);
    const y = (v) => 38 - (v / top) * 36;
    // a step line: the count holds until the next change
    const coords = [];
    points.forEach(([t, v], i) => {
      if (i > 0) coords.push(`${x(t).toFixed(1)},${y(points[i - 1][1]).toFixed(1)}`);
      coords.push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`);
    });
    coords.push(`200,${y(points[points.length - 1][1]).toFixed(1)}`);
    sparkLine.setAttribute("points", coords.join(" "));
  }
  function updateFooter() {
    const mode = model.get("polling");
    const every = model.get("interval_s");
    const changed = model.get("changed_at_ms");
    // Fact 1: when the server was last checked.
    const sinceHeard = (Date.now() - heardAt) / 1000;
    const live = (mode === "fast" || mode === "stable") && !model.get("error");
    let check = "";
    // between messages the last check is at most one interval old
    if (live && heardAt && every && sinceHeard > every + 1) check = every < 5 ? "checked just now" : `checked in the last ${every} s`;
    else if (live && heardAt) check = `checked ${ago(sinceHeard)}`;
    else if (model.get("last_ok_ms") && model.get("error")) {
      check = `last answer ${ago((Date.now() - model.get("last_ok_ms")) / 1000)}`;
    }
    checked.textContent = check;
    checked.hidden = !check;
    // Fact 2: when the state last changed.
    updated.textContent = changed ? `changed ${ago((Date.now() - changed) / 1000)}` : "waiting for the first update";
    updated.title = changed ? `the state last changed at ${new Date(changed).toLocaleTimeString()}` : "";
    polling.textContent = pollingText(mode, every);
    polling.dataset.mode = mode;
  }

  const wiring = [
    ["status tone busy status_label status_description stale", updateStatus],
    ["name model_name model_version", updateIdentity],
    ["message condition_reason reason_cut_chars", updateCondition],
    ["steps", updateSteps],
    ["predictor_available predictor_requested has_transformer transformer_available transformer_requested scale_to_zero", updateInstances],
    ["problems", updateProblems],
    ["error last_ok_ms", updateError],
    ["can_start can_stop pending_action action_error actions_enabled", updateActions],
    ["changed_at_ms polling interval_s", updateFooter],
    ["history", updateHistory],
    ["instance_series", updateSeries],
  ];
  for (const [names, fn] of wiring) {
    for (const n of names.split(" ")) model.on(`change:${n}`, fn);
    fn();
  }
  // any message from the poller means the server was just checked
  for (const n of ["changed_at_ms", "polling", "interval_s", "error", "last_ok_ms"]) {
    model.on(`change:${n}`, () => {
      heard();
      updateFooter();
    });
  }
  if (model.get("changed_at_ms")) heard();
  updateFooter();
  model.on("msg:custom", (msg) => {
    // an answered action re-enables its button through the traits; refresh has none
    if (msg && msg.type === "ack") {
      if (msg.ok) heard(); // a finished action or refresh ends with a poll
      updateActions();
      updateFooter();
    }
  });

  const stopWatching = watchVisibility(model, root, viewId);
  const ticker = setInterval(updateFooter, 1000);

  return () => {
    clearInterval(ticker);
    stopWatching();
  };
}


// ==================================================================== overview
// Order for sorting by status: what needs attention first.
const STATUS_ORDER = ["FAILED", "STARTING", "UPDATING", "STOPPING", "CREATING", "RUNNING", "IDLE", "CREATED", "STOPPED"];
const statusRank = (row) => {
  const i = STATUS_ORDER.indexOf(row.status);
  return i === -1 ? STATUS_ORDER.length : i;
};

/**
 * The deployments table. Rows are keyed by name and updated in place, so a
 * row keeps its focus and hover while the table refreshes.
 * @param {{ model: Model, el: HTMLElement }} ctx
 */
function renderOverview({ model, el }) {
  const viewId = `o${nextViewId++}-${Math.random().toString(36).slice(2, 8)}`;
  let msgId = 0;
  const send = (msg) => model.send({ ...msg, id: `${viewId}-${++msgId}` });

  const root = h("div", "hops-deployment hops-overview", el);
  const header = h("div", "hops-header", root);
  h("span", "hops-name", header).textContent = "Deployments";
  const summary = h("span", "hops-model", header);
  const actions = h("span", "hops-actions", header);
  const refresh = /** @type {HTMLButtonElement} */ (h("button", "hops-button", actions));
  refresh.type = "button";
  refresh.dataset.action = "refresh";
  refresh.textContent = "Refresh";
  refresh.addEventListener("click", () => send({ type: "refresh" }));

  const table = h("table", "hops-table", root);
  // Fixed column widths: long names are cut with an ellipsis instead of widening the table.
  const cols = h("colgroup", "", table);
  /** @type {Record<string, HTMLElement>} */
  const col = {};
  for (const key of ["name", "status", "message", "instances", "actions"]) col[key] = h("col", `hops-col-${key}`, cols);
  const head = h("tr", "", h("thead", "", table));
  const body = h("tbody", "", table);
  let sortKey = "name";
  let sortDir = 1;
  /** @type {Record<string, HTMLElement>} */
  const sortHeaders = {};
  /** @type {Record<string, HTMLElement>} */
  const headers = {};
  for (const [key, label, sortable] of [
    ["name", "Name · model", true],
    ["status", "Status", true],
    ["message", "Condition", false],
    ["instances", "Instances", false],
    ["actions", "Actions", false],
  ]) {
    const th = h("th", `hops-head-${key}`, head);
    th.scope = "col";
    headers[key] = th;
    if (!sortable) {
      th.textContent = label;
      continue;
    }
    const b = /** @type {HTMLButtonElement} */ (h("button", "hops-sort", th));
    b.type = "button";
    b.dataset.sort = key;
    b.textContent = label;
    b.addEventListener("click", () => {
      sortDir = sortKey === key ? -sortDir : 1;
      sortKey = key;
      updateRows();
    });
    sortHeaders[key] = th;
  }
  const error = h("div", "hops-error", root);
  error.setAttribute("role", "alert");
  const actionError = h("div", "hops-action-error", root);
  actionError.setAttribute("role", "alert");
  const polling = h("span", "hops-polling", h("div", "hops-footer", root));

  /** One table row, built once per deployment name and updated in place. */
  function makeRow(name) {
    const tr = h("tr", "hops-row");
    tr.dataset.name = name;
    tr.tabIndex = 0;
    const entry = { tr, row: null };
    // name and model share a cell, one line each, cut with an ellipsis (full text: title, or row focus)
    const who = h("td", "hops-cell-who", tr);
    entry.name = h("div", "hops-cell-name hops-clip", who);
    entry.model = h("div", "hops-cell-model hops-clip", who);
    entry.badge = h("span", "hops-badge", h("td", "hops-cell-status", tr));
    entry.icon = h("span", "hops-badge-icon", entry.badge);
    entry.icon.setAttribute("aria-hidden", "true");
    entry.label = h("span", "hops-badge-text", entry.badge);
    entry.message = h("td", "hops-cell-message", tr);
    entry.text = h("span", "hops-cell-text", entry.message);
    const instances = h("td", "hops-cell-instances", tr);
    entry.counts = h("span", "hops-count", instances);
    entry.s2z = h("span", "hops-scale-to-zero", instances);
    entry.s2z.textContent = "scale-to-zero";
    entry.actions = h("td", "hops-cell-actions", tr);
    const cell = h("span", "hops-row-actions", entry.actions);
    entry.buttons = {};
    for (const [action, text] of [
      ["start", "Start"],
      ["stop", "Stop"],
    ]) {
      const b = /** @type {HTMLButtonElement} */ (h("button", `hops-button hops-${action}`, cell));
      b.type = "button";
      b.dataset.action = action;
      b.textContent = text;
      b.addEventListener("click", (event) => {
        event.stopPropagation();
        if (b.disabled) return;
        if (action === "stop" && !window.confirm(`Stop ${name}? Its instances will be released.`)) return;
        b.disabled = true; // one click, one action
        send({ type: action, name });
      });
      b.addEventListener("keydown", (event) => event.stopPropagation());
      entry.buttons[action] = b;
    }
    const open = () => send({ type: "select", name });
    tr.addEventListener("click", open);
    tr.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        open();
      }
    });
    return entry;
  }

  function fillRow(entry, row, selected, withActions) {
    entry.row = row;
    entry.tr.dataset.status = row.status;
    entry.tr.setAttribute("aria-selected", String(row.name === selected));
    entry.name.textContent = row.label ?? row.name;
    entry.name.title = row.label ?? row.name;
    entry.model.textContent = row.model_label ?? row.model;
    entry.model.title = row.model_label ?? row.model;
    entry.model.hidden = !row.model;
    setBadge(entry.badge, entry.icon, entry.label, row.tone, row.busy, row.status_label);
    entry.badge.title = row.status_label;
    // Failed and moving rows lead with the server's reason (what to act on); the others with the
    // plain sentence. Python decides which (condition_shows); the other text is the tooltip.
    const showsReason = row.condition_shows === "reason";
    entry.message.dataset.shows = showsReason ? "reason" : "message";
    entry.text.textContent = showsReason ? row.reason : row.message;
    entry.message.title = showsReason ? `${row.reason}\n${row.message}` : row.reason || row.message;
    entry.counts.textContent = row.instances;
    entry.s2z.hidden = !row.scale_to_zero;
    entry.actions.hidden = !withActions;
    for (const [action, b] of Object.entries(entry.buttons)) {
      b.hidden = !withActions;
      b.disabled = !(action === "start" ? row.can_start : row.can_stop) || !!row.pending;
      b.classList.toggle("hops-pending", row.pending === action);
      b.setAttribute("aria-busy", String(row.pending === action));
    }
  }

  /** @type {Map<string, any>} */
  const entries = new Map();
  function updateRows() {
    const rows = (model.get("rows") || []).slice();
    const byName = (a, b) => a.name.localeCompare(b.name);
    rows.sort(
      sortKey === "status"
        ? (a, b) => (statusRank(a) - statusRank(b) || byName(a, b)) * sortDir
        : (a, b) => byName(a, b) * sortDir,
    );
    const selected = model.get("selected");
    const withActions = model.get("actions_enabled");
    col.actions.hidden = !withActions;
    headers.actions.hidden = !withActions;
    const names = new Set(rows.map((r) => r.name));
    for (const [name, entry] of entries) {
      if (!names.has(name)) {
        entry.tr.remove();
        entries.delete(name);
      }
    }
    rows.forEach((row, i) => {
      let entry = entries.get(row.name);
      if (!entry) {
        entry = makeRow(row.name);
        entries.set(row.name, entry);
      }
      fillRow(entry, row, selected, withActions);
      // move only rows that are out of place, so a focused row stays put
      if (body.children[i] !== entry.tr) body.insertBefore(entry.tr, body.children[i] || null);
    });
    for (const [key, th] of Object.entries(sortHeaders)) {
      th.setAttribute("aria-sort", key === sortKey ? (sortDir > 0 ? "ascending" : "descending") : "none");
    }
    const counts = {};
    for (const r of rows) counts[r.status_label] = (counts[r.status_label] || 0) + 1;
    const parts = Object.entries(counts).map(([label, n]) => `${n} ${label}`);
    summary.textContent = `${rows.length} · ${parts.join(", ")}`;
  }
  function updateStatus() {
    const text = model.get("error");
    error.hidden = !text;
    const lastOk = model.get("last_ok_ms");
    const when = lastOk ? ` Last good update: ${new Date(lastOk).toLocaleTimeString()}.` : "";
    error.textContent = text ? `${text}${when}` : "";
    const ae = model.get("action_error");
    actionError.hidden = !ae;
    actionError.textContent = ae;
    const mode = model.get("polling");
    const every = model.get("interval_s");
    polling.dataset.mode = mode;
    polling.textContent = mode === "backoff" ? `retrying in ${every} s` : `checking every ${every ?? "?"} s`;
  }
  for (const n of ["rows", "selected", "actions_enabled"]) model.on(`change:${n}`, updateRows);
  for (const n of ["error", "last_ok_ms", "action_error", "polling", "interval_s"]) model.on(`change:${n}`, updateStatus);
  updateRows();
  updateStatus();
  return watchVisibility(model, root, viewId);
}

/** One module for both widgets: the `_view` trait says which one this model is. */
function render(ctx) {
  return ctx.model.get("_view") === "overview" ? renderOverview(ctx) : renderDeployment(ctx);
}

export default { render };
