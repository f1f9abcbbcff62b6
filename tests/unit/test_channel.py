"""The kernel side of the message channel: replies, and replies a host may have dropped."""

from __future__ import annotations

import threading
from concurrent.futures import Future

from hops_widgets._channel import Channel


class Host:
    """A comm ``send`` that, like Colab, drops what a thread other than the handling one sends."""

    def __init__(self) -> None:
        self.main = threading.get_ident()
        self.delivered: list[dict] = []
        self.dropped: list[dict] = []

    def send(self, message: dict) -> None:
        (self.delivered if threading.get_ident() == self.main else self.dropped).append(message)


def finish_elsewhere(future: Future) -> None:
    thread = threading.Thread(target=future.set_result, args=(None,))
    thread.start()
    thread.join()


def test_a_reply_dropped_by_the_host_is_sent_again_when_the_view_says_it_waits():
    host = Host()
    work: Future = Future()
    channel = Channel(host.send, {"refresh": lambda _c: work, "pull": lambda _c: None})
    channel(None, {"type": "refresh", "id": "v-1"})
    finish_elsewhere(work)  # the poller thread finishes it: its reply is dropped
    assert [m["id"] for m in host.dropped] == ["v-1"] and host.delivered == []
    channel(None, {"type": "pull", "rev": 3, "waiting": ["v-1", "v-unknown", 7]})
    assert [(m["id"], m["ok"], m["request"]) for m in host.delivered] == [("v-1", True, "refresh")]
    channel(None, {"type": "pull", "rev": 3})  # nothing listed, nothing sent
    assert len(host.delivered) == 1


def test_only_late_replies_are_kept_and_only_a_bounded_number():
    host = Host()
    channel = Channel(host.send, {"timeline": lambda _c: {"big": "x" * 1000}, "pull": lambda _c: None})
    channel(None, {"type": "timeline", "id": "t-1"})  # answered at once, in the handling thread
    channel(None, {"type": "pull", "waiting": ["t-1"]})
    assert [m["id"] for m in host.delivered] == ["t-1"]  # not kept: it could not have been dropped
    works = {}
    channel.handlers["start"] = lambda c: works.setdefault(c["id"], Future())
    for n in range(Channel.KEEP_LATE + 5):
        channel(None, {"type": "start", "id": f"s-{n}"})
        works[f"s-{n}"].set_result(None)
    host.delivered.clear()
    channel(None, {"type": "pull", "waiting": ["s-0", f"s-{Channel.KEEP_LATE + 4}"]})
    assert [m["id"] for m in host.delivered] == [f"s-{Channel.KEEP_LATE + 4}"]  # the oldest went


def test_a_closed_widget_sends_nothing_again():
    host = Host()
    work: Future = Future()
    alive = [True]
    channel = Channel(host.send, {"stop": lambda _c: work, "pull": lambda _c: None}, alive=lambda: alive[0])
    channel(None, {"type": "stop", "id": "x"})
    finish_elsewhere(work)
    alive[0] = False
    channel(None, {"type": "pull", "waiting": ["x"]})
    assert host.delivered == []
