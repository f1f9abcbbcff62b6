// hops-widgets: the live deployment views. A pure render of the model's traits.
// Server text goes through textContent only; the view computes no state.
//
// Shape: one channel per model (made in `initialize`), a table of SECTIONS, each
// `{ traits, build(el, ctx) -> update }`, and VIEWS, lists of section names.
// `mount()` builds a view's sections once, wires their traits and returns one cleanup.
// The overview embeds the detail's sections over a proxy of its `detail_state` trait.

/**
 * @typedef {{ get(k: string): any, set(k: string, v: any): void, on(e: string, f: Function): void,
 *             off(e: string, f?: Function): void, send(m: object): void }} Model
 * @typedef {{ get(k: string): any, on(k: string, f: () => void): () => void, dispose?: () => void }} Source
 * @typedef {{ request(type: string, body?: object, timeoutMs?: number): Promise<any>,
 *             notify(type: string, body?: object): void, on(type: string, f: Function): () => void,
 *             waiting(): string[], close(): void }} Channel
 * @typedef {{ cls?: string, rgb?: string } | null} AnsiColour
 */

/** @type {Record<string, string>} */
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
const SVG_NS = "http://www.w3.org/2000/svg";
/** @type {Record<string, string>} */
const STEP_ICONS = { done: "✓", active: "…", failed: "✕", pending: "○" };
const HISTORY_KEEP = 50;
const SERIES_KEEP = 120;
const REQUEST_TIMEOUT_MS = 30_000;

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

/**
 * A section that opens and closes: `<details class="hops-NAME">`, its summary the title and a brief
 * (`hops-NAME-title`, `hops-NAME-brief`), then a paragraph that screen readers announce.
 * @param {HTMLElement} el
 * @param {string} name
 * @param {string} title
 * @param {string} noteClass
 */
function disclosure(el, name, title, noteClass) {
  const box = /** @type {HTMLDetailsElement} */ (h("details", `hops-${name}`, el));
  const summary = h("summary", "", box);
  h("span", `hops-${name}-title`, summary).textContent = title;
  const brief = h("span", `hops-${name}-brief`, summary);
  const note = h("p", noteClass, box);
  note.setAttribute("aria-live", "polite");
  return { box, brief, note };
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

/** What the poller is doing, in words (both views). @param {string} mode @param {number | null} every @returns {string} */
export function pollingText(mode, every) {
  if (every === null || every === undefined) {
    return /** @type {Record<string, string>} */ ({ paused: "paused while off screen", waiting: "waiting for the server to answer", stopped: "not polling" })[mode] || "connecting…";
  }
  /** @type {Record<string, string>} */
  const texts = {
    fast: `checking every ${every} s`,
    stable: `checking every ${every} s`,
    hidden: `off screen: checking every ${every} s`,
    backoff: `next try in ${every} s`,
  };
  return texts[mode] || pollingText(mode, null);
}

/**
 * A badge: tone on the border and icon, the word at full contrast.
 * @param {HTMLElement} badge @param {HTMLElement} icon @param {HTMLElement} text @param {string} tone
 * @param {boolean} busy @param {string} label
 */
export function setBadge(badge, icon, text, tone, busy, label) {
  badge.className = `hops-badge hops-tone-${tone}${busy ? " hops-busy" : ""}`;
  icon.textContent = ICONS[tone] || ICONS.unknown;
  text.textContent = label;
}

/** The badge's three parts, built once. @param {HTMLElement} parent */
function makeBadge(parent) {
  const badge = h("span", "hops-badge", parent);
  const icon = h("span", "hops-badge-icon", badge);
  icon.setAttribute("aria-hidden", "true");
  const text = h("span", "hops-badge-text", badge);
  return { badge, icon, text };
}

/** @param {string} action @param {string} label @param {HTMLElement} parent */
function makeButton(action, label, parent, extraClass = "") {
  const b = /** @type {HTMLButtonElement} */ (h("button", `hops-button hops-${action}${extraClass}`, parent));
  b.type = "button";
  b.dataset.action = action;
  b.textContent = label;
  return b;
}

// ==================================================================== log text
const LOG_KEEP = 2000;
// Terminal escape sequences, as hops_widgets/_text.py ESCAPE_SEQUENCE: CSI (SGR among them), OSC
// (title, 8 hyperlink) ended by BEL or ST, DCS/SOS/PM/APC strings, character sets, short ones.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-?]*[ -/]*(?:[@-~]|$)|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b[!-/]+[0-~]|\x1b[78=>c]/g;
// Characters that change how text reads without being seen (as hops_widgets/_text.py _HIDDEN).
// eslint-disable-next-line no-control-regex
const HIDDEN = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/** Hidden characters (bidi overrides, BEL, a lone ESC, C1) written out as `⟨U+202E⟩`. @param {string} text */
export function visibleText(text) {
  return text.replace(HIDDEN, (c) => `⟨U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}⟩`);
}

/** A log line as it reads on screen (copies): no escape sequence, nothing hidden. @param {string} text */
export function stripEscapes(text) {
  return visibleText(text.replace(ESCAPES, ""));
}

const CUBE = [0, 95, 135, 175, 215, 255];
/**
 * An xterm 256-colour index as a colour: 0–15 the 16 named ones (their classes), then the 6×6×6 cube and the greys.
 * @param {number} n @param {boolean} bg @returns {{cls?: string, rgb?: string} | null}
 */
export function color256(n, bg) {
  if (!Number.isInteger(n) || n < 0 || n > 255) return null;
  if (n < 16) return { cls: String((n < 8 ? 30 + n : 90 + n - 8) + (bg ? 10 : 0)) };
  if (n >= 232) {
    const g = 8 + 10 * (n - 232);
    return { rgb: `rgb(${g}, ${g}, ${g})` };
  }
  const i = n - 16;
  return { rgb: `rgb(${CUBE[Math.floor(i / 36)]}, ${CUBE[Math.floor(i / 6) % 6]}, ${CUBE[i % 6]})` };
}

/** @param {number[]} v @returns {{rgb: string} | null} */
const truecolor = (v) =>
  v.length === 3 && v.every((x) => Number.isInteger(x) && x >= 0 && x <= 255) ? { rgb: `rgb(${v[0]}, ${v[1]}, ${v[2]})` } : null;

/**
 * Apply one SGR parameter list (`ESC[…m`) to `st`: reset, bold, dim, italic, underline, the 16
 * colours, 256 colours and truecolor, foreground and background (`;` or `:` separated).
 * @param {string} params @param {any} st
 */
export function applySgr(params, st) {
  const codes = params === "" ? ["0"] : params.split(";");
  for (let i = 0; i < codes.length; i++) {
    const raw = codes[i];
    let sub = null;
    let c = raw === "" ? 0 : Number(raw);
    if (raw.includes(":")) {
      sub = raw.split(":").map((x) => (x === "" ? NaN : Number(x)));
      c = sub[0];
    }
    if (c === 38 || c === 48 || c === 58) {
      let colour = null;
      if (sub) {
        // 38:5:n, 38:2:r:g:b or 38:2:space:r:g:b
        if (sub[1] === 5) colour = color256(sub[2], c === 48);
        else if (sub[1] === 2) colour = truecolor(sub.length >= 6 ? sub.slice(3, 6) : sub.slice(2, 5));
      } else {
        const mode = Number(codes[i + 1]);
        if (mode === 5) {
          colour = color256(Number(codes[i + 2]), c === 48);
          i += 2;
        } else if (mode === 2) {
          colour = truecolor(codes.slice(i + 2, i + 5).map(Number));
          i += 4;
        } else i += 1;
      }
      if (c === 38) st.fg = colour;
      else if (c === 48) st.bg = colour;
      continue;
    }
    if (!Number.isInteger(c)) continue;
    if (c === 0) Object.assign(st, { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false });
    else if (c === 1) st.bold = true;
    else if (c === 2) st.dim = true;
    else if (c === 3) st.italic = true;
    else if (c === 4 || c === 21) st.underline = true;
    else if (c === 22) st.bold = st.dim = false;
    else if (c === 23) st.italic = false;
    else if (c === 24) st.underline = false;
    else if ((c >= 30 && c <= 37) || (c >= 90 && c <= 97)) st.fg = { cls: String(c) };
    else if (c === 39) st.fg = null;
    else if ((c >= 40 && c <= 47) || (c >= 100 && c <= 107)) st.bg = { cls: String(c) };
    else if (c === 49) st.bg = null;
  }
}

/**
 * Write a log line into `row` as text: SGR styles become classes (and, for 256 colours and
 * truecolor, a custom property the CSS reads), an OSC 8 hyperlink becomes a link only for an
 * http(s) address, every other escape sequence is removed whole, and hidden characters are written
 * out. Never markup from the server: text goes through textContent.
 * @param {HTMLElement} row @param {string} text
 */
export function renderAnsi(row, text) {
  /** @type {{ fg: AnsiColour, bg: AnsiColour, bold: boolean, dim: boolean, italic: boolean, underline: boolean, link: string } & Record<string, any>} */
  const st = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false, link: "" };
  let at = 0;
  /** @param {string} chunk */
  const put = (chunk) => {
    chunk = visibleText(chunk);
    if (!chunk) return;
    const plain = !st.fg && !st.bg && !st.bold && !st.dim && !st.italic && !st.underline;
    if (plain && !st.link) {
      row.appendChild(document.createTextNode(chunk));
      return;
    }
    const classes = [];
    if (st.fg) classes.push(st.fg.cls ? `hops-ansi-${st.fg.cls}` : "hops-ansi-rgb");
    if (st.bg) classes.push(st.bg.cls ? `hops-ansi-${st.bg.cls}` : "hops-ansi-bg-rgb");
    for (const k of ["bold", "dim", "italic", "underline"]) if (st[k]) classes.push(`hops-ansi-${k}`);
    let node;
    if (st.link) {
      const a = /** @type {HTMLAnchorElement} */ (h("a", ["hops-log-link", ...classes].join(" "), row));
      a.href = st.link;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      node = a;
    } else node = h("span", classes.join(" "), row);
    if (st.fg?.rgb) node.style.setProperty("--hops-ansi-fg", st.fg.rgb);
    if (st.bg?.rgb) node.style.setProperty("--hops-ansi-bg", st.bg.rgb);
    node.textContent = chunk;
  };
  for (const match of text.matchAll(ESCAPES)) {
    put(text.slice(at, match.index));
    at = match.index + match[0].length;
    const seq = match[0];
    if (seq.startsWith("\x1b[") && seq.endsWith("m")) applySgr(seq.slice(2, -1), st);
    else if (seq.startsWith("\x1b]8;")) {
      // OSC 8 ; params ; URI ST: a link while the URI is non-empty, and only to http(s)
      const body = seq.replace(/^\x1b\]8;/, "").replace(/(\x07|\x1b\\)$/, "");
      const uri = body.slice(body.indexOf(";") + 1);
      st.link = body.includes(";") && uri ? safeUrl(uri) : "";
    }
  }
  put(text.slice(at));
}

/** Set a node's text only when it differs (an unchanged write still costs style and layout). */
/** @param {Node} node @param {string} text */
const setText = (node, text) => {
  if (node.textContent !== text) node.textContent = text;
};
/** @param {HTMLElement} node @param {string} name @param {string} value */
const setAttr = (node, name, value) => {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
};

// ==================================================================== shared timer
// One page-wide timer for every "N s ago" text, however many widgets are on the page. A ticker
// given its view's root runs only while that root is on screen (one shared IntersectionObserver)
// and the page is visible; it runs once at once when the root comes back into view.
const tickers = new Map(); // fn -> root or null
const onScreen = new WeakMap(); // root -> boolean
/** @type {ReturnType<typeof setInterval> | null} */
let tickTimer = null;
/** @type {IntersectionObserver | null} */
let sharedObserver = null;
/** @param {Element | null} root */
const due = (root) => !root || onScreen.get(root) !== false;
const tick = () => {
  if (typeof document !== "undefined" && document.visibilityState === "hidden") return;
  tickers.forEach((root, f) => due(root) && f());
};
/** @param {() => void} fn @param {Element} [root] @returns {() => void} */
export function everySecond(fn, root) {
  tickers.set(fn, root || null);
  if (root && typeof IntersectionObserver === "function") {
    sharedObserver ||= new IntersectionObserver((entries) => {
      for (const e of entries) {
        const was = onScreen.get(e.target);
        onScreen.set(e.target, e.isIntersecting);
        if (e.isIntersecting && was === false) tickers.forEach((r, f) => r === e.target && f());
      }
    });
    sharedObserver.observe(root);
  }
  if (tickTimer === null) tickTimer = setInterval(tick, 1000);
  return () => {
    tickers.delete(fn);
    if (root && sharedObserver && ![...tickers.values()].includes(root)) sharedObserver.unobserve(root);
    if (tickers.size === 0 && tickTimer !== null) {
      clearInterval(tickTimer);
      tickTimer = null;
    }
  };
}

// ==================================================================== channel
/**
 * One message channel per model: ids, a map of open requests settled by their reply
 * (`{type: "reply", id, ok, error, body}`) or a timeout, all aborted on close.
 * @param {Model} model
 * @returns {Channel}
 */
export function createChannel(model) {
  const prefix = Math.random().toString(36).slice(2, 8);
  let seq = 0;
  /** @type {Map<string, {resolve: Function, reject: Function, timer: any}>} */
  const open = new Map();
  /** @type {Map<string, Set<Function>>} */
  const listeners = new Map();
  let closed = false;
  /** @param {any} msg */
  const onMessage = (msg) => {
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "reply" && open.has(msg.id)) {
      const pending = /** @type {{resolve: Function, reject: Function, timer: any}} */ (open.get(msg.id));
      open.delete(msg.id);
      clearTimeout(pending.timer);
      pending.resolve(msg);
    }
    for (const f of listeners.get(msg.type) || []) f(msg);
  };
  model.on("msg:custom", onMessage);
  /** @param {object} message */
  const safeSend = (message) => {
    try {
      model.send(message);
      return true;
    } catch {
      return false; // the model is closed: nobody is listening any more
    }
  };
  return {
    request(type, body = {}, timeoutMs = REQUEST_TIMEOUT_MS) {
      if (closed) return Promise.reject(new Error("the view is closed"));
      const id = `${prefix}-${++seq}`;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          open.delete(id);
          reject(new Error(`no answer to ${type} in ${timeoutMs / 1000} s`));
        }, timeoutMs);
        open.set(id, { resolve, reject, timer });
        if (!safeSend({ ...body, type, id })) {
          clearTimeout(timer);
          open.delete(id);
          reject(new Error("the widget is closed"));
        }
      });
    },
    notify(type, body = {}) {
      if (!closed) safeSend({ ...body, type });
    },
    /** The ids of the requests still waiting for their reply. */
    waiting: () => [...open.keys()],
    on(type, f) {
      if (!listeners.has(type)) listeners.set(type, new Set());
      listeners.get(type)?.add(f);
      return () => listeners.get(type)?.delete(f);
    },
    close() {
      closed = true;
      model.off("msg:custom", onMessage);
      for (const { reject, timer } of open.values()) {
        clearTimeout(timer);
        reject(new Error("the view is closed"));
      }
      open.clear();
      listeners.clear();
    },
  };
}

