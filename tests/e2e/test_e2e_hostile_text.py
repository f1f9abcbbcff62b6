"""Server text the kernel cannot send or a person could misread, in real JupyterLab (issue 23).

- A lone surrogate (``"\\ud800"``, valid JSON) in a log line and in a condition reason: the kernel's
  packer (UTF-8 with ``surrogateescape``) refuses it, and a refused message used to stay queued in
  ipywidgets' held changes, so the view froze on the last state it had. Now the text is made
  sendable where it enters, and the view goes on showing what happens next.
- A right-to-left override, BEL, DEL, NEL and a lone ESC in log lines: written out, never applied.
- The ANSI corpus: 256 colours, truecolor, backgrounds, an OSC window title and an OSC 8 link.
"""

from __future__ import annotations

import pytest

from .e2e_hops import POLL, SETUP, DeploymentView
from .test_e2e_logs import shown_lines, wait_lines

pytestmark = pytest.mark.e2e

NAME = "frauddetector"


def _open_logs(view: DeploymentView) -> None:
    view.part("details.hops-logs > summary").click()
    wait_lines(view, lambda ls: len(ls) > 0, "the first lines")


def test_lone_surrogates_in_a_log_line_and_a_reason_then_the_view_follows_a_state_change(open_lab):
    line = "before \ud800 lone surrogate \udfff after"
    reason = "a reason with a lone \udc80 surrogate"
    nb = open_lab(
        [
            SETUP,
            f'd = serving.get_deployment("{NAME}")\nw = hops_widgets.show(d, {POLL})',
            f"sb.append_log({NAME!r}, {line!r})",  # the cell holds the escapes, the server sends them as JSON
            f"sb.mutate(deployment={NAME!r}, set={{'condition.reason': {reason!r}}})",
            f"sb.set_state({NAME!r}, 'Updating')",
        ]
    )
    nb.run_cell(0)
    nb.run_cell(1)
    view = DeploymentView.wait(nb, 1)
    nb.wait_cells_done()
    view.wait_status("RUNNING")
    _open_logs(view)

    nb.run_cell(2)
    lines = wait_lines(view, lambda ls: any("lone surrogate" in x for x in ls), "the surrogate line")
    assert "before \ufffd lone surrogate \ufffd after" in lines
    nb.run_cell(3)
    nb.page.wait_for_function(
        "(root) => (root.querySelector('.hops-reason')?.textContent || '').includes('lone \\ufffd surrogate')",
        arg=view.root.element_handle(),
        timeout=20_000,
    )
    # the kernel still sends: the next state reaches the view
    nb.run_cell(4)
    view.wait_status("UPDATING", timeout_s=20)
    nb.wait_cells_done()
    assert nb.kernel_json("w.send_failures") == 0, "nothing the kernel could not pack reached the comm"
    # the plain-text repr of the widget is sendable too
    assert "\ufffd" in nb.kernel_json("repr(w)")


def test_bidi_and_control_characters_in_log_lines_are_written_out(open_lab):
    bidi = "RLO[\u202e]txt END"
    controls = "bell\x07 del\x7f nel\x85 esc\x1bX lone"
    nb = open_lab(
        [
            SETUP,
            f'd = serving.get_deployment("{NAME}")\nw = hops_widgets.show(d, {POLL})',
            f"sb.append_log({NAME!r}, {bidi!r})\nsb.append_log({NAME!r}, {controls!r})",
        ]
    )
    nb.run_cell(0)
    nb.run_cell(1)
    view = DeploymentView.wait(nb, 1)
    nb.wait_cells_done()
    view.wait_status("RUNNING")
    _open_logs(view)
    nb.run_cell(2)
    lines = wait_lines(view, lambda ls: any("lone" in x for x in ls), "the control line")
    assert "RLO[⟨U+202E⟩]txt END" in lines, lines[-3:]
    assert "bell⟨U+0007⟩ del⟨U+007F⟩ nel⟨U+0085⟩ esc⟨U+001B⟩X lone" in lines, lines[-3:]
    text = "".join(shown_lines(view))
    assert not any(c in text for c in "\u202e\x07\x7f\x85\x1b")
    # the override does not reorder what follows it: the line reads left to right as written
    row = view.root.locator(".hops-log-line", has_text="RLO[")
    assert row.evaluate("r => getComputedStyle(r).direction") == "ltr"
    # copies and the saved snapshot carry the same written-out text
    html = nb.kernel_json("w._repr_mimebundle_()[0]['text/html']")
    assert "RLO[⟨U+202E⟩]txt END" in html and "\u202e" not in html


