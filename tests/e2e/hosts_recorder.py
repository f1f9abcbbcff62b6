"""A page script for hosts that render widgets inside shadow roots (marimo) or anywhere (Voilà).

Installed with ``page.add_init_script(RECORDER)`` before the page loads, it looks every 100 ms at every
open shadow root too, and keeps, per view, each value it showed in order (consecutive repeats once):

- ``"detail"``: a detail widget's ``data-status``;
- ``"open"``: the same for the detail an overview draws under its table;
- ``"row:<name>"``: an overview row's badge text;
- ``"delivery"``: how changes reached the detail widget, ``push`` (sent by the kernel) or ``pull``
  (answers to the view's own requests).

A status that lasted a poll or two is recorded even if a test's own waits would have missed it.
"""

RECORDER = """
(() => {
  const seen = (window.__hopsSeen = {});
  const note = (key, value) => {
    if (!value) return;
    const list = (seen[key] = seen[key] || []);
    if (list[list.length - 1] !== value) list.push(value);
  };
  const roots = (node, out) => {
    out.push(node);
    for (const el of node.querySelectorAll('*')) if (el.shadowRoot) roots(el.shadowRoot, out);
    return out;
  };
  setInterval(() => {
    if (!document.body) return;
    for (const r of roots(document, [])) {
      for (const d of r.querySelectorAll('.hops-deployment:not(.hops-overview):not(.hops-detail)')) {
        note('detail', d.dataset.status);
        note('delivery', d.dataset.delivery); // "push" or "pull": which path brought the last change
      }
      for (const d of r.querySelectorAll('.hops-detail')) note('open', d.dataset.status);
      for (const tr of r.querySelectorAll('tr.hops-row')) {
        const badge = tr.querySelector('.hops-badge-text');
        note(`row:${tr.dataset.name}`, badge && badge.textContent.trim());
      }
    }
  }, 100);
})();
"""


def seen(page) -> dict[str, list[str]]:
    return page.evaluate("() => window.__hopsSeen || {}")