/** A channel whose messages are meant for one part of the model (the overview's open detail). @param {Channel} channel @param {string} target @returns {Channel} */
function targeted(channel, target) {
  return {
    request: (type, body = {}, timeoutMs) => channel.request(type, { ...body, target }, timeoutMs),
    notify: (type, body = {}) => channel.notify(type, { ...body, target }),
    waiting: () => channel.waiting(),
    on: (type, f) => channel.on(type, f),
    close() {},
  };
}

// ==================================================================== sources
/** @param {Model} model @returns {Source} */
function modelSource(model) {
  return {
    get: (k) => model.get(k),
    on(k, f) {
      model.on(`change:${k}`, f);
      return () => model.off(`change:${k}`, f);
    },
  };
}

/**
 * The traits of a sub-state kept in one dict trait (the overview's `detail_state`), seen as a model.
 * @param {Model} model @param {string} name @returns {Source}
 */
function dictSource(model, name) {
  let last = model.get(name) || {};
  /** @type {Map<string, Set<Function>>} */
  const byKey = new Map();
  const onChange = () => {
    const now = model.get(name) || {};
    const before = last;
    last = now;
    const keys = new Set([...Object.keys(before), ...Object.keys(now)]);
    const due = new Set();
    for (const k of keys) {
      if (before[k] !== now[k] && JSON.stringify(before[k]) !== JSON.stringify(now[k])) {
        for (const f of byKey.get(k) || []) due.add(f);
      }
    }
    due.forEach((f) => f());
  };
  model.on(`change:${name}`, onChange);
  return {
    get: (k) => (model.get(name) || {})[k],
    on(k, f) {
      if (!byKey.has(k)) byKey.set(k, new Set());
      byKey.get(k)?.add(f);
      return () => byKey.get(k)?.delete(f);
    },
    dispose: () => model.off(`change:${name}`, onChange),
  };
}

// ==================================================================== timeline store
/**
 * History and instance series arrive as appended (or updated) entries in the `timeline`
 * trait; a view built later asks for the whole timeline once. Entries are keyed by `seq`;
 * of two copies the one with the higher `rev` wins.
 */
function timelineStore() {
  /** @type {Map<number, any>} */
  const history = new Map();
  /** @type {Map<number, [number, number]>} */
  const series = new Map();
  /** @param {Map<number, any>} map @param {number} keep */
  const trim = (map, keep) => {
    if (map.size <= keep) return;
    const drop = [...map.keys()].sort((a, b) => a - b).slice(0, map.size - keep);
    drop.forEach((k) => map.delete(k));
  };
  return {
    /** @param {any} delta */
    merge(delta) {
      if (!delta) return false;
      let changed = false;
      for (const entry of delta.history || []) {
        const have = history.get(entry.seq);
        // a patch carries an entry's changed fields only; without the entry, the whole timeline brings it
        if (entry.patch && !have) continue;
        if (!have || have.rev <= entry.rev) {
          const { patch, ...fields } = entry;
          history.set(entry.seq, patch ? { ...have, ...fields } : entry);
          changed = true;
        }
      }
      for (const [seq, t, v] of delta.series || []) {
        if (!series.has(seq)) {
          series.set(seq, [t, v]);
          changed = true;
        }
      }
      trim(history, HISTORY_KEEP);
      trim(series, SERIES_KEEP);
      return changed;
    },
    history: () => [...history.entries()].sort((a, b) => a[0] - b[0]).map(([, e]) => e),
    series: () => [...series.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p),
  };
}

// ==================================================================== sections
// Each section: the traits it reads and build(el, ctx) -> update. ctx: { source, channel,
// root, view }. A section owns its DOM; it returns its update (and may register cleanups
// through ctx.cleanup).

