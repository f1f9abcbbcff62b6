// A plain stand-in for an anywidget model (Backbone-like), for running js/widget.js with no
// kernel and no Jupyter: the browser tests (tests/e2e/test_sections.py, through harness.html)
// and the frontend benchmark (benchmarks/frontend.py) both import this module.
//
// get/set/on/off/send as anywidget's model has them; apply(delta) is what Backbone's set()
// does with a kernel update (assign, `change:<key>` per changed key, then one `change`);
// receive(msg) / reply(request, ...) deliver a custom message to the `msg:custom` listeners;
// `sent` records what the view sent.

const same = (a, b) => a === b || JSON.stringify(a) === JSON.stringify(b);

export class FakeModel {
  /** @param {Record<string, any>} [state] */
  constructor(state = {}) {
    this.state = structuredClone(state);
    /** @type {Record<string, Function[]>} */
    this.handlers = {};
    /** @type {any[]} */
    this.sent = [];
    /** @type {Record<string, (msg: any) => any>} requests the fake answers itself, by type */
    this.answers = {};
    this.closed = false;
  }

  get(key) {
    return this.state[key];
  }

  /** As Backbone's set: assign and fire `change:<key>` (and `change`) when the value changed. */
  set(key, value) {
    this.apply({ [key]: value });
  }

  on(event, fn) {
    (this.handlers[event] ||= []).push(fn);
  }

  off(event, fn) {
    if (event === undefined) this.handlers = {};
    else if (fn === undefined) delete this.handlers[event];
    else this.handlers[event] = (this.handlers[event] || []).filter((f) => f !== fn);
  }

  send(msg) {
    if (this.closed) throw new Error("the comm is closed");
    this.sent.push(structuredClone(msg));
    const answer = msg && msg.id !== undefined ? this.answers[msg.type] : undefined;
    // answered later, as a kernel would: never inside send()
    if (answer) setTimeout(() => this.reply(msg, answer(msg)), 0);
  }

  save_changes() {}

  /** A kernel update: assign, fire `change:<key>` per changed key, then `change`. Returns the changed keys. */
  apply(delta) {
    const changed = [];
    for (const [key, value] of Object.entries(delta)) {
      if (!same(this.state[key], value)) {
        this.state[key] = value; // as Backbone does: the update's own objects, not copies
        changed.push(key);
      }
    }
    for (const key of changed) {
      for (const fn of (this.handlers["change:" + key] || []).slice()) fn.call(this, this, this.state[key]);
    }
    if (changed.length) for (const fn of (this.handlers.change || []).slice()) fn.call(this, this);
    return changed;
  }

  /** A custom message from the kernel, to every `msg:custom` listener (content, buffers). */
  receive(msg) {
    for (const fn of (this.handlers["msg:custom"] || []).slice()) fn.call(this, structuredClone(msg), []);
  }

  /** Answer a request the view sent, the way hops_widgets._channel.Channel.reply does. */
  reply(request, { ok = true, error = "", body } = {}) {
    const msg = { type: "reply", id: request.id, request: request.type, ok, error };
    if (body !== undefined) msg.body = body;
    this.receive(msg);
  }

  /** The requests of one type sent so far (those with an id). */
  requests(type) {
    return this.sent.filter((m) => m.id !== undefined && (type === undefined || m.type === type));
  }

  /** Listeners still registered, per event (events with none left out). */
  listeners() {
    const out = {};
    for (const [event, fns] of Object.entries(this.handlers)) if (fns.length) out[event] = fns.length;
    return out;
  }

  listenerCount() {
    return Object.values(this.handlers).reduce((n, fns) => n + fns.length, 0);
  }
}

/** Resolve after the next frame has been drawn (and one task after it). */
export const frame = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

/** Force style and layout of `el` now; returns the body's height. */
export const layout = (el) => {
  el.getBoundingClientRect();
  return document.body.offsetHeight;
};

/**
 * Count the page's live intervals (setInterval minus clearInterval), so a test can tell the
 * view's shared one-second timer stopped. Call before the module under test is imported.
 */
export function trackIntervals(win = globalThis) {
  const live = new Set();
  const set = win.setInterval.bind(win);
  const clear = win.clearInterval.bind(win);
  win.setInterval = (...args) => {
    const id = set(...args);
    live.add(id);
    return id;
  };
  win.clearInterval = (id) => {
    live.delete(id);
    return clear(id);
  };
  return { count: () => live.size };
}