ANSI = [
    ("fg256", "\x1b[38;5;34mgreen256\x1b[0m", "rgb(0, 175, 0)", None),
    ("truecolor", "\x1b[38;2;255;100;0morange\x1b[0m", "rgb(255, 100, 0)", None),
    ("bg256", "\x1b[48;5;31mbluebg\x1b[0m", None, "rgb(0, 135, 175)"),
    ("bgtrue", "\x1b[48;2;10;20;30mdarkbg\x1b[49m", None, "rgb(10, 20, 30)"),
    ("colon", "\x1b[38:2::1:2:3mcolon\x1b[m", "rgb(1, 2, 3)", None),
]


def test_the_ansi_corpus_renders_colours_and_drops_osc(open_lab):
    corpus = [text for _, text, _, _ in ANSI] + [
        "\x1b]0;window title\x07after title",
        "\x1b]8;;https://example.org/docs\x1b\\docs link\x1b]8;;\x1b\\ tail",
        "\x1b]8;;javascript:alert(1)\x07js link\x1b]8;;\x07 end",
        "\x1b[1mbold\x1b[22m \x1b[3mitalic\x1b[23m \x1b[4munder\x1b[24m \x1b[2mdim\x1b[0m",
        "\x1b(B\x1b[mreset by tput",
    ]
    nb = open_lab(
        [
            SETUP,
            f'd = serving.get_deployment("{NAME}")\nw = hops_widgets.show(d, {POLL})',
            "\n".join(f"sb.append_log({NAME!r}, {text!r})" for text in corpus),
        ]
    )
    nb.run_cell(0)
    nb.run_cell(1)
    view = DeploymentView.wait(nb, 1)
    nb.wait_cells_done()
    view.wait_status("RUNNING")
    _open_logs(view)
    nb.run_cell(2)
    lines = wait_lines(view, lambda ls: any("reset by tput" in x for x in ls), "the corpus")
    for expected in ("green256", "orange", "bluebg", "darkbg", "colon", "after title", "docs link tail"):
        assert expected in lines, (expected, lines[-12:])
    assert "js link end" in lines and "bold italic under dim" in lines and "reset by tput" in lines
    text = "".join(lines)
    assert "window title" not in text and "\x07" not in text and "\x1b" not in text and "]8;" not in text

    def style(word: str) -> dict:
        return view.root.evaluate(
            """(root, word) => {
                const span = Array.from(root.querySelectorAll('.hops-log-line span, .hops-log-line a'))
                  .find(s => s.textContent === word);
                if (!span) return null;
                const cs = getComputedStyle(span);
                return {color: cs.color, bg: cs.backgroundColor, weight: cs.fontWeight, italic: cs.fontStyle,
                        deco: cs.textDecorationLine, tag: span.tagName, href: span.getAttribute('href'),
                        rel: span.getAttribute('rel')};
            }""",
            word,
        )

    for _, text, fg, bg in ANSI:
        word = text.split("m", 1)[1].split("\x1b")[0]
        got = style(word)
        assert got is not None, word
        if fg:
            assert got["color"] == fg, (word, got)
        if bg:
            assert got["bg"] == bg, (word, got)
    assert style("bold")["weight"] == "700" and style("italic")["italic"] == "italic"
    assert "underline" in style("under")["deco"]
    link = style("docs link")
    assert link["tag"] == "A" and link["href"] == "https://example.org/docs" and "noopener" in link["rel"]
    js = style("js link")
    assert js is None or js["tag"] != "A", "a javascript: address never becomes a link"
    assert view.root.locator(".hops-log-lines a[href^='javascript']").count() == 0