/** @type {Record<string, {traits: string[], build: (el: HTMLElement, ctx: any) => () => void}>} */
export const SECTIONS = {
  status: {
    // the badge, and the root's data attributes tests and CSS read
    traits: ["status", "tone", "busy", "status_label", "status_description", "stale"],
    build(el, { source, root }) {
      const { badge, icon, text } = makeBadge(el);
      badge.setAttribute("role", "status");
      badge.setAttribute("aria-live", "polite");
      const note = h("span", "hops-badge-stale", badge);
      note.textContent = "last known";
      return () => {
        const tone = source.get("tone") || "neutral";
        const stale = !!source.get("stale");
        root.dataset.status = source.get("status");
        root.dataset.tone = tone;
        root.dataset.stale = String(stale);
        setBadge(badge, icon, text, tone, source.get("busy"), source.get("status_label"));
        badge.setAttribute("role", "status");
        badge.classList.toggle("hops-stale", stale);
        note.hidden = !stale;
        if (stale) icon.textContent = "?";
        badge.title = stale
          ? "Last known status: the server cannot be reached, so this may be out of date."
          : source.get("status_description");
      };
    },
  },

  restarting: {
    // next to the badge: an instance that keeps restarting while the status may read Running
    // (KServe counts a crash-looping pod as running); a click shows that instance's logs
    traits: ["restarts"],
    build(el, { source, root }) {
      const warn = /** @type {HTMLButtonElement} */ (h("button", "hops-restarting", el));
      warn.type = "button";
      h("span", "hops-restarting-icon", warn).textContent = "⚠";
      const text = h("span", "hops-restarting-text", warn);
      /** @type {{component: string, instance: string} | null} */
      let target = null;
      warn.addEventListener("click", () => {
        if (target) root.dispatchEvent(new CustomEvent("hops-open-logs", { detail: target }));
      });
      return () => {
        const found = source.get("restarts") || {};
        const looping = found.looping || [];
        warn.hidden = looping.length === 0;
        if (!looping.length) {
          target = null;
          return;
        }
        const worst = looping.reduce(/** @param {any} a @param {any} b */ (a, b) => (b.recent > a.recent ? b : a));
        target = { component: worst.component, instance: worst.instance };
        const within = found.window_s ? ` in ${Math.round(found.window_s / 60)} min` : "";
        text.textContent =
          looping.length === 1 ? `Keeps restarting: ${worst.recent}×${within}` : `${looping.length} instances keep restarting`;
        const label =
          `${worst.instance} (${worst.component}) restarted ${worst.recent} times${within}, ${worst.restarts} in all. ` +
          "Its container crashes and Kubernetes starts it again, while the status may still read Running. " +
          "Click to show its logs.";
        warn.title = label;
        warn.setAttribute("aria-label", label);
      };
    },
  },

  identity: {
    traits: ["name", "model_name", "model_version"],
    build(el, { source }) {
      const name = h("span", "hops-name", el);
      const modelInfo = h("span", "hops-model", el);
      return () => {
        name.textContent = source.get("name");
        const m = source.get("model_name");
        const v = source.get("model_version");
        modelInfo.textContent = m ? `${m}${v === null || v === undefined ? "" : ` v${v}`}` : "";
        modelInfo.hidden = !m;
      };
    },
  },

  title: {
    // the overview's header: its name and the counts per status (of the whole list: see rowStore)
    traits: ["row_ops"], // read through the view's row store (ctx.rows), which listens first
    build(el, ctx) {
      h("span", "hops-name", el).textContent = "Deployments";
      const summary = h("span", "hops-model", el);
      const store = rowsOf(ctx);
      let last = "";
      const update = () => {
        /** @type {Record<string, number>} */
        const counts = {};
        for (const r of store.rows.values()) counts[r.status_label] = (counts[r.status_label] || 0) + 1;
        const parts = Object.keys(counts)
          .sort(naturalCompare)
          .map((label) => `${counts[label]} ${label}`);
        const text = `${store.rows.size} · ${parts.join(", ")}`;
        if (text !== last) summary.textContent = last = text; // nothing repaints while nothing changes
      };
      ctx.cleanup(store.subscribe(update));
      return update;
    },
  },

  actions: {
    // the buttons (ctx.buttons says which) and the line for a failed action
    traits: [
      "can_start",
      "can_stop",
      "can_restart",
      "pending_action",
      "action_error",
      "actions_enabled",
      "action_refusal",
      "actions_blocked",
      "offer",
      "deferred_action",
    ],
    build(el, ctx) {
      const { source, channel } = ctx;
      const box = h("span", "hops-actions", el);
      // under the header: a refusal in plain words (with what it offers), or why the actions are off (403)
      const actionError = h("div", "hops-action-error");
      actionError.setAttribute("role", "alert");
      ctx.after(actionError);
      const errorText = h("span", "hops-action-text", actionError);
      // a stop the cluster refused mid-start, remembered: visibly pending, cancellable
      const deferred = h("div", "hops-deferred");
      deferred.setAttribute("role", "status");
      ctx.after(deferred);
      const deferredText = h("span", "", deferred);
      // [data-action, label, where, class, the command it sends]
      const [offerButton, againButton] = /** @type {const} */ ([
        ["stop-later", "", actionError, " hops-offer", "stop_later"],
        ["allow-actions", "Try again", actionError, " hops-link", "allow_actions"],
        ["cancel-stop-later", "Cancel", deferred, " hops-link", "cancel_stop_later"],
      ]).map(([action, label, parent, extra, command]) => {
        const b = makeButton(action, label, parent, extra);
        b.addEventListener("click", () => channel.request(command).catch(() => null));
        return b;
      });
      againButton.title = "A Data Owner gave you the role: turn Start, Stop and Restart back on";
      /** @type {Record<string, string>} */
      const labels = { start: "Start", stop: "Stop", restart: "Restart", refresh: "Refresh" };
      /** @type {Record<string, string>} */
      const allowedKey = { start: "can_start", stop: "can_stop", restart: "can_restart" };
      /** @type {Record<string, HTMLButtonElement>} */
      const buttons = {};
      const inFlight = new Set();
      const update = () => {
        const enabled = source.get("actions_enabled");
        box.hidden = !enabled && ctx.view === "deployment"; // the overview keeps its Refresh
        const pending = source.get("pending_action");
        const blocked = source.get("actions_blocked") || "";
        const later = source.get("deferred_action") || "";
        for (const [action, b] of Object.entries(buttons)) {
          if (action === "refresh") {
            b.disabled = inFlight.has(action);
            continue;
          }
          b.hidden = !enabled;
          const allowed = source.get(allowedKey[action]);
          const waiting = pending === action || (action === "stop" && later === "stop");
          b.disabled = !allowed || !!pending || !!blocked || !!later || inFlight.has(action);
          b.classList.toggle("hops-pending", waiting);
          b.setAttribute("aria-busy", String(waiting));
          b.title = blocked ? "Your role in this project cannot start or stop deployments" : "";
        }
        const ae = blocked || source.get("action_error") || "";
        actionError.hidden = !ae;
        actionError.dataset.kind = blocked ? "forbidden" : source.get("action_refusal") || "error";
        errorText.textContent = ae;
        const offer = blocked ? "" : source.get("offer") || "";
        offerButton.hidden = !offer || !enabled;
        offerButton.textContent = offer;
        againButton.hidden = !blocked;
        deferred.hidden = later !== "stop";
        deferredText.textContent =
          later === "stop" ? "Stop pending: it is sent as soon as the start (or update) ends. " : "";
      };
      for (const action of ctx.buttons) {
        const b = makeButton(action, labels[action], box);
        b.addEventListener("click", () => {
          if (b.disabled) return;
          if (action === "stop" && !confirmStop(source.get("name"))) return;
          if (action === "restart" && !confirmRestart(source.get("name"))) return;
          inFlight.add(action); // one click, one action; the reply (or the traits) re-enable it
          update();
          channel
            .request(action)
            .catch(() => null)
            .then(() => {
              inFlight.delete(action);
              update();
            });
        });
        buttons[action] = b;
      }
      return update;
    },
  },

  condition: {
    traits: ["message", "condition_reason", "reason_cut_chars", "logs_focus", "advice"],
    build(el, { source, root }) {
      const message = h("p", "hops-message", el);
      const text = message;
      const toLogs = /** @type {HTMLButtonElement} */ (h("button", "hops-link hops-to-logs", el));
      toLogs.type = "button";
      toLogs.addEventListener("click", () => root.dispatchEvent(new CustomEvent("hops-open-logs")));
      const reason = h("p", "hops-reason", el);
      const cut = h("span", "hops-reason-cut", el);
      const advice = h("p", "hops-advice", el); // what to do: a failed deployment is restarted or stopped
      return () => {
        text.textContent = source.get("message");
        const a = source.get("advice") || "";
        advice.textContent = a;
        advice.hidden = !a;
        const focus = source.get("logs_focus");
        toLogs.hidden = !focus;
        toLogs.textContent = focus ? `Show the ${focus} logs` : "";
        const r = source.get("condition_reason");
        reason.textContent = r;
        reason.hidden = !r;
        const n = source.get("reason_cut_chars");
        cut.hidden = !n;
        cut.textContent = n ? `…and ${n} more characters (widget.state.condition.reason has the full text)` : "";
      };
    },
  },

  steps: {
    traits: ["steps"],
    build(el, { source }) {
      const steps = h("ol", "hops-steps", el);
      steps.setAttribute("aria-label", "Progress");
      return () => {
        steps.replaceChildren();
        const list = source.get("steps") || [];
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
      };
    },
  },

  instances: {
    traits: [
      "predictor_available",
      "predictor_requested",
      "has_transformer",
      "transformer_available",
      "transformer_requested",
      "scale_to_zero",
      "readiness",
      "restarts",
      "name",
    ],
    build(el, { source, root }) {
      const box = h("div", "hops-instances", el);
      box.title =
        "Pods that exist, in any phase (pending, starting, crash-looping), of the number requested. " +
        "Only the status and the condition (READY True) say whether they serve.";
      /** @param {string} role @param {string} label */
      const row = (role, label) => {
        const r = h("div", "hops-instance", box);
        r.dataset.role = role;
        h("span", "hops-instance-label", r).textContent = label;
        const count = h("span", "hops-count", r);
        const fill = h("span", "hops-bar-fill", h("span", "hops-bar", r));
        return { row: r, count, fill };
      };
      const predictor = row("predictor", "Predictor");
      const transformer = row("transformer", "Transformer");
      const ready = h("span", "hops-readiness", box);
      const s2z = h("span", "hops-scale-to-zero", box);
      s2z.textContent = "scale-to-zero";
      s2z.title = "Minimum instances is 0: with no traffic the deployment idles at 0 instances, which is healthy.";
      // restarts per instance (Hopsworks 5.2 sends each container's count with its logs)
      const restarts = h("ul", "hops-restarts", el);
      restarts.setAttribute("aria-label", "Restarts per instance");
      const drawRestarts = () => {
        const rows = (source.get("restarts") || {}).instances || [];
        restarts.replaceChildren();
        restarts.hidden = rows.length === 0;
        for (const r of rows) {
          const li = h("li", "hops-restart-row", restarts); // (hops-restart is the Restart button's class)
          li.dataset.instance = r.instance;
          li.dataset.component = r.component;
          li.dataset.looping = String(!!r.looping);
          const n = r.restarts;
          const recent = r.recent ? `, ${r.recent} in 10 min` : "";
          const count = h("span", "hops-restart-count", li);
          count.textContent = `${n} ${n === 1 ? "restart" : "restarts"}${recent}`;
          count.title = r.recent ? `${r.recent} of them seen by this widget in the last 10 minutes` : "";
          const name = h("button", "hops-link hops-restart-name", li);
          name.setAttribute("type", "button");
          // pods are named after the deployment: show what tells them apart, the whole name on hover
          const own = `${source.get("name") || ""}-`;
          name.textContent = own.length > 1 && r.instance.startsWith(own) ? `…${r.instance.slice(own.length - 1)}` : r.instance;
          name.title = `Show the logs of ${r.instance}`;
          name.addEventListener("click", () =>
            root.dispatchEvent(new CustomEvent("hops-open-logs", { detail: { component: r.component, instance: r.instance } })),
          );
        }
      };
      /** @param {any} part @param {number | null} available @param {number | null} requested @param {string} readiness */
      const set = (part, available, requested, readiness) => {
        const pods = requested === 1 ? "pod" : "pods";
        part.count.textContent = `${num(available)} of ${num(requested)} ${pods}`;
        part.row.dataset.ready = readiness || "";
        const ratio = requested ? Math.min(1, (available || 0) / requested) : available ? 1 : 0;
        part.fill.style.width = `${Math.round(ratio * 100)}%`;
      };
      return () => {
        const readiness = source.get("readiness") || "";
        set(predictor, source.get("predictor_available"), source.get("predictor_requested"), readiness);
        transformer.row.hidden = !source.get("has_transformer");
        set(transformer, source.get("transformer_available"), source.get("transformer_requested"), readiness);
        ready.textContent = readiness;
        ready.dataset.ready = readiness;
        ready.hidden = !readiness;
        s2z.hidden = !source.get("scale_to_zero");
        drawRestarts();
      };
    },
  },

  history: {
    // a chart of available instances (its scale and time span labelled) and the timeline,
    // one entry per status with the condition steps seen during it inside
    traits: ["timeline"],
    build(el, ctx) {
      const { source, channel } = ctx;
      const store = timelineStore();
      const box = h("details", "hops-history", el);
      const summary = h("summary", "", box);
      summary.textContent = "History";
      const chart = h("figure", "hops-chart", box);
      const title = h("figcaption", "hops-chart-title", chart);
      const plot = h("div", "hops-chart-plot", chart);
      const axis = h("div", "hops-chart-axis", plot);
      axis.setAttribute("aria-hidden", "true");
      const axisTop = h("span", "", axis);
      h("span", "", axis).textContent = "0";
      const spark = document.createElementNS(SVG_NS, "svg");
      spark.setAttribute("class", "hops-sparkline");
      spark.setAttribute("viewBox", "0 0 200 40");
      spark.setAttribute("preserveAspectRatio", "none");
      spark.setAttribute("role", "img");
      const grid = document.createElementNS(SVG_NS, "polyline");
      grid.setAttribute("class", "hops-chart-grid");
      grid.setAttribute("points", "0,2 200,2");
      const line = document.createElementNS(SVG_NS, "polyline");
      line.setAttribute("class", "hops-chart-line");
      spark.append(grid, line);
      plot.appendChild(spark);
      const span = h("div", "hops-chart-span", chart);
      span.setAttribute("aria-hidden", "true");
      const spanStart = h("span", "", span);
      h("span", "", span).textContent = "now";
      const timeline = h("ol", "hops-timeline", box);

      const drawTimeline = () => {
        const entries = store.history();
        timeline.replaceChildren();
        for (const entry of entries.slice().reverse()) {
          const li = h("li", "hops-event", timeline);
          li.dataset.status = entry.status;
          const head = h("div", "hops-event-head", li);
          h("time", "hops-event-time", head).textContent = new Date(entry.at_ms).toLocaleTimeString();
          h("span", "hops-event-label", head).textContent = entry.label;
          h("span", "hops-event-duration", head).textContent =
            entry.duration_s === null ? "so far" : duration(entry.duration_s);
          li.title = entry.message;
          if (!(entry.steps || []).length) continue;
          const list = h("ol", "hops-event-steps", li);
          for (const step of entry.steps) {
            const item = h("li", "hops-event-step", list);
            h("time", "hops-event-time", item).textContent = new Date(step.at_ms).toLocaleTimeString();
            h("span", "", item).textContent = step.label;
          }
        }
        const n = entries.length;
        summary.textContent = `History (${n} ${n === 1 ? "status" : "statuses"})`;
      };
      const drawChart = () => {
        const points = store.series().filter((p) => p[1] !== null);
        chart.hidden = points.length === 0;
        if (points.length === 0) {
          line.setAttribute("points", "");
          return;
        }
        const top = Math.max(1, ...points.map((p) => p[1]));
        const t0 = points[0][0];
        const t1 = Math.max(Date.now(), points[points.length - 1][0]);
        const minutes = Math.max(0, (t1 - t0) / 60000);
        const spanText = minutes < 1 ? `${Math.max(1, Math.round(minutes * 60))} s` : `${Math.round(minutes)} min`;
        title.textContent = `Predictor pods that exist, last ${spanText}`;
        axisTop.textContent = String(top);
        spanStart.textContent = new Date(t0).toLocaleTimeString();
        spark.setAttribute(
          "aria-label",
          `Predictor pods that exist (any phase) over the last ${spanText}, from 0 to ${top}: ${points.map((p) => p[1]).join(", ")}`,
        );
        /** @param {number} t */
        const x = (t) => (t1 === t0 ? 200 : ((t - t0) / (t1 - t0)) * 200);
        /** @param {number} v */
        const y = (v) => 38 - (v / top) * 36;
        // a step line: the count holds until the next change
        const coords = [];
        points.forEach(([t, v], i) => {
          if (i > 0) coords.push(`${x(t).toFixed(1)},${y(points[i - 1][1]).toFixed(1)}`);
          coords.push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`);
        });
        coords.push(`200,${y(points[points.length - 1][1]).toFixed(1)}`);
        line.setAttribute("points", coords.join(" "));
      };
      const draw = () => {
        drawTimeline();
        drawChart();
      };
      // the whole timeline once (this view may be newer than the widget); then appended entries
      channel
        .request("timeline")
        .then(/** @param {any} reply */ (reply) => reply && reply.ok && store.merge(reply.body) && draw())
        .catch(() => null);
      return () => {
        store.merge(source.get("timeline"));
        draw();
      };
    },
  },

  logs: {
    // one component's lines, fetched by the kernel only while this is open and on screen;
    // new lines arrive as deltas (logs_delta), a view drawn later asks for the buffer once
    traits: ["logs_delta", "logs_focus", "has_transformer", "can_download_logs", "logs_download"],
    build(el, ctx) {
      const { source, channel, root } = ctx;
      const box = /** @type {HTMLDetailsElement} */ (h("details", "hops-logs", el));
      const summary = h("summary", "", box);
      summary.textContent = "Logs";
      const bar = h("div", "hops-logs-bar", box);
      const parts = h("span", "hops-logs-components", bar);
      parts.setAttribute("role", "group");
      parts.setAttribute("aria-label", "Component");
      /** @type {Record<string, HTMLButtonElement>} */
      const partButtons = {};
      for (const part of ["predictor", "transformer"]) {
        const b = makeButton(`logs-${part}`, part[0].toUpperCase() + part.slice(1), parts);
        b.dataset.component = part;
        b.addEventListener("click", () => choose(part));
        partButtons[part] = b;
      }
      const instance = /** @type {HTMLSelectElement} */ (h("select", "hops-logs-instance", bar));
      instance.setAttribute("aria-label", "Instance");
      const followLabel = h("label", "hops-logs-follow", bar);
      const follow = /** @type {HTMLInputElement} */ (h("input", "", followLabel));
      follow.type = "checkbox";
      follow.checked = true;
      followLabel.append(" Follow");
      const filter = /** @type {HTMLInputElement} */ (h("input", "hops-logs-filter", bar));
      filter.type = "search";
      filter.placeholder = "Filter";
      filter.setAttribute("aria-label", "Show only lines containing");
      const copy = makeButton("logs-copy", "Copy", bar);
      // the archives instances leave when a container ends (SDK 5.2+ download_logs), saved by the kernel
      const download = makeButton("logs-download", "Download logs", bar);
      download.title = "Save the log archives (one per container run that ended) in the notebook's folder";
      const saved = h("span", "hops-logs-saved", bar);
      saved.setAttribute("role", "status");
      const note = h("span", "hops-logs-note", bar);
      const view = h("div", "hops-log-lines", box);
      view.setAttribute("role", "log");
      view.tabIndex = 0;

      let component = "predictor";
      let last = 0;
      /** @type {{seq: number, instance: string, text: string, row: HTMLElement}[]} */
      const lines = [];
      let lastFocus = "";
      /** @type {any} */
      let lastRev;
      let error = "";
      let fetched = false;
      let quiet = false; // no pod runs: nothing to read (the kernel reads again once it runs)
      const tell = () => channel.request("logs", { open: box.open, component, follow: follow.checked }).catch(() => null);
      /** @param {{instance: string, text: string}} line */
      const shown = (line) => {
        const want = instance.value;
        const needle = filter.value.trim().toLowerCase();
        return (!want || line.instance === want) && (!needle || line.text.toLowerCase().includes(needle));
      };
      const describe = () => {
        const count = lines.filter((l) => !l.row.hidden).length;
        let text = "";
        if (error) text = error;
        else if (quiet) {
          text = lines.length
            ? "no logs while nothing runs: the lines above are from before; new ones come once it runs again"
            : "no logs while nothing runs: they are read as soon as it runs";
        } else if (!fetched) text = box.open ? "reading the logs…" : "";
        else if (lines.length === 0) text = `no ${component} log lines: no instance runs, or it printed nothing yet`;
        else text = count === lines.length ? `${lines.length} lines` : `${count} of ${lines.length} lines`;
        note.textContent = text;
        note.classList.toggle("hops-logs-error", !!error);
        note.dataset.quiet = String(quiet && !error);
      };
      const refilter = () => {
        for (const line of lines) line.row.hidden = !shown(line);
        describe();
      };
      /** @param {string[]} names */
      const setInstances = (names) => {
        const chosen = instance.value;
        instance.replaceChildren();
        const all = /** @type {HTMLOptionElement} */ (h("option", "", instance));
        all.value = "";
        all.textContent = "All instances";
        for (const name of names) {
          const o = /** @type {HTMLOptionElement} */ (h("option", "", instance));
          o.value = name;
          o.textContent = name;
        }
        instance.value = names.includes(chosen) ? chosen : "";
        if (wantInstance && names.includes(wantInstance)) {
          instance.value = wantInstance; // the restart warning asked for this one
          wantInstance = "";
          for (const line of lines) line.row.hidden = !shown(line);
        }
        instance.hidden = names.length < 2;
      };
      const clear = () => {
        lines.length = 0;
        last = 0;
        view.replaceChildren();
      };
      /** @param {any} delta */
      const merge = (delta) => {
        if (!delta || !delta.component) return;
        if (delta.rev !== undefined && delta.rev === lastRev) return;
        if (delta.rev !== undefined) lastRev = delta.rev;
        if (delta.component !== component) {
          if (!delta.reset) return; // lines of a component this view no longer shows
          component = delta.component;
        }
        if (delta.reset) clear();
        const atBottom = view.scrollTop + view.clientHeight >= view.scrollHeight - 4;
        for (const line of delta.lines || []) {
          if (line.seq <= last) continue;
          last = line.seq;
          const row = h("div", "hops-log-line", view);
          row.dataset.instance = line.instance;
          renderAnsi(row, line.text);
          if (line.instance) row.title = line.instance;
          const entry = { seq: line.seq, instance: line.instance, text: stripEscapes(line.text), row };
          row.hidden = !shown(entry);
          lines.push(entry);
        }
        while (lines.length > LOG_KEEP) lines.shift()?.row.remove();
        setInstances(delta.instances || []);
        error = delta.error || "";
        quiet = !!delta.quiet;
        fetched = fetched || !!delta.fetched;
        if (atBottom) view.scrollTop = view.scrollHeight; // follow the end unless the user scrolled up
        describe();
      };
      const drawParts = () => {
        partButtons.transformer.hidden = !source.get("has_transformer");
        download.hidden = !source.get("can_download_logs");
        showDownload();
        for (const [part, b] of Object.entries(partButtons)) b.setAttribute("aria-pressed", String(part === component));
        describe();
      };
      /** @param {string} part */
      const choose = (part) => {
        if (part === component) return;
        component = part;
        clear();
        fetched = false;
        drawParts();
        tell();
      };
      const open = () => {
        if (!box.open) box.open = true; // the toggle handler tells the kernel
        box.scrollIntoView?.({ block: "nearest" });
      };
      box.addEventListener("toggle", () => {
        tell();
        if (box.open && lines.length === 0) {
          channel
            .request("logs_buffer")
            .then(/** @param {any} reply */ (reply) => reply && reply.ok && merge({ ...reply.body, rev: undefined }))
            .catch(() => null);
        }
        describe();
      });
      follow.addEventListener("change", tell);
      instance.addEventListener("change", refilter);
      filter.addEventListener("input", refilter);
      copy.addEventListener("click", () => {
        const text = lines
          .filter((l) => !l.row.hidden)
          .map((l) => l.text)
          .join("\n");
        navigator.clipboard?.writeText(text).then(
          () => (copy.textContent = "Copied"),
          () => (copy.textContent = "Copy failed"),
        );
        setTimeout(() => (copy.textContent = "Copy"), 1500);
      });
      download.addEventListener("click", () => {
        download.disabled = true;
        saved.textContent = "saving the log archives…";
        saved.classList.remove("hops-logs-error");
        channel
          .request("download_logs", {}, 120_000)
          .then(/** @param {any} reply */ (reply) => {
            // what was saved comes as the logs_download trait (showDownload); a refusal only here
            if (reply && !reply.ok) {
              saved.textContent = reply.error || "the archives could not be saved";
              saved.classList.add("hops-logs-error");
            }
          })
          .catch(() => {
            saved.textContent = "no answer from the kernel";
            saved.classList.add("hops-logs-error");
          })
          .finally(() => (download.disabled = false));
      });
      let shownDownload = -1;
      const showDownload = () => {
        const done = source.get("logs_download") || {};
        if (done.seq === undefined || done.seq === shownDownload) return;
        shownDownload = done.seq;
        const paths = done.paths || [];
        if (done.ok) {
          saved.textContent = `saved ${paths.length} ${paths.length === 1 ? "file" : "files"} in ${done.folder || "."}`;
          saved.title = paths.join("\n");
          saved.classList.remove("hops-logs-error");
        } else {
          saved.textContent = done.error || "the archives could not be saved";
          saved.title = "";
          saved.classList.add("hops-logs-error");
        }
      };
      let wantInstance = ""; // an instance asked for (the restart warning) before its lines came
      /** @param {Event} [event] */
      const openOn = (event) => {
        const detail = /** @type {CustomEvent} */ (event)?.detail;
        if (detail && detail.component) {
          if (detail.component !== component && partButtons[detail.component]) choose(detail.component);
          wantInstance = detail.instance || "";
          if ([...instance.options].some((o) => o.value === wantInstance)) {
            instance.value = wantInstance;
            wantInstance = "";
            refilter();
          }
        }
        open();
      };
      root.addEventListener("hops-open-logs", openOn);
      ctx.cleanup(() => root.removeEventListener("hops-open-logs", openOn));
      return () => {
        const focus = source.get("logs_focus") || "";
        if (focus && focus !== lastFocus) {
          // a start failed where the logs say why: show them there, once per failure
          if (focus !== component) {
            component = focus;
            clear();
          }
          open();
        }
        lastFocus = focus;
        merge(source.get("logs_delta"));
        drawParts();
      };
    },
  },


  resources: {
    // the resource allocation per component, collapsed by default; fields a version does not send are absent
    traits: [
      "resources",
      "has_transformer",
      "readiness",
      "predictor_available",
      "predictor_requested",
      "transformer_available",
      "transformer_requested",
    ],
    build(el, { source }) {
      const box = /** @type {HTMLDetailsElement} */ (h("details", "hops-resources", el));
      const summary = h("summary", "", box);
      h("span", "hops-resources-title", summary).textContent = "Resource allocation";
      const brief = h("span", "hops-resources-brief", summary);
      const table = h("table", "hops-resources-table", box);
      return () => {
        const all = source.get("resources") || {};
        const parts = ["predictor", ...(source.get("has_transformer") ? ["transformer"] : [])];
        table.replaceChildren();
        const head = h("tr", "", h("thead", "", table));
        h("th", "", head).textContent = "";
        for (const part of parts) h("th", "", head).textContent = part[0].toUpperCase() + part.slice(1);
        const body = h("tbody", "", table);
        const rows = resourceRows(source, all, parts);
        for (const [label, cells] of rows) {
          const tr = h("tr", "", body);
          tr.dataset.field = label;
          h("th", "", tr).textContent = label;
          for (const cell of cells) h("td", "", tr).textContent = cell;
        }
        const p = all.predictor || {};
        const bits = [];
        if (p.requests?.cores !== undefined) bits.push(`${p.requests.cores} cores`);
        if (p.requests?.memory !== undefined) bits.push(`${p.requests.memory} MB`);
        if (p.requests?.gpus) bits.push(`${p.requests.gpus} GPU`);
        if (p.min_instances !== undefined || p.max_instances !== undefined) {
          bits.push(`${p.min_instances ?? "?"}–${p.max_instances ?? "?"} instances`);
        }
        brief.textContent = bits.length ? ` · ${bits.join(", ")} per predictor` : "";
        box.hidden = rows.length === 0;
      };
    },
  },

  versions: {
    // Hopsworks 5.2+: every configuration version, newest first, what changed from the one before,
    // the active one marked, Roll back on the others; read by the kernel only while this is open and
    // on screen. Absent where the SDK or the cluster has no versions.
    traits: ["versions", "can_rollback", "pending_action", "actions_blocked", "actions_enabled", "name"],
    build(el, ctx) {
      const { source, channel } = ctx;
      const { box, brief, note } = disclosure(el, "versions", "Versions", "hops-versions-note");
      const list = h("ol", "hops-versions-list", box);
      const inFlight = new Set();
      let drawn = "";
      /** @param {any} ms */
      const when = (ms) => (typeof ms === "number" ? new Date(ms).toLocaleString() : "");
      const update = () => {
        const v = source.get("versions") || {};
        const items = Array.isArray(v.items) ? v.items : [];
        box.hidden = v.available === false && !box.open;
        const active = items.find(/** @param {any} r */ (r) => r.active);
        brief.textContent = items.length
          ? ` · v${active ? active.version : "?"} active · ${v.count || items.length} ${(v.count || items.length) === 1 ? "version" : "versions"}`
          : "";
        const pending = source.get("pending_action") || "";
        const target = pending === "rollback" ? v.target : undefined;
        let text = "";
        let kind = "";
        if (v.available === false) text = "This cluster or SDK has no deployment versions (they came with Hopsworks 5.2).";
        else if (v.error) [text, kind] = [v.error, "error"];
        else if (target !== undefined && target !== null) text = `Rolling back to v${target}: the instances are replaced by ones running it (Updating).`;
        else if (v.loading && !items.length) text = "reading the versions…";
        else if (v.count > items.length) text = `the newest ${items.length} of ${v.count} versions`;
        note.textContent = text;
        note.hidden = !text;
        note.dataset.kind = kind;
        const enabled = !!source.get("actions_enabled");
        const blocked = source.get("actions_blocked") || "";
        const allowed = !!source.get("can_rollback");
        const key = JSON.stringify([items, enabled]);
        if (key !== drawn) {
          drawn = key;
          list.replaceChildren();
          for (const row of items) {
            const li = h("li", "hops-version", list);
            li.dataset.version = String(row.version);
            li.dataset.active = String(!!row.active);
            const head = h("div", "hops-version-head", li);
            h("span", "hops-version-number", head).textContent = `v${row.version}`;
            if (row.active) h("span", "hops-version-active", head).textContent = "active";
            if (row.model) h("span", "hops-version-model", head).textContent = row.model;
            const made = h("span", "hops-version-time", head);
            const parts = [when(row.created_ms) && `created ${when(row.created_ms)}`];
            if (row.created_by) parts.push(`by ${row.created_by}`);
            if (row.updated_ms) parts.push(`edited ${when(row.updated_ms)}${row.updated_by ? ` by ${row.updated_by}` : ""}`);
            made.textContent = parts.filter(Boolean).join(" · ");
            if (!row.active && enabled) {
              const b = makeButton("rollback", "Roll back", head);
              b.dataset.version = String(row.version);
              b.setAttribute("aria-label", `Roll back to version ${row.version}`);
              b.addEventListener("click", () => {
                if (b.disabled || !confirmRollback(source.get("name"), row.version)) return;
                inFlight.add(row.version); // one click, one request; the reply (or the traits) re-enable it
                update();
                channel
                  .request("rollback", { version: row.version })
                  .catch(() => null)
                  .then(() => {
                    inFlight.delete(row.version);
                    update();
                  });
              });
            }
            const changes = h("ul", "hops-version-changes", li);
            for (const line of row.changes || []) h("li", "", changes).textContent = line;
          }
        }
        for (const b of /** @type {NodeListOf<HTMLButtonElement>} */ (list.querySelectorAll("button[data-action=rollback]"))) {
          const n = Number(b.dataset.version);
          const waiting = target === n || inFlight.has(n);
          b.disabled = !allowed || !!pending || !!blocked || inFlight.size > 0;
          b.classList.toggle("hops-pending", waiting);
          b.setAttribute("aria-busy", String(waiting));
          b.title = blocked
            ? "Your role in this project cannot change deployments"
            : !allowed
              ? "The cluster does not roll back a deployment while it starts or stops"
              : "";
        }
      };
      box.addEventListener("toggle", () => {
        channel.request("versions", { open: box.open }).catch(() => null);
        update();
      });
      return update;
    },
  },

  endpoints: {
    // where the deployment lives: its Hopsworks page, the inference URL (copyable), what serves it, its model
    traits: ["endpoint", "links", "model_name", "model_version"],
    build(el, { source }) {
      const box = h("dl", "hops-endpoints", el);
      /** @param {string} key @param {string} label */
      const item = (key, label) => {
        const dt = h("dt", "", box);
        dt.textContent = label;
        const dd = h("dd", "", box);
        dt.dataset.field = key;
        dd.dataset.field = key;
        return { dt, dd };
      };
      const open = item("ui", "Hopsworks");
      const ui = /** @type {HTMLAnchorElement} */ (h("a", "hops-open-ui", open.dd));
      ui.textContent = "Open in Hopsworks ↗";
      ui.target = "_blank";
      ui.rel = "noopener noreferrer";
      const inference = item("inference", "Inference");
      const url = h("code", "hops-inference-url", inference.dd);
      /** @param {HTMLButtonElement} copy @param {HTMLElement} node */
      const copyFrom = (copy, node) => {
        const text = node.textContent || "";
        /** @param {string} word */
        const done = (word) => {
          copy.textContent = word;
          setTimeout(() => (copy.textContent = "Copy"), 1500);
        };
        if (navigator.clipboard?.writeText) navigator.clipboard.writeText(text).then(() => done("Copied"), () => done("Copy failed"));
        else done("Copy failed");
      };
      const copy = makeButton("copy-url", "Copy", inference.dd, " hops-copy");
      copy.setAttribute("aria-label", "Copy the inference URL");
      copy.addEventListener("click", () => copyFrom(copy, url));
      // a vLLM deployment's OpenAI-compatible base URL (get_openai_url()), for any OpenAI client
      const openai = item("openai", "OpenAI API");
      const openaiUrl = h("code", "hops-openai-url", openai.dd);
      const copyOpenai = makeButton("copy-openai", "Copy", openai.dd, " hops-copy");
      copyOpenai.setAttribute("aria-label", "Copy the OpenAI-compatible base URL");
      copyOpenai.addEventListener("click", () => copyFrom(copyOpenai, openaiUrl));
      const model = item("model", "Model");
      const modelLink = /** @type {HTMLAnchorElement} */ (h("a", "hops-model-link", model.dd));
      modelLink.target = "_blank";
      modelLink.rel = "noopener noreferrer";
      const modelText = h("span", "hops-model-text", model.dd);
      const plain = [
        ["model_server", "Model server"],
        ["serving_tool", "Serving tool"],
        ["api_protocol", "API protocol"],
        ["environment", "Environment"],
      ].map(([key, label]) => ({ key, ...item(key, label) }));
      /** @param {{dt: HTMLElement, dd: HTMLElement}} part @param {boolean} on */
      const show = (part, on) => {
        part.dt.hidden = !on;
        part.dd.hidden = !on;
      };
      return () => {
        const ep = source.get("endpoint") || {};
        const links = source.get("links") || {};
        const href = safeUrl(links.ui);
        show(open, !!href);
        if (href) ui.href = href;
        else ui.removeAttribute("href");
        const target = safeUrl(links.inference) || ep.inference_path || "";
        url.textContent = target;
        show(inference, !!target);
        const openaiHref = safeUrl(links.openai) || "";
        openaiUrl.textContent = openaiHref;
        show(openai, !!openaiHref);
        const m = source.get("model_name");
        const v = source.get("model_version");
        const label = m ? `${m}${v === null || v === undefined ? "" : ` v${v}`}` : "";
        const modelHref = safeUrl(links.model);
        modelLink.hidden = !modelHref;
        modelText.hidden = !!modelHref;
        modelLink.textContent = label;
        modelText.textContent = label;
        if (modelHref) modelLink.href = modelHref;
        else modelLink.removeAttribute("href");
        show(model, !!label);
        for (const part of plain) {
          part.dd.textContent = ep[part.key] || "";
          show(part, !!ep[part.key]);
        }
        box.hidden = !href && !target && !openaiHref && !label && plain.every((p) => !ep[p.key]);
      };
    },
  },

  tryit: {
    // a request panel: a JSON body, Send, the response and its latency; an idle deployment's cold start shows live.
    // With a schema (5.2) the body starts from its example and is checked in the kernel before it is sent;
    // a vLLM deployment gets a chat instead (its reply streamed in); Copy as Python / cURL never hold the key.
    traits: ["try_it", "tryit_body", "tryit_pending", "tryit_result", "tryit_info", "tryit_stream", "status", "actions_enabled"],
    build(el, ctx) {
      const { source, channel } = ctx;
      const box = /** @type {HTMLDetailsElement} */ (h("details", "hops-tryit", el));
      h("summary", "", box).textContent = "Try it";
      const origin = h("div", "hops-tryit-origin", box);
      const chat = h("div", "hops-tryit-chat", box);
      /** @param {string} label @param {HTMLElement} node */
      const field = (label, node) => {
        const row = h("label", "hops-tryit-field", chat);
        h("span", "", row).textContent = label;
        row.appendChild(node);
        return node;
      };
      const model = /** @type {HTMLInputElement} */ (field("Model", document.createElement("input")));
      model.className = "hops-tryit-model";
      model.spellcheck = false;
      const system = /** @type {HTMLTextAreaElement} */ (field("System prompt", document.createElement("textarea")));
      system.className = "hops-tryit-system";
      system.rows = 2;
      system.placeholder = "optional, such as: Answer in one sentence.";
      const message = /** @type {HTMLTextAreaElement} */ (field("Message", document.createElement("textarea")));
      message.className = "hops-tryit-message";
      message.rows = 3;
      message.placeholder = "Ask the model something";
      const body = /** @type {HTMLTextAreaElement} */ (h("textarea", "hops-tryit-body", box));
      body.rows = 4;
      body.spellcheck = false;
      body.setAttribute("aria-label", "Request body (JSON)");
      const bar = h("div", "hops-tryit-bar", box);
      const send = makeButton("send", "Send", bar);
      const asPython = makeButton("copy-python", "Copy as Python", bar, " hops-copy");
      const asCurl = makeButton("copy-curl", "Copy as cURL", bar, " hops-copy");
      const note = h("span", "hops-tryit-note", bar);
      note.setAttribute("aria-live", "polite");
      // where the clipboard cannot be written (a page that is not a secure context, some iframes): the text to select
      const fallback = h("div", "hops-tryit-snippet", box);
      fallback.hidden = true;
      const fallbackSays = h("div", "hops-tryit-snippet-note", fallback);
      const snippet = /** @type {HTMLTextAreaElement} */ (h("textarea", "hops-tryit-snippet-text", fallback));
      snippet.readOnly = true;
      snippet.rows = 6;
      snippet.spellcheck = false;
      snippet.setAttribute("aria-label", "Snippet to copy");
      const out = h("pre", "hops-tryit-response", box);
      out.tabIndex = 0;
      const isChat = () => (source.get("tryit_info") || {}).mode === "chat";
      /** @param {string} kind @param {HTMLButtonElement} button */
      const copy = (kind, button) => {
        const ask = isChat()
          ? { kind, message: message.value, system: system.value, model: model.value }
          : { kind, body: body.value };
        /** @param {string} word */
        const flash = (word) => {
          button.textContent = word;
          setTimeout(() => (button.textContent = kind === "python" ? "Copy as Python" : "Copy as cURL"), 1500);
        };
        /** @param {string} text @param {string} why */
        const show = (text, why) => {
          fallbackSays.textContent = why;
          snippet.value = text;
          fallback.hidden = false;
          snippet.focus();
          snippet.select();
        };
        channel
          .request("snippet", ask, 10_000)
          .then(/** @param {any} reply */ (reply) => {
            if (!reply || !reply.ok) {
              local = (reply && reply.error) || "the snippet could not be made";
              update();
              return;
            }
            const text = String((reply.body && reply.body.text) || "");
            const unavailable = "The clipboard is not available here: select the text below and copy it (Ctrl+C or ⌘C).";
            if (!navigator.clipboard?.writeText || window.isSecureContext === false) {
              show(text, unavailable);
              return;
            }
            navigator.clipboard.writeText(text).then(
              () => {
                fallback.hidden = true;
                flash("Copied");
              },
              () => show(text, unavailable),
            );
          })
          .catch(/** @param {unknown} err */ (err) => {
            local = err instanceof Error ? err.message : String(err);
            update();
          });
      };
      asPython.addEventListener("click", () => copy("python", asPython));
      asCurl.addEventListener("click", () => copy("curl", asCurl));
      let modelTouched = false;
      model.addEventListener("input", () => (modelTouched = true));
      let edited = false;
      let sentAt = 0;
      let sentIdle = false;
      let asking = false;
      let local = "";
      body.addEventListener("input", () => (edited = true));
      const update = () => {
        box.hidden = !source.get("try_it") || !source.get("actions_enabled");
        if (!edited) body.value = source.get("tryit_body") || "";
        const info = source.get("tryit_info") || {};
        const chatting = info.mode === "chat";
        box.dataset.mode = chatting ? "chat" : "predict";
        chat.hidden = !chatting;
        body.hidden = chatting;
        if (chatting && !modelTouched) model.value = info.model || "";
        const from = /** @type {Record<string, string>} */ ({ example: "example from the schema", generated: "generated from the schema" })[info.origin] || "";
        const says = chatting
          ? ["Chat (OpenAI-compatible API, served by vLLM); the reply streams in as it is written.", info.note]
          : [
              from && `Body: ${from}.`,
              info.schema ? "Checked against the deployment's schema before it is sent." : "",
              info.note,
            ];
        origin.textContent = says.filter(Boolean).join(" ");
        origin.hidden = !origin.textContent;
        origin.dataset.origin = info.origin || "";
        send.hidden = chatting && !info.openai;
        const pending = !!source.get("tryit_pending") || asking;
        send.disabled = pending;
        send.setAttribute("aria-busy", String(pending));
        const r = source.get("tryit_result") || {};
        if (pending) {
          const waited = sentAt ? Math.max(0, Math.round((Date.now() - sentAt) / 1000)) : 0;
          const status = source.get("status");
          const cold = sentIdle || status === "IDLE" || (sentIdle && status === "STARTING");
          note.textContent = cold
            ? `waiting ${waited} s: cold start, the deployment wakes from zero (${String(status).toLowerCase()})`
            : `waiting ${waited} s…`;
          note.dataset.state = "pending";
        } else if (local) {
          note.textContent = local;
          note.dataset.state = "error";
        } else if (r.seq) {
          const latency = r.latency_ms >= 1000 ? `${(r.latency_ms / 1000).toFixed(2)} s` : `${Math.round(r.latency_ms)} ms`;
          note.textContent = r.ok
            ? `answered in ${latency}${r.cold ? " (including the cold start)" : ""}`
            : `failed after ${latency}: ${r.error}`;
          note.dataset.state = r.ok ? "ok" : "error";
        } else {
          note.textContent = "";
          note.dataset.state = "";
        }
        const streaming = chatting && pending && !!source.get("tryit_stream");
        out.hidden = streaming ? false : !(r.seq && r.ok) || pending;
        out.textContent = streaming ? source.get("tryit_stream") : r.ok ? r.text || "" : "";
        out.dataset.kind = chatting ? "chat" : "json";
      };
      /** @param {Promise<any>} request */
      const finish = (request) =>
        request
          .then((reply) => {
            if (reply && !reply.ok) local = reply.error || "refused";
          })
          .catch((err) => (local = err instanceof Error ? err.message : String(err)))
          .then(() => {
            asking = false;
            if (!local) edited = false; // sent: the panel shows the body sent; refused: the edit stays to fix
            update();
          });
      /** Why the chat message or the body is not sent ("" when it is), said in the panel. @param {boolean} chatting */
      const unsendable = (chatting) => {
        if (chatting) return message.value.trim() ? "" : "write a message first";
        try {
          return bodyProblem(JSON.parse(body.value)) || "";
        } catch (err) {
          return `not valid JSON: ${err instanceof Error ? err.message : String(err)}`;
        }
      };
      send.addEventListener("click", () => {
        if (send.disabled) return;
        const chatting = isChat();
        local = unsendable(chatting);
        if (local) {
          update();
          return;
        }
        asking = true;
        sentAt = Date.now();
        sentIdle = source.get("status") === "IDLE";
        update();
        const [command, args] = chatting
          ? ["chat", { message: message.value, system: system.value, model: model.value }]
          : ["predict", { body: body.value }];
        finish(channel.request(command, args, 180_000));
      });
      // the schema (and so the prefill) is read once the panel is first opened: a closed panel costs no request
      const opened = () => {
        if (!box.open) return;
        box.removeEventListener("toggle", opened);
        channel.request("tryit_open", {}).catch(() => null);
      };
      box.addEventListener("toggle", opened);
      opened();
      ctx.cleanup(everySecond(() => (source.get("tryit_pending") || asking) && update(), ctx.root));
      return update;
    },
  },

  notify: {
    // "done, while you were elsewhere": when an action launched here ends and the page is hidden,
    // the tab title says so, and a browser notification too if the user allowed it (opt-in)
    traits: ["status", "status_label", "pending_action", "busy", "name"],
    build(el, ctx) {
      const { source } = ctx;
      const line = h("div", "hops-notify", el);
      const optIn = makeButton("notify", "Notify me when it is done", line, " hops-link");
      const said = h("span", "hops-notify-note", line);
      const supported = typeof Notification !== "undefined";
      /** @type {{action: string, from: string, moved: boolean} | null} */
      let armed = null; // {action, from, moved}
      /** @type {string | null} */
      let original = null;
      const restore = () => {
        if (original !== null && document.visibilityState !== "hidden") {
          document.title = original;
          original = null;
        }
      };
      document.addEventListener("visibilitychange", restore);
      ctx.cleanup(() => {
        document.removeEventListener("visibilitychange", restore);
        if (original !== null) document.title = original;
      });
      optIn.addEventListener("click", () => {
        if (!supported) return;
        Promise.resolve(Notification.requestPermission()).then(() => update(), () => update());
      });
      const update = () => {
        const pending = source.get("pending_action") || "";
        const status = source.get("status");
        if (pending && pending !== "refresh" && (!armed || armed.action !== pending)) {
          armed = { action: pending, from: status, moved: false };
        }
        if (armed && (status !== armed.from || source.get("busy"))) armed.moved = true;
        const settled = ["RUNNING", "IDLE", "STOPPED", "FAILED"].includes(status) && !source.get("busy");
        if (armed && !pending && settled && armed.moved) {
          const what = `${source.get("name") || "deployment"}: ${source.get("status_label")}`;
          const verb = /** @type {Record<string, string>} */ ({ start: "Start", stop: "Stop", restart: "Restart" })[armed.action] || "Action";
          armed = null;
          if (document.visibilityState === "hidden") {
            if (original === null) original = document.title;
            document.title = `${status === "FAILED" ? "✕" : "✓"} ${what} — ${original}`;
            ctx.root.dataset.notified = what;
            if (supported && Notification.permission === "granted") {
              try {
                new Notification(`${verb} ended`, { body: what, tag: `hops-widgets-${source.get("name")}` });
              } catch {
                /* some hosts forbid the constructor (service-worker-only browsers) */
              }
            }
          }
        } else if (armed && !pending && settled && !armed.moved) {
          armed = null; // refused at once: nothing happened to tell about
        }
        const permission = supported ? Notification.permission : "unsupported";
        optIn.hidden = !armed || permission !== "default";
        said.hidden = !armed;
        said.textContent = armed
          ? permission === "granted"
            ? "You will be notified when it is done, if this page is hidden."
            : "The tab title will say when it is done."
          : "";
        line.hidden = !armed;
      };
      return update;
    },
  },

  diagram: {
    // the state diagrams (hops_widgets/diagrams.py): the layout is asked for once, when first shown,
    // and only from then on does the kernel keep the `diagram` trait (what to light) up to date
    traits: ["diagram", "tone"],
    build(el, ctx) {
      const { source, channel } = ctx;
      const big = ctx.view === "diagram";
      const { box, brief, note: caption } = disclosure(el, "diagram", "State diagram", "hops-dia-caption");
      const figures = h("div", "hops-dia-figures", box);
      const uid = `hops-dia-${Math.random().toString(36).slice(2, 8)}`;
      /** @type {Map<string, {svg: SVGElement, nodes: Map<string, Element>, edges: Map<string, Element>, layout: any}>} */
      const drawn = new Map();
      let asked = null; // the layout request, once made

      /** @param {string} tag @param {Record<string, any>} attrs @param {Element} [parent] */
      const svg = (tag, attrs, parent) => {
        const node = document.createElementNS(SVG_NS, tag);
        for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
        parent?.appendChild(node);
        return node;
      };
      /** @param {any} layout */
      const draw = (layout) => {
        const [w, hh] = layout.size;
        for (const d of layout.diagrams) {
          const figure = h("figure", "hops-dia-figure", figures);
          figure.dataset.diagram = d.id;
          h("figcaption", "hops-dia-title", figure).textContent = d.title;
          const root = svg("svg", { class: "hops-dia", viewBox: `0 0 ${d.width} ${d.height}`, role: "img" }, figure);
          root.style.maxWidth = `${d.width}px`;
          const defs = svg("defs", {}, root);
          for (const kind of ["plain", "taken"]) {
            const marker = svg(
              "marker",
              {
                id: `${uid}-${d.id}-${kind}`,
                viewBox: "0 0 10 10",
                refX: 9,
                refY: 5,
                markerUnits: "userSpaceOnUse", // the same size on a thick (taken) line
                markerWidth: 9,
                markerHeight: 9,
                orient: "auto-start-reverse",
              },
              defs,
            );
            svg("path", { d: "M0,0 L10,5 L0,10 z", class: `hops-dia-arrow hops-dia-arrow-${kind}` }, marker);
          }
          const edges = new Map();
          for (const e of d.edges) {
            const g = svg("g", { class: "hops-dia-edge" }, root);
            g.dataset.id = e.id;
            svg("title", {}, g).textContent = `${e.from} → ${e.to}${e.label ? `: ${e.label}` : ""}`;
            svg("path", { d: e.d, "marker-end": `url(#${uid}-${d.id}-plain)` }, g);
            if (e.label) {
              const text = svg("text", { x: e.at[0], y: e.at[1], class: "hops-dia-edge-label" }, g);
              text.style.textAnchor = e.anchor;
              text.textContent = e.label;
            }
            edges.set(e.id, g);
          }
          const nodes = new Map();
          for (const n of d.nodes) {
            const g = svg("g", { class: "hops-dia-node" }, root);
            g.dataset.id = n.id;
            svg("title", {}, g).textContent = n.hint;
            svg("rect", { x: n.x - w / 2, y: n.y - hh / 2, width: w, height: hh, rx: 8 }, g);
            svg("text", { x: n.x, y: n.y + (n.sub ? -3 : 4) }, g).textContent = n.label;
            if (n.sub) svg("text", { x: n.x, y: n.y + 12, class: "hops-dia-sub" }, g).textContent = n.sub;
            nodes.set(n.id, g);
          }
          drawn.set(d.id, { svg: root, nodes, edges, layout: d });
        }
      };
      /** @param {{layout: any}} d @param {string} id */
      const label = (d, id) => {
        const n = d.layout.nodes.find(/** @param {any} x */ (x) => x.id === id);
        return n ? (n.sub ? `${n.label} (${n.sub})` : n.label) : "";
      };
      const paint = () => {
        const m = source.get("diagram") || {};
        caption.textContent = m.text || "";
        brief.textContent = m.text ? ` · ${m.text}` : "";
        for (const [id, d] of drawn) {
          const mark = m[id] || {};
          const visited = new Set(mark.visited || []);
          const taken = new Set(mark.taken || []);
          const inferred = new Set(mark.inferred || []); // taken, though no poll saw it: drawn dashed
          for (const [nid, g] of d.nodes) {
            const state = nid === mark.current ? "current" : visited.has(nid) ? "visited" : "";
            g.setAttribute("data-state", state);
            if (state === "current") g.setAttribute("aria-current", "step");
            else g.removeAttribute("aria-current");
            const tone = id === "status" ? source.get("tone") : nid.endsWith("/false") ? "error" : nid.endsWith("/true") ? "ok" : "info";
            g.setAttribute("data-tone", state === "current" ? tone || "info" : "");
          }
          for (const [eid, g] of d.edges) {
            const state = eid === mark.last ? "last" : taken.has(eid) ? "taken" : "";
            g.setAttribute("data-state", state);
            g.setAttribute("data-inferred", String(inferred.has(eid)));
            g.querySelector("path")?.setAttribute("marker-end", `url(#${uid}-${id}-${state ? "taken" : "plain"})`);
          }
          const now = mark.current ? `now ${label(d, mark.current)}` : "not in use now";
          d.svg.setAttribute("aria-label", `${d.layout.title}: ${now}.${id === "status" && m.text ? ` ${m.text}` : ""}`);
          const figure = /** @type {HTMLElement} */ (d.svg.closest("figure"));
          figure.dataset.active = String(id === "status" || m.focus === id);
        }
      };
      /** @type {any} */
      let retry = null;
      /** @param {any} layout */
      const take = (layout) => {
        if (drawn.size || !layout?.diagrams) return;
        draw(layout);
        paint();
      };
      const ask = () => {
        asked ||= channel
          .request("diagram_layout")
          .then(/** @param {any} reply */ (reply) => {
            if (!reply?.ok) throw new Error("no layout");
            take(reply.body);
          })
          .catch(() => {
            // not answered in time (a kernel busy with a long cell, a host holding messages back):
            // ask again while open; a late answer to the first request is taken too (below)
            asked = null;
            clearTimeout(retry);
            retry = setTimeout(() => box.open && !drawn.size && ask(), 2000);
          });
      };
      /** @param {any} msg */
      const late = (msg) => msg.request === "diagram_layout" && msg.ok && take(msg.body);
      const onToggle = () => box.open && ask();
      box.addEventListener("toggle", onToggle);
      ctx.cleanup(channel.on("reply", late));
      ctx.cleanup(() => {
        clearTimeout(retry);
        box.removeEventListener("toggle", onToggle);
      });
      if (big) {
        box.open = true;
        ask();
      }
      return paint;
    },
  },

  problems: {
    traits: ["problems"],
    build(el, { source }) {
      const list = h("ul", "hops-problems", el);
      return () => {
        list.replaceChildren();
        const items = source.get("problems") || [];
        list.hidden = items.length === 0;
        for (const p of items) h("li", "", list).textContent = p;
      };
    },
  },

  error: {
    // the banner while polls fail, with the time of the last good answer (both views)
    traits: ["error", "last_ok_ms"],
    build(el, { source }) {
      const error = h("div", "hops-error", el);
      error.setAttribute("role", "alert");
      return () => {
        const text = source.get("error");
        error.hidden = !text;
        const lastOk = source.get("last_ok_ms");
        const when = lastOk ? ` Last good update: ${new Date(lastOk).toLocaleTimeString()}.` : "";
        error.textContent = text ? `${text}${when}` : "";
      };
    },
  },

  footer: {
    // two facts: when the server was last checked, when the state last changed; and the cadence
    traits: ["changed_at_ms", "polling", "interval_s", "error", "last_ok_ms", "listed_ms"],
    build(el, ctx) {
      const { source, channel } = ctx;
      const footer = h("div", "hops-footer", el);
      const checked = h("span", "hops-checked", footer);
      const updated = h("span", "hops-updated", footer);
      const polling = h("span", "hops-polling", footer);
      // the overview reads its rows in view one by one and the whole list less often: how old the
      // rows off screen and the status counts are (listed_ms is set only while that is so)
      const listed = h("span", "hops-listed", footer);
      listed.hidden = true;
      // Polls that find nothing new send nothing: between messages the poller's own
      // schedule bounds how old the last check is.
      let heardAt = source.get("changed_at_ms") || source.get("last_ok_ms") ? Date.now() : 0;
      // Runs every second: it writes only what changed, and formats clock times only when their
      // instant changes (an unchanged write still costs style and layout, toLocaleTimeString an Intl call)
      const clock = new Map();
      /** @param {number} ms */
      const timeOf = (ms) => {
        if (!clock.has(ms)) {
          if (clock.size > 8) clock.clear();
          clock.set(ms, new Date(ms).toLocaleTimeString());
        }
        return clock.get(ms);
      };
      const update = () => {
        const mode = source.get("polling");
        const every = source.get("interval_s");
        const changed = source.get("changed_at_ms");
        const since = (Date.now() - heardAt) / 1000;
        const live = (mode === "fast" || mode === "stable") && !source.get("error");
        let check = "";
        if (live && heardAt && every && since > every + 1) check = every < 5 ? "checked just now" : `checked in the last ${every} s`;
        else if (live && heardAt) check = `checked ${ago(since)}`;
        else if (source.get("error") && source.get("last_ok_ms")) {
          check = `last answer ${ago((Date.now() - source.get("last_ok_ms")) / 1000)}`;
        }
        setText(checked, check);
        if (checked.hidden !== !check) checked.hidden = !check;
        if (updated.hidden !== !ctx.hasChanges) updated.hidden = !ctx.hasChanges;
        setText(updated, changed ? `changed ${ago((Date.now() - changed) / 1000)}` : "waiting for the first update");
        setAttr(updated, "title", changed ? `the state last changed at ${timeOf(changed)}` : "");
        setText(polling, pollingText(mode, every));
        if (polling.dataset.mode !== String(mode)) polling.dataset.mode = mode;
        const listedMs = source.get("listed_ms");
        const noList = typeof listedMs !== "number";
        if (listed.hidden !== noList) listed.hidden = noList;
        if (!noList) {
          setText(listed, `counts and rows off screen as of ${ago(Math.max(0, (Date.now() - listedMs) / 1000))}`);
          setAttr(
            listed,
            "title",
            `The whole list was last read at ${timeOf(listedMs)}; rows on screen and rows that move are read more often.`,
          );
        }
        setAttr(
          polling,
          "title",
          ctx.root.dataset.delivery === "pull"
            ? "Updates fetched by this view at the polling cadence: this host does not deliver the kernel's background updates."
            : "Updates sent by the kernel as they happen.",
        );
      };
      const heard = () => {
        heardAt = Date.now();
        update();
      };
      for (const k of ["changed_at_ms", "polling", "interval_s", "error", "last_ok_ms", "row_ops"]) ctx.cleanup(source.on(k, heard));
      // a reply to an action or a refresh comes after the poll it caused
      ctx.cleanup(channel.on("reply", /** @param {any} msg */ (msg) => msg.ok && heard()));
      ctx.cleanup(everySecond(update, ctx.root));
      return update;
    },
  },

  table: {
    // the rows themselves come from the view's row store (keyed row_ops changes, see rowStore)
    traits: ["selected", "actions_enabled", "error", "actions_blocked"], // error: rows are marked last known
    build(el, ctx) {
      const table = new DeploymentTable(el, ctx);
      ctx.cleanup(() => table.destroy());
      ctx.revealRow = /** @param {string} name */ (name) => table.reveal(name); // the detail section brings its row into view
      return () => table.update();
    },
  },

  detail: {
    // the overview's open row: the detail view's own sections over the `detail_state` trait
    traits: ["detail_state"],
    build(el, ctx) {
      const { model, channel } = ctx;
      const holder = h("div", "hops-detail-holder", el);
      /** @type {(() => void) | null} */
      let unmount = null;
      let shown = "";
      const update = () => {
        const key = (model.get("detail_state") || {}).name || "";
        if (key === shown) return;
        unmount?.();
        unmount = null;
        holder.replaceChildren();
        shown = key;
        if (!key) return;
        const source = dictSource(model, "detail_state");
        const stop = mount("deployment", holder, { model, source, channel: targeted(channel, "detail"), nested: true });
        unmount = () => {
          stop();
          source.dispose?.();
        };
        // opened from this view: its row stays in the table's window, the detail comes into view
        // (the table is a bounded window, so the detail sits right under the rows, never 16,000 px down)
        if (ctx.opening === key) {
          ctx.opening = "";
          ctx.revealRow?.(key);
          holder.scrollIntoView?.({ block: "nearest" });
        }
      };
      ctx.cleanup(() => unmount?.());
      return update;
    },
  },
};

/**
 * What JSON cannot carry to the server in a parsed request body (the browser reads 1e999 as
 * Infinity and would send null), or "". Said before anything is sent.
 * @param {any} value @returns {string}
 */
export function bodyProblem(value, depth = 0) {
  if (typeof value === "number" && !Number.isFinite(value)) {
    return "not sent: a number in the body is too large for JSON (it reads as infinity, such as 1e999); write it smaller or as a string";
  }
  if (depth > 200 || value === null || typeof value !== "object") return "";
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    const problem = bodyProblem(item, depth + 1);
    if (problem) return problem;
  }
  return "";
}

