"""The Logs section's kernel side: fetched only while open and visible, deltas of new lines, bounded."""

from __future__ import annotations

import threading
import time

from hops_widgets.logs import LogBook, clean_line


class Source:
    """A live-logs source: each instance's window is its last ``tail`` lines."""

    def __init__(self):
        self.lines = {"predictor": [("p-1", "booting")], "transformer": [("t-1", "transformer up")]}
        self.calls: list[tuple[str, int]] = []
        self.fail: Exception | None = None
        self.lock = threading.Lock()

    def add(self, component, instance, text):
        with self.lock:
            self.lines[component].append((instance, text))

    def __call__(self, component, tail):
        with self.lock:
            self.calls.append((component, tail))
            if self.fail is not None:
                raise self.fail
            rows = self.lines[component]
        by = {}
        for instance, text in rows:
            by.setdefault(instance, []).append(text)
        window = [(i, t) for i, texts in by.items() for t in texts[-tail:]]
        return [{"instance": i, "content": t, "timestamp": None, "id": None} for i, t in window]


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def book(source, interval_s=0.05):
    deltas = []
    b = LogBook(source, deltas.append, interval_s=interval_s, label="t")
    return b, deltas


def test_nothing_is_fetched_while_closed_or_hidden():
    source = Source()
    b, deltas = book(source)
    b.set(open=True)  # open but no view on screen
    b.set(open=False, visible=True)  # on screen but closed
    time.sleep(0.2)
    assert source.calls == [] and deltas == []
    b.set(open=True)
    wait_until(lambda: len(source.calls) >= 3)  # following: every interval
    b.set(visible=False)
    time.sleep(0.1)
    n = len(source.calls)
    time.sleep(0.3)
    assert len(source.calls) == n, "hidden: no more requests"
    b.close()


def test_updates_carry_only_new_lines_and_the_buffer_has_them_all():
    source = Source()
    b, deltas = book(source)
    b.set(open=True, visible=True)
    wait_until(lambda: deltas)
    assert [line["text"] for line in deltas[0]["lines"]] == ["booting"] and deltas[0]["fetched"]
    source.add("predictor", "p-1", "model loaded")
    source.add("predictor", "p-2", "second instance up")
    wait_until(lambda: len(deltas) >= 2)
    assert sorted(line["text"] for line in deltas[1]["lines"]) == ["model loaded", "second instance up"]
    time.sleep(0.2)
    assert len(deltas) == 2, "nothing new: nothing sent"
    buffer = b.buffer()
    assert [line["text"] for line in buffer["lines"]] == ["booting", "model loaded", "second instance up"]
    assert buffer["instances"] == ["p-1", "p-2"] and [x["seq"] for x in buffer["lines"]] == [1, 2, 3]
    b.close()


def test_not_following_fetches_once_per_opening():
    source = Source()
    b, _ = book(source)
    b.set(open=True, visible=True, follow=False)
    wait_until(lambda: len(source.calls) == 1)
    time.sleep(0.2)
    assert len(source.calls) == 1
    b.set(open=False)
    b.set(open=True)
    wait_until(lambda: len(source.calls) == 2)
    b.close()


def test_switching_component_resets_and_errors_are_shown_without_secrets():
    source = Source()
    b = LogBook(source, (deltas := []).append, interval_s=0.05, secrets=lambda: ("sekrit",))
    b.set(open=True, visible=True)
    wait_until(lambda: deltas)
    b.set(component="transformer")
    wait_until(lambda: any(d["component"] == "transformer" and d["lines"] for d in deltas))
    reset = next(d for d in deltas if d["reset"])
    assert reset["component"] == "transformer" and reset["lines"] == []
    source.fail = RuntimeError("boom with sekrit inside")
    wait_until(lambda: deltas[-1]["error"])
    assert "sekrit" not in deltas[-1]["error"]
    source.fail = None
    wait_until(lambda: not deltas[-1]["error"])
    b.close()


def test_the_buffer_is_bounded():
    source = Source()
    for i in range(3000):
        source.add("predictor", "p-1", f"line {i}")
    b, _ = book(source)
    b.TAIL = 5000
    b.fetch_once()
    assert len(b.buffer()["lines"]) == LogBook.LIMIT
    assert b.buffer()["lines"][-1]["text"] == "line 2999"


def test_lines_are_cleaned_for_the_view():
    assert clean_line("10%\r50%\r100%") == "100%"  # a progress bar's last picture
    assert clean_line("a\x00b") == "a␀b"
    long = clean_line("x" * 1_000_000)
    assert len(long) < 5000 and "more characters" in long
    assert clean_line(None) == "" and clean_line(b"bytes") == "b'bytes'"