/** An http(s) URL from the kernel, or "" (never a javascript: or data: link). @param {any} value */
export function safeUrl(value) {
  if (typeof value !== "string") return "";
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : "";
  } catch {
    return "";
  }
}

/**
 * The resource table's rows, `[label, cells per component]`; a row only where some component has the field.
 * @param {Source} source @param {Record<string, any>} all @param {string[]} parts
 */
export function resourceRows(source, all, parts) {
  /** @param {any} v */
  const has = (v) => v !== undefined && v !== null;
  /** @param {any} a @param {any} b @param {string} unit */
  const pair = (a, b, unit) => {
    if (!has(a) && !has(b)) return "";
    return `${has(a) ? a : "?"} / ${has(b) ? b : "?"}${unit}`;
  };
  /** @type {[string, (r: any, part: string) => string][]} */
  const defs = [
    ["Pods (exist / requested)", (r, part) => {
      const a = source.get(`${part}_available`);
      const q = source.get(`${part}_requested`);
      return has(a) || has(q) ? `${num(a)} exist / ${num(q)} requested` : "";
    }],
    ["Min – max instances", (r) => (has(r.min_instances) || has(r.max_instances) ? `${r.min_instances ?? "?"} – ${r.max_instances ?? "?"}` : "")],
    ["Autoscaler", (r) => (has(r.autoscaler) ? String(r.autoscaler) : "")],
    ["Scale on", (r) => (has(r.scale_metric) ? `${r.scale_metric}${has(r.target) ? `, target ${r.target}` : ""}` : "")],
    ["Also scale on", (r) =>
      Array.isArray(r.additional_metrics)
        ? r.additional_metrics.map(/** @param {[string, any]} mt */ ([m, t]) => (has(t) ? `${m}, target ${t}` : `${m} (default target)`)).join("; ")
        : ""],
    ["Scale to zero after", (r) => (has(r.retention_s) ? `${r.retention_s} s without requests` : "")],
    ["Idle scale-to-zero", (r) => {
      if (!has(r.idle_scale_to_zero) && !has(r.idle_cooldown_s)) return "";
      const after = has(r.idle_cooldown_s) ? `after ${r.idle_cooldown_s} s without requests` : "";
      if (r.idle_scale_to_zero === false) return "off";
      return r.idle_scale_to_zero ? `on${after ? `, ${after}` : ""}` : `cooldown ${r.idle_cooldown_s} s`;
    }],
    ["Cold-start timeout", (r) => (has(r.cold_start_timeout_s) ? `${r.cold_start_timeout_s} s` : "")],
    ["Stabilization (up / down)", (r) =>
      has(r.scale_up_window_s) || has(r.scale_down_window_s)
        ? `${r.scale_up_window_s ?? "?"} s / ${r.scale_down_window_s ?? "?"} s`
        : ""],
    ["Cores (request / limit)", (r) => pair(r.requests?.cores, r.limits?.cores, "")],
    ["Memory (request / limit)", (r) => pair(r.requests?.memory, r.limits?.memory, " MB")],
    ["GPUs (request / limit)", (r) => pair(r.requests?.gpus, r.limits?.gpus, "")],
  ];
  /** @type {[string, string[]][]} */
  const rows = [];
  for (const [label, cell] of defs) {
    const cells = parts.map((part) => cell(all[part] || {}, part));
    if (cells.some(Boolean)) rows.push([label, cells]);
  }
  return rows;
}

/** @param {string} name */
function confirmRestart(name) {
  const who = name || "this deployment";
  return window.confirm(`Restart ${who}? It is stopped (requests fail meanwhile) and then started again.`);
}

/** @param {string} name @param {any} version */
function confirmRollback(name, version) {
  const who = name || "this deployment";
  return window.confirm(
    `Roll ${who} back to version ${version}? A deployed one replaces its instances with ones running that version (Updating); requests may fail during the rollout.`,
  );
}

/** @param {string} name */
function confirmStop(name) {
  const who = name || "this deployment";
  return window.confirm(`Stop ${who}? Its instances will be released and requests will fail until it is started again.`);
}

// ==================================================================== the overview's table
// Order for sorting by status: what needs attention first.
const STATUS_ORDER = ["FAILED", "STARTING", "UPDATING", "STOPPING", "CREATING", "RUNNING", "IDLE", "CREATED", "STOPPED"];
/** @param {any} row */
const statusRank = (row) => {
  const i = STATUS_ORDER.indexOf(row.status);
  return i === -1 ? STATUS_ORDER.length : i;
};
// Natural order: `dep-2` before `dep-10` (the kernel sorts its rows the same way).
// Sort keys are cached per name: digit runs zero-padded, so plain string comparison is natural.
const NATURAL_KEYS = new Map();
/** @param {string} name */
const naturalKey = (name) => {
  let key = NATURAL_KEYS.get(name);
  if (key === undefined) {
    if (NATURAL_KEYS.size > 20000) NATURAL_KEYS.clear();
    key = name.toLowerCase().replace(/\d+/g, (d) => d.replace(/^0+(?=\d)/, "").padStart(16, "0"));
    NATURAL_KEYS.set(name, key);
  }
  return key;
};
/** @param {string} a @param {string} b */
export const naturalCompare = (a, b) => {
  const ka = naturalKey(a);
  const kb = naturalKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : a < b ? -1 : a > b ? 1 : 0;
};
const OVERSCAN = 8; // rows drawn above and below the visible ones

/**
 * The overview's rows, kept from keyed changes (`row_ops`: {rev, base, reset?, upsert, remove}):
 * new rows whole, changed rows with only their changed fields, removed rows by name. A change that
 * does not follow the revision held (this view is new, or missed messages) makes the view ask for
 * the whole table once (`rows`); changes arriving meanwhile wait and are applied after it.
 * One per view, shared by the title and the table (`ctx.rows`).
 * @param {Source} source @param {Channel} channel @param {(f: () => void) => void} cleanup
 */
export function rowStore(source, channel, cleanup) {
  /** @type {Map<string, any>} */
  const rows = new Map();
  let rev = 0;
  let asking = false;
  /** @type {any[]} */
  const waiting = [];
  /** @type {Set<() => void>} */
  const subscribers = new Set();
  const notify = () => subscribers.forEach((f) => f());
  /** @param {any} ops */
  const apply = (ops) => {
    if (ops.reset) rows.clear();
    for (const name of ops.remove || []) rows.delete(name);
    for (const row of ops.upsert || []) {
      const have = rows.get(row.name);
      rows.set(row.name, have ? { ...have, ...row } : row);
    }
    rev = ops.rev;
  };
  const ask = () => {
    if (asking) return;
    asking = true;
    channel
      .request("rows")
      .then(/** @param {any} reply */ (reply) => {
        asking = false;
        if (!reply || !reply.ok || !reply.body) return;
        if (reply.body.rev >= rev) apply(reply.body);
        let gap = false;
        for (const ops of waiting.splice(0).sort((a, b) => a.rev - b.rev)) {
          if (ops.rev <= rev) continue;
          if (ops.base === rev || ops.reset) apply(ops);
          else gap = true;
        }
        notify();
        if (gap) ask();
      })
      .catch(() => {
        asking = false;
      });
  };
  /** @param {any} ops @returns {boolean} whether the rows changed */
  const take = (ops) => {
    if (!ops || typeof ops.rev !== "number") return false;
    if (ops.reset ? ops.rev < rev : ops.rev <= rev) return false;
    if (ops.reset || (ops.base === rev && !asking)) {
      apply(ops);
      return true;
    }
    waiting.push(ops); // a gap: ask for the whole table, apply this after it
    ask();
    return false;
  };
  take(source.get("row_ops")); // the first round's change carries every row (base 0)
  ask(); // and this view gets the whole table once, however old the widget is
  cleanup(source.on("row_ops", () => take(source.get("row_ops")) && notify()));
  return {
    rows,
    get rev() {
      return rev;
    },
    /** @param {() => void} f */
    subscribe(f) {
      subscribers.add(f);
      return () => subscribers.delete(f);
    },
  };
}

/** @param {any} ctx @returns {ReturnType<typeof rowStore>} */
const rowsOf = (ctx) => (ctx.rows ||= rowStore(ctx.source, ctx.channel, ctx.cleanup));

/**
 * One row of the table in the DOM: its cells, and the row and key it was last filled with.
 * @typedef {{ tr: HTMLElement, row: any, filled: string | null, name: HTMLElement, model: HTMLElement,
 *             badge: HTMLElement, icon: HTMLElement, label: HTMLElement, message: HTMLElement, text: HTMLElement,
 *             counts: HTMLElement, s2z: HTMLElement, actions: HTMLElement, buttons: Record<string, HTMLButtonElement> }} RowEntry
 */

/**
 * The deployments table: a search box and status chips over a windowed table. Only the rows in
 * (and just around) the scrolled window are in the DOM, keyed by name and updated in place, so a
 * row keeps its focus and hover while the table refreshes; spacer rows stand for the others.
 * Sort, filter and counts are over the whole list.
 *
 * One object with a small interface (as quak's DataTable): built once over its element and the
 * view's context; `update()` when its traits change (the rows come from the view's row store,
 * which it follows itself), `reveal(name)` to bring a row into the window, `destroy()` for its
 * timers and observers.
 */
class DeploymentTable {
  /** @param {HTMLElement} el @param {any} ctx */
  constructor(el, ctx) {
    this.ctx = ctx;
    /** @type {Source} */
    this.source = ctx.source;
    this.channel = ctx.channel;
    /** @type {HTMLElement} */
    this.root = ctx.root;
    this.store = rowsOf(ctx);
    /** @type {(() => void)[]} */
    this.cleanups = [];
    this.sortKey = "name";
    this.sortDir = 1;
    this.query = "";
    this.status = ""; // the status chip pressed ("" = all)
    /** @type {Map<string, any>} the rows in the DOM, by name */
    this.entries = new Map();
    /** @type {any[]} the filtered, sorted rows */
    this.order = [];
    /** @type {Map<string, number>} */
    this.index = new Map();
    this.rowH = 0; // measured from the drawn rows
    this.remeasure = false; // measure it again at the next draw
    this.focused = "";
    this.tabStop = "";
    this.drawn = false;
    this.frame = 0; // a draw asked for the next animation frame
    /** @type {Map<string, HTMLButtonElement>} */
    this.chipButtons = new Map();
    const tools = h("div", "hops-table-tools", el);
    const search = /** @type {HTMLInputElement} */ (h("input", "hops-search", tools));
    search.type = "search";
    search.placeholder = "Search name or model";
    search.setAttribute("aria-label", "Search deployments by name or model");
    this.chips = h("div", "hops-chips", tools);
    this.chips.setAttribute("role", "group");
    this.chips.setAttribute("aria-label", "Filter by status");
    this.shown = h("span", "hops-shown", tools);
    this.shown.setAttribute("aria-live", "polite");
    const scroller = (this.scroller = h("div", "hops-table-scroll", el));
    const table = h("table", "hops-table", scroller);
    // Fixed column widths: long names are cut with an ellipsis instead of widening the table.
    const cols = h("colgroup", "", table);
    /** @type {Record<string, HTMLElement>} */
    this.col = {};
    for (const key of ["name", "status", "message", "instances", "actions"]) this.col[key] = h("col", `hops-col-${key}`, cols);
    const head = (this.head = h("tr", "", h("thead", "", table)));
    const body = h("tbody", "", table);
    this.padTop = h("tr", "hops-spacer", body);
    this.padBottom = h("tr", "hops-spacer", body);
    this.padTop.setAttribute("aria-hidden", "true");
    this.padBottom.setAttribute("aria-hidden", "true");
    this.empty = h("div", "hops-table-empty", el);
    /** @type {Record<string, HTMLElement>} */
    this.sortHeaders = {};
    /** @type {Record<string, HTMLElement>} */
    this.headers = {};
    for (const [key, label, sortable] of /** @type {[string, string, boolean][]} */ ([
      ["name", "Name · model", true],
      ["status", "Status", true],
      ["message", "Condition", false],
      ["instances", "Pods", false],
      ["actions", "Actions", false],
    ])) {
      const th = /** @type {HTMLTableCellElement} */ (h("th", `hops-head-${key}`, head));
      th.scope = "col";
      this.headers[key] = th;
      if (key === "instances") th.title = "Pods that exist (in any phase: pending and crashing ones count) of the requested";
      if (!sortable) {
        th.textContent = label;
        continue;
      }
      const b = /** @type {HTMLButtonElement} */ (h("button", "hops-sort", th));
      b.type = "button";
      b.dataset.sort = key;
      b.textContent = label;
      b.addEventListener("click", () => {
        this.sortDir = this.sortKey === key ? -this.sortDir : 1;
        this.sortKey = key;
        this.reorder();
        this.revealSelected();
      });
      this.sortHeaders[key] = th;
    }
    /** @type {any} */
    let typing = null;
    search.addEventListener("input", () => {
      clearTimeout(typing);
      typing = setTimeout(() => {
        this.query = search.value.trim().toLowerCase();
        scroller.scrollTop = 0;
        this.reorder();
      }, 60);
    });
    this.cleanups.push(() => clearTimeout(typing));
    search.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" && this.order.length) {
        event.preventDefault();
        this.focusRow(0);
      }
    });
    this.reported = "";
    this.reportTimer = 0;
    this.reportedAt = 0;
    /** @type {{ names: string[], query: string }} */
    this.inView = { names: [], query: "" };
    this.cleanups.push(() => clearTimeout(this.reportTimer));
    this.watchLayout();
    this.cleanups.push(this.store.subscribe(() => this.reorder(true)));
  }

  /** Traits changed (selected, actions_enabled, error): the rows stay, the window is drawn again. */
  update() {
    if (!this.drawn) {
      this.drawn = true;
      this.reorder();
    } else this.draw();
  }

  /** Scroll the row `name` (if the filter shows it) into the window. @param {string} name */
  reveal(name) {
    const i = this.index.get(name);
    if (i !== undefined) this.scrollToIndex(i), this.draw();
  }

  destroy() {
    this.cleanups.splice(0).forEach(/** @param {() => void} f */ (f) => f());
  }

  /** The status chip `key` (made the first time), showing `text`. @param {string} key @param {string} text */
  chip(key, text) {
    let b = this.chipButtons.get(key);
    if (!b) {
      b = /** @type {HTMLButtonElement} */ (h("button", "hops-chip", this.chips));
      b.type = "button";
      b.dataset.status = key;
      b.addEventListener("click", () => {
        this.status = this.status === key ? "" : key;
        this.scroller.scrollTop = 0;
        this.reorder();
      });
      this.chipButtons.set(key, b);
    }
    b.textContent = text;
    b.setAttribute("aria-pressed", String(this.status === key));
    return b;
  }

  /** One table row, built when it scrolls into the window and updated in place. @param {string} name @returns {RowEntry} */
  makeRow(name) {
    const { channel, ctx } = this;
    const tr = h("tr", "hops-row");
    tr.dataset.name = name;
    tr.tabIndex = -1;
    const entry = /** @type {RowEntry} */ ({ tr, row: null, filled: null });
    // name and model share a cell, one line each, cut with an ellipsis (full text: title, or row focus)
    const who = h("td", "hops-cell-who", tr);
    entry.name = h("div", "hops-cell-name hops-clip", who);
    entry.model = h("div", "hops-cell-model hops-clip", who);
    const badge = makeBadge(h("td", "hops-cell-status", tr));
    entry.badge = badge.badge;
    entry.icon = badge.icon;
    entry.label = badge.text;
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
      ["restart", "Restart"], // a failed row's way back (the cluster refuses Start there)
      ["stop", "Stop"],
    ]) {
      const b = makeButton(action, text, cell);
      b.addEventListener("click", (event) => {
        event.stopPropagation();
        if (b.disabled) return;
        // a refused stop mid-start: the same button offers "stop once it has started", then cancels it
        /** @type {Record<string, any>} */
        const row = entry.row || {};
        const kind = action === "stop" && row.deferred ? "cancel_stop_later" : action === "stop" && row.offer ? "stop_later" : action;
        if (kind === "stop" && !window.confirm(`Stop ${name}? Its instances will be released.`)) return;
        if (kind === "restart" && !confirmRestart(name)) return;
        b.disabled = true; // one click, one action
        channel.request(kind, { name }).catch(() => null);
      });
      b.addEventListener("keydown", (event) => event.stopPropagation());
      entry.buttons[action] = b;
    }
    const open = () => {
      ctx.opening = name; // this view asked: its detail is scrolled into view when it comes
      channel.request("select", { name }).catch(() => null);
    };
    tr.addEventListener("click", open);
    tr.addEventListener("focus", () => {
      this.focused = name;
    });
    tr.addEventListener("keydown", (event) => {
      const last = this.order.length - 1;
      const at = this.index.get(name) ?? -1;
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        open();
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        this.focusRow(Math.max(0, Math.min(last, at + (event.key === "ArrowDown" ? 1 : -1))));
      } else if (event.key === "Home" || event.key === "End") {
        event.preventDefault();
        this.focusRow(event.key === "Home" ? 0 : last);
      } else if (event.key === "PageDown" || event.key === "PageUp") {
        event.preventDefault();
        const page = Math.max(1, Math.floor(this.scroller.clientHeight / this.rowH) - 1);
        this.focusRow(Math.max(0, Math.min(last, at + (event.key === "PageDown" ? page : -page))));
      }
    });
    return entry;
  }

  /** @param {RowEntry} entry @param {any} row @param {string} selected @param {boolean} withActions @param {boolean} stale */
  fillRow(entry, row, selected, withActions, stale) {
    const key = `${selected === row.name}|${withActions}|${stale}|${this.source.get("actions_blocked") || ""}`;
    if (entry.row === row && entry.filled === key) return; // nothing changed for this row
    entry.row = row;
    entry.filled = key;
    entry.tr.dataset.status = row.status;
    entry.tr.setAttribute("aria-selected", String(row.name === selected));
    entry.name.textContent = row.label ?? row.name;
    entry.name.title = row.label ?? row.name;
    entry.model.textContent = row.model_label ?? row.model;
    entry.model.title = row.model_label ?? row.model;
    entry.model.hidden = !row.model;
    setBadge(entry.badge, entry.icon, entry.label, row.tone, row.busy, row.status_label);
    entry.badge.classList.toggle("hops-stale", stale);
    entry.badge.title = stale ? `${row.status_label} (last known: the server cannot be reached)` : row.status_label;
    // Failed and moving rows lead with the server's reason (what to act on); the others with the
    // plain sentence. Python decides which (condition_shows); the other text is the tooltip.
    const showsReason = row.condition_shows === "reason";
    entry.message.dataset.shows = showsReason ? "reason" : "message";
    entry.text.textContent = showsReason ? row.reason : row.message;
    entry.message.title = showsReason ? `${row.reason}\n${row.message}` : row.reason || row.message;
    // one line, so every row keeps its height: ready (READY True) or not serving is a mark on the count
    const mark = /** @type {Record<string, string>} */ ({ ready: " ✓", "not serving": " ✕", "not ready yet": " …" })[row.readiness] || "";
    entry.counts.textContent = `${row.instances}${mark}`;
    entry.counts.dataset.ready = row.readiness || "";
    entry.counts.title = `${row.instances} pods exist (any phase) of the requested${row.readiness ? `: ${row.readiness}` : ""}`;
    entry.s2z.hidden = !row.scale_to_zero;
    entry.actions.hidden = !withActions;
    const blocked = !!this.source.get("actions_blocked");
    /** @type {Record<string, any>} */
    const allowed = { start: row.can_start, stop: row.can_stop || !!row.deferred, restart: row.can_restart };
    for (const [action, b] of Object.entries(entry.buttons)) {
      const waiting = row.pending === action || (action === "stop" && !!row.deferred);
      // Restart appears on a failed row in Start's place; Start stays (disabled) elsewhere
      b.hidden = !withActions || (action === "restart" ? !row.can_restart : action === "start" && !!row.can_restart);
      b.disabled = !allowed[action] || !!row.pending || blocked;
      b.classList.toggle("hops-pending", waiting);
      b.setAttribute("aria-busy", String(waiting));
      if (action === "stop") {
        b.textContent = row.deferred ? "Cancel pending stop" : row.offer || "Stop";
        b.title = row.deferred ? "A stop is pending: it is sent once the start ends. Click to cancel it." : "";
      }
    }
  }

  /** The status chips: All first, then one per status label with its count; a pressed chip stays. */
  /** @param {any[]} all */
  countChips(all) {
    const counts = new Map();
    for (const r of all) counts.set(r.status_label, (counts.get(r.status_label) || 0) + 1);
    this.chip("", `All ${all.length}`);
    const labels = [...counts.keys()].sort(naturalCompare);
    const keep = new Set([""]);
    for (const label of labels) keep.add(/** @type {string} */ (this.chip(label, `${label} ${counts.get(label)}`).dataset.status));
    if (this.status && !counts.has(this.status)) this.chip(this.status, `${this.status} 0`), keep.add(this.status);
    for (const [k, b] of this.chipButtons) {
      if (!keep.has(k)) {
        b.remove();
        this.chipButtons.delete(k);
      }
    }
    [...keep].forEach((k) => this.chips.appendChild(/** @type {HTMLButtonElement} */ (this.chipButtons.get(k)))); // All first, then by label
  }

  /**
   * Filter and sort the whole list, then draw the window. `anchored` (the rows changed, not the
   * user's sort or filter): a selected row on screen stays where it is on screen.
   */
  reorder(anchored = false) {
    const { scroller, rowH } = this;
    const sel = this.source.get("selected");
    const anchor = anchored && rowH && this.entries.has(sel) && this.index.has(sel) ? /** @type {number} */ (this.index.get(sel)) * rowH - scroller.scrollTop : null;
    const all = [...this.store.rows.values()];
    this.countChips(all);
    const { query: q, status } = this;
    const order = all.filter(
      (r) =>
        (!status || r.status_label === status) &&
        (!q || (r.label ?? r.name).toLowerCase().includes(q) || (r.model_label ?? r.model ?? "").toLowerCase().includes(q)),
    );
    /** @param {any} a @param {any} b */
    const byName = (a, b) => naturalCompare(a.name, b.name);
    const dir = this.sortDir;
    order.sort(this.sortKey === "status" ? (a, b) => (statusRank(a) - statusRank(b) || byName(a, b)) * dir : (a, b) => byName(a, b) * dir);
    this.order = order;
    this.index = new Map(order.map((r, i) => [r.name, i]));
    this.shown.textContent = order.length === all.length ? "" : `${order.length} of ${all.length} shown`;
    this.root.dataset.rows = String(all.length);
    this.root.dataset.shown = String(order.length);
    for (const [key, th] of Object.entries(this.sortHeaders)) {
      th.setAttribute("aria-sort", key === this.sortKey ? (dir > 0 ? "ascending" : "descending") : "none");
    }
    this.empty.hidden = order.length > 0 || all.length === 0;
    this.empty.textContent = "No deployment matches the search and filter.";
    if (anchor !== null && this.index.has(sel)) scroller.scrollTop = Math.max(0, /** @type {number} */ (this.index.get(sel)) * rowH - anchor);
    this.draw();
  }

  /** Draw the rows in the scrolled window (and OVERSCAN around it); the others are spacers. */
  draw() {
    const { source, scroller, order, index, entries, padTop, padBottom } = this;
    const selected = source.get("selected");
    const withActions = source.get("actions_enabled");
    const stale = !!source.get("error") && this.store.rows.size > 0;
    this.root.dataset.stale = String(stale);
    this.col.actions.hidden = !withActions;
    this.headers.actions.hidden = !withActions;
    const est = this.rowH || 44;
    const visibleRows = Math.ceil((scroller.clientHeight || 600) / est) + 1;
    const first = Math.max(0, Math.floor(scroller.scrollTop / est) - OVERSCAN);
    const last = Math.min(order.length, first + visibleRows + 2 * OVERSCAN);
    const slice = order.slice(first, last);
    const names = new Set(slice.map((r) => r.name));
    for (const [name, entry] of entries) {
      if (!names.has(name)) {
        entry.tr.remove();
        entries.delete(name);
      }
    }
    // the keyboard's one tab stop: the focused row, else the selected one, else the first
    const tabStop = (this.tabStop = index.has(this.focused) ? this.focused : index.has(selected) ? selected : order[0]?.name || "");
    let at = padTop;
    for (const row of slice) {
      let entry = entries.get(row.name);
      if (!entry) {
        entry = this.makeRow(row.name);
        entries.set(row.name, entry);
      }
      this.fillRow(entry, row, selected, withActions, stale);
      entry.tr.tabIndex = row.name === tabStop ? 0 : -1;
      // move only rows that are out of place, so a focused row stays put
      if (at.nextSibling !== entry.tr) at.after(entry.tr);
      at = entry.tr;
    }
    // the row height is measured on the first draw and again whenever it may have changed (a
    // resize: rows stack when narrow; a font or theme change), never while merely scrolling
    if (slice.length && (this.remeasure || !this.rowH)) {
      this.remeasure = false;
      const a = entries.get(slice[0].name).tr;
      const b = entries.get(slice[slice.length - 1].name).tr;
      const measured = (b.offsetTop + b.offsetHeight - a.offsetTop) / slice.length;
      if (measured > 0 && Math.abs(measured - this.rowH) > 0.5) {
        const had = this.rowH;
        const topRow = had ? scroller.scrollTop / had : 0;
        this.rowH = measured;
        if (had) {
          // the row at the top stays at the top; draw again with the new height
          padTop.style.height = `${first * measured}px`;
          padBottom.style.height = `${(order.length - last) * measured}px`;
          scroller.scrollTop = topRow * measured;
          this.draw();
          return;
        }
      }
    }
    const h1 = this.rowH || est;
    padTop.style.height = `${first * h1}px`;
    padBottom.style.height = `${(order.length - last) * h1}px`;
    padTop.hidden = first === 0;
    padBottom.hidden = last >= order.length;
    this.reportInView(h1);
  }

  // Which rows are on screen, told to the kernel (at most every 250 ms, only when they change): it
  // reads those one by one at the widget's cadence and the whole list less often. The search and
  // the pressed chip go with them: a filter over an old list makes the kernel read it again.
  /** @param {number} h1 the row height */
  reportInView(h1) {
    const { scroller, order } = this;
    const top = Math.max(0, Math.floor(scroller.scrollTop / h1));
    const bottom = Math.min(order.length, Math.ceil((scroller.scrollTop + (scroller.clientHeight || 600)) / h1));
    const filter = this.query || this.status ? `${this.status}|${this.query}` : "";
    this.inView = { names: order.slice(top, bottom).map((r) => r.name), query: filter };
    if (!this.reportTimer) this.reportTimer = setTimeout(() => this.sendInView(), Math.max(0, 250 - (Date.now() - this.reportedAt)));
  }

  sendInView() {
    this.reportTimer = 0;
    const key = JSON.stringify(this.inView);
    if (key === this.reported) return;
    this.reported = key;
    this.reportedAt = Date.now();
    this.channel.notify("rows_in_view", this.inView);
  }

  /** Scroll row `i` of the filtered list into the window, draw, and focus it. */
  /** @param {number} i */
  focusRow(i) {
    const row = this.order[i];
    if (!row) return;
    this.scrollToIndex(i);
    this.focused = row.name;
    this.draw();
    this.entries.get(row.name)?.tr.focus({ preventScroll: true });
  }

  /** @param {number} i */
  scrollToIndex(i) {
    const { scroller } = this;
    const h1 = this.rowH || 44;
    const top = i * h1;
    const headH = this.head.offsetHeight || 0;
    if (top < scroller.scrollTop) scroller.scrollTop = top;
    else if (top + h1 + headH > scroller.scrollTop + scroller.clientHeight) {
      scroller.scrollTop = top + h1 + headH - scroller.clientHeight;
    }
  }

  /** After a sort: the selected row, if any, is brought into the window. */
  revealSelected() {
    const i = this.index.get(this.source.get("selected"));
    if (i !== undefined) {
      this.scrollToIndex(i);
      this.draw();
    }
  }

  /** Draw at the next animation frame (scrolling, resizing), once however often it is asked. */
  drawSoon() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /** Draw again when the window scrolls or changes size, and measure the rows again when they may have changed. */
  watchLayout() {
    const { scroller, cleanups } = this;
    const onScroll = () => this.drawSoon();
    scroller.addEventListener("scroll", onScroll, { passive: true });
    cleanups.push(() => cancelAnimationFrame(this.frame));
    // the window's height changes with the output's size: draw again
    let width = -1;
    const again = () => {
      this.remeasure = true;
      this.drawSoon();
    };
    if (typeof ResizeObserver === "function") {
      const ro = new ResizeObserver(() => {
        // a new width reflows the rows (stacked when narrow): their height is measured again
        if (scroller.clientWidth !== width) this.remeasure = width !== -1 || this.remeasure;
        width = scroller.clientWidth;
        this.drawSoon();
      });
      ro.observe(scroller);
      cleanups.push(() => ro.disconnect());
    }
    // a font or theme change (JupyterLab sets its theme and font sizes on <body> and <html>)
    if (typeof MutationObserver === "function") {
      const mo = new MutationObserver(again);
      for (const node of [document.documentElement, document.body]) {
        if (node) mo.observe(node, { attributes: true, attributeFilter: ["class", "style", "data-jp-theme-name", "data-theme"] });
      }
      cleanups.push(() => mo.disconnect());
    }
    if (document.fonts && typeof document.fonts.addEventListener === "function") {
      document.fonts.addEventListener("loadingdone", again);
      cleanups.push(() => document.fonts.removeEventListener("loadingdone", again));
    }
    const scheme = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;
    if (scheme && typeof scheme.addEventListener === "function") {
      scheme.addEventListener("change", again);
      cleanups.push(() => scheme.removeEventListener("change", again));
    }
    // the busy badges spin only while this table is on screen (CSS pauses them otherwise)
    if (typeof IntersectionObserver === "function") {
      const io = new IntersectionObserver((seen) => {
        this.root.dataset.onscreen = String(seen.some((e) => e.isIntersecting));
      });
      io.observe(scroller);
      cleanups.push(() => io.disconnect());
    }
  }
}

// ==================================================================== views
/**
 * A view: its root classes, the sections of its header row, the sections under it, the
 * buttons its actions section shows, and whether it has a state that changes over time.
 */
/** @type {Record<string, {root: string, header: string[], body: string[], below?: string[], buttons: string[], hasChanges: boolean}>} */
export const VIEWS = {
  deployment: {
    root: "hops-deployment",
    header: ["status", "restarting", "identity", "actions"],
    body: ["condition", "steps", "instances", "notify", "resources", "endpoints", "versions", "tryit", "history", "diagram", "logs", "problems", "error", "footer"],
    buttons: ["start", "stop", "restart", "refresh"],
    hasChanges: true,
  },
  diagram: {
    // hops_widgets.diagram(deployment): the diagrams open and large, with the badge and the message
    root: "hops-deployment hops-diagram-view",
    header: ["status", "identity"],
    body: ["condition", "diagram", "error", "footer"],
    buttons: [],
    hasChanges: true,
  },
  overview: {
    root: "hops-deployment hops-overview",
    header: ["title", "actions"],
    body: ["table", "error", "footer"],
    buttons: ["refresh"],
    hasChanges: false,
    below: ["detail"], // outside the table's box, as wide as it
  },
};

/**
 * Build a view's sections once, wire their traits, and return one cleanup.
 * @param {string} viewName
 * @param {HTMLElement} el
 * @param {{ model: Model, source: Source, channel: Channel, nested?: boolean }} base
 */
export function mount(viewName, el, base) {
  const view = VIEWS[viewName];
  const root = h("div", view.root, el);
  if (base.nested) root.classList.add("hops-detail");
  const header = h("div", "hops-header", root);
  /** @type {(() => void)[]} */
  const cleanups = [];
  let afterHeader = header;
  /** @type {typeof base & Record<string, any>} */
  const ctx = {
    ...base,
    root,
    view: viewName,
    buttons: view.buttons,
    hasChanges: view.hasChanges,
    cleanup: /** @param {() => void} f */ (f) => cleanups.push(f),
    /** @param {HTMLElement} node */
    after(node) {
      afterHeader.after(node);
      afterHeader = node;
    },
  };
  /** @param {string} name @param {HTMLElement} parent */
  const build = (name, parent) => {
    const section = SECTIONS[name];
    const update = section.build(parent, ctx);
    for (const trait of section.traits) cleanups.push(ctx.source.on(trait, update));
    update();
  };
  for (const name of view.header) build(name, header);
  for (const name of view.body) build(name, root);
  for (const name of view.below || []) build(name, el);
  if (!base.nested) {
    const visibility = watchVisibility(base.channel, root);
    const held = () => (ctx.rows ? { rows_rev: ctx.rows.rev } : {});
    cleanups.push(visibility.stop, syncByPull(base.model, base.channel, root, visibility.visible, held));
  }
  return () => cleanups.splice(0).forEach((f) => f());
}

/**
 * The second delivery path, for hosts that drop (Colab) or hold back (VS Code) the trait changes
 * the kernel sends from its poller thread: while the view is visible it asks, at the polling
 * cadence, for what changed after the newest revision it holds (`_rev`); the kernel answers inside
 * that request, and only when something did change. Where pushes arrive, the view already holds the
 * newest revision and the answer never comes: one small notice per interval, nothing back.
 * Returns the cleanup.
 * @param {Model} model @param {Channel} channel @param {HTMLElement} root @param {() => boolean} visible
 * @param {() => object} [held]
 * @returns {() => void}
 */
function syncByPull(model, channel, root, visible, held = () => ({})) {
  let applying = false;
  root.dataset.delivery = "push";
  /** @param {any} msg */
  const apply = (msg) => {
    if (typeof msg.rev !== "number" || msg.rev <= (model.get("_rev") || 0)) return;
    applying = true;
    try {
      for (const [k, v] of Object.entries(msg.changes || {})) model.set(k, v);
      model.set("_rev", msg.rev);
    } finally {
      applying = false;
    }
    root.dataset.delivery = "pull"; // this view is kept current by its own requests
    // the answer may bring the cadence (a host that dropped the first state had none, so the next
    // pull was planned 5 s out): plan the next pull from the cadence just received
    clearTimeout(timer);
    timer = setTimeout(tick, cadenceMs());
  };
  const onPush = () => {
    if (!applying) root.dataset.delivery = "push";
  };
  const offState = channel.on("state", apply);
  model.on("change:_rev", onPush);
  /** @type {any} */
  let timer = null;
  const cadenceMs = () => Math.max(1, Number(model.get("interval_s")) || 5) * 1000;
  const tick = () => {
    // with the ids still waiting for a reply: one the kernel sent from its poller thread, and the
    // host dropped, is sent again from the thread that handles this notice
    const waiting = channel.waiting();
    // the overview's row store says which table revision it holds: the answer brings only what it lacks
    const rows = held();
    if (visible()) channel.notify("pull", { rev: model.get("_rev") || 0, ...rows, ...(waiting.length ? { waiting } : {}) });
    timer = setTimeout(tick, cadenceMs());
  };
  tick(); // at once: a host that dropped even the first state shows it now
  return () => {
    clearTimeout(timer);
    offState();
    model.off("change:_rev", onPush);
  };
}

/**
 * Tell Python whether this view is on screen (IntersectionObserver + page visibility),
 * so the poller can slow down when nobody looks. Returns `{visible(), stop()}`.
 * @param {Channel} channel @param {HTMLElement} root
 */
function watchVisibility(channel, root) {
  const viewId = `${Math.random().toString(36).slice(2, 10)}`;
  let onScreen = typeof IntersectionObserver !== "function";
  /** @type {boolean | null} */
  let lastSent = null;
  const report = () => {
    const visible = onScreen && document.visibilityState === "visible";
    if (visible === lastSent) return;
    lastSent = visible;
    channel.notify("visibility", { view: viewId, visible });
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
  return {
    visible: () => onScreen && document.visibilityState === "visible",
    stop() {
      observer?.disconnect();
      document.removeEventListener("visibilitychange", report);
      onScreen = false;
      report();
    },
  };
}

// ==================================================================== anywidget entry points
/** @type {WeakMap<object, Channel>} */
const channels = new WeakMap();

/** Per model, once: its message channel (closed, with its open requests, with the model). @param {{ model: Model }} args */
function initialize({ model }) {
  const channel = createChannel(model);
  channels.set(model, channel);
  return () => {
    channel.close();
    channels.delete(model);
  };
}

/** One module for both widgets: the `_view` trait says which one this model is. @param {{ model: Model, el: HTMLElement }} args */
function render({ model, el }) {
  let channel = channels.get(model);
  let own = null;
  if (!channel) {
    // a host that does not call initialize: a channel for this view alone
    own = createChannel(model);
    channel = own;
  }
  const wanted = model.get("_view");
  const view = Object.hasOwn(VIEWS, wanted) ? wanted : "deployment";
  const wrapper = view === "overview" ? h("div", "hops-overview-box", el) : el;
  const unmount = mount(view, wrapper, { model, source: modelSource(model), channel });
  return () => {
    unmount();
    own?.close();
    if (wrapper !== el) wrapper.remove();
  };
}

export default { initialize, render };
