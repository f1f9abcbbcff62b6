"""Deployment versions and rollback (Hopsworks 5.2): the built-in client, the SDK adapter, the rows the
Versions section draws, and the widget: read only while the section is open, a rollback followed
through Updating, and every refusal in plain words. Against the sandbox over loopback."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import comm
import pytest
from comm import DummyComm

import hops_widgets
from hops_widgets import _sdk
from hops_widgets._versions import VersionBook, changes, rows
from hops_widgets.errors import HopsError, PermissionDenied, ServerError, VersionsNotAvailable
from hops_widgets.poller import DeploymentSource, Poller
from hops_widgets.snapshot import detail_html
from hops_widgets.widget import FORBIDDEN_MESSAGE, VERSIONS_ABSENT, DeploymentWidget, rights

NAME = "frauddetector"  # seeded: Running, with a transformer, model fraud_model v3


@pytest.fixture(autouse=True)
def _no_kernel_comm(monkeypatch):
    monkeypatch.setattr(comm, "create_comm", DummyComm)


@pytest.fixture(autouse=True)
def _rights_reset():
    yield
    rights._blocked.clear()  # a 403 in one test must not turn the next one's actions off


def versions_read(sb) -> int:
    return len(sb.requests(endpoint="serving_versions"))


def until(predicate, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def two_versions(sb, name: str = NAME) -> None:
    """Version 2 of ``name``: model v4 and up to 5 predictor instances; settled (Running again)."""
    sb.update_deployment(name, model_version=4, max_instances=5, new_version=True)
    sb.advance(10)


# ---------------------------------------------------------------- the built-in client
def test_client_lists_versions_newest_first_with_the_active_one(sb, serving):
    two_versions(sb)
    d = serving.get_deployment(NAME)
    found = d.get_versions()
    assert [(v["version"], v["active"], v["modelVersion"]) for v in found] == [(2, True, 4), (1, False, 3)]
    assert found[0]["predictorScalingConfig"]["maxInstances"] == 5 and "created" in found[0]
    assert d.version == 2


def test_client_pages_through_every_version(sb, serving):
    for n in range(4, 4 + 104):  # 105 versions: two pages of 100
        sb.update_deployment(NAME, model_version=n, new_version=True)
    sb.clear_log()
    found = serving.get_deployment(NAME).get_versions()
    assert [v["version"] for v in found] == list(range(105, 0, -1))
    assert [r["query"] for r in sb.requests(endpoint="serving_versions")] == [
        "offset=0&limit=100",
        "offset=100&limit=100",
    ]


def test_client_rollback_walks_updating_to_running(sb, serving):
    two_versions(sb)
    d = serving.get_deployment(NAME)
    assert d.rollback(1, await_update=0) is None
    assert d.version == 1 and d.model_version == 3
    assert sb.status(NAME) == "Updating"
    sb.advance(10)
    assert d.get_state().status == "RUNNING"
    assert [(v["version"], v["active"]) for v in d.get_versions()] == [(2, False), (1, True)]


def test_client_rollback_refusals_are_typed(sb, serving):
    two_versions(sb, "churnmodel")  # seeded Created (never started)
    churn = serving.get_deployment("churnmodel")
    sb.start_deployment("churnmodel")  # Starting until the clock moves
    with pytest.raises(ServerError) as busy:
        churn.rollback(1, await_update=0)
    assert busy.value.status_code == 500 and busy.value.error_code == 240002
    with pytest.raises(HopsError) as missing:
        churn.rollback(7, await_update=0)
    assert missing.value.status_code == 404 and not isinstance(missing.value, VersionsNotAvailable)
    scientist = sb.login(role="data_scientist").get_model_serving().get_deployment(NAME)
    with pytest.raises(PermissionDenied):
        scientist.rollback(1, await_update=0)
    assert scientist.get_versions()  # reading stays allowed


def test_client_on_a_backend_before_52_has_no_versions(sb, serving):
    d = serving.get_deployment(NAME)
    sb.app.hopsworks_version = "5.1.2"
    assert d.get_versions() is None
    with pytest.raises(VersionsNotAvailable):
        d.rollback(1, await_update=0)
    # the adapter: "not available", never an error
    assert _sdk.versions(d) is None and _sdk.rollback(d, 1) is None


def test_client_rollback_waits_for_running_when_asked(fast_sb):
    fast_sb.update_deployment(NAME, model_version=4, new_version=True)
    d = fast_sb.login(timeout=5).get_model_serving().get_deployment(NAME)
    d.wait_for("RUNNING", timeout=10)
    state = d.rollback(1, await_update=10)
    assert state.status == "RUNNING" and d.version == 1


# ---------------------------------------------------------------- the adapter
def test_adapter_plans_per_source(serving, monkeypatch):
    d = serving.get_deployment(NAME)
    assert _sdk.versions_plan(d) == "client"
    assert _sdk.versions_plan(object()) == "none" and _sdk.versions(object()) is None
    assert _sdk.rollback(object(), 1) is None
    # an SDK object before 5.2 has none (its class lives in hsml): not available, nothing asked
    hsml_version = pytest.importorskip("hsml.version")
    old = type("Deployment", (), {"__module__": "hsml.deployment", "get_versions": lambda self: 1 / 0})()
    monkeypatch.setattr(hsml_version, "__version__", "5.1.2")
    assert _sdk.versions_plan(old) == "none" and _sdk.versions(old) is None and _sdk.rollback(old, 1) is None
    with pytest.raises(TypeError):
        _sdk.rollback(d, True)


def test_adapter_lists_and_rolls_back_through_the_client(sb, serving):
    two_versions(sb)
    d = serving.get_deployment(NAME)
    assert [v["version"] for v in _sdk.versions(d)] == [2, 1]
    assert _sdk.rollback(d, 1) is True and sb.status(NAME) == "Updating"
    with pytest.raises(HopsError):  # a version it does not have is an error, not "not available"
        _sdk.rollback(d, 9)


# ---------------------------------------------------------------- rows and what changed
def test_rows_say_what_changed_from_the_version_before():
    base = {
        "version": 1,
        "active": False,
        "created": "2026-01-02T03:04:05.000Z",
        "createdBy": "Ana",
        "modelName": "fraud_model",
        "modelVersion": 3,
        "predictor": "/Projects/demo/Models/fraud_model/3/predictor.py",
        "predictorResources": {"requests": {"cores": 0.5, "memory": 512, "gpus": 0}, "limits": {"cores": 2.0}},
        "predictorScalingConfig": {"minInstances": 1, "maxInstances": 2, "scaleMetric": "CPU", "target": 70},
        "predictorEnvVars": ["TOKEN=s3cr3t-value", "MODE=a"],
    }
    newer = {
        **base,
        "version": 2,
        "active": True,
        "modelVersion": 4,
        "predictor": "/Projects/demo/Models/fraud_model/4/predictor.py",
        "predictorResources": {"requests": {"cores": 1, "memory": 512, "gpus": 1}, "limits": {"cores": 2.0}},
        "predictorScalingConfig": {"minInstances": 0, "maxInstances": 5, "scaleMetric": "RPS", "target": 70},
        "predictorEnvVars": ["TOKEN=another-s3cr3t", "MODE=a", "DEBUG=1"],
        "transformer": "/Projects/demo/Resources/t.py",
    }
    out = rows([base, newer])
    assert [(r["version"], r["active"]) for r in out] == [(2, True), (1, False)]
    assert out[1]["changes"] == ["first version"]
    assert out[1]["created_ms"] == 1767323045000.0 and out[1]["created_by"] == "Ana"
    assert out[0]["model"] == "fraud_model v4" and out[0]["instances"] == "0–5"
    said = out[0]["changes"]
    assert said[0] == "model v3 → v4"
    assert "predictor script …/3/predictor.py → …/4/predictor.py" in said
    assert "transformer script added: t.py" in said
    assert "predictor resources: cores 0.5 → 1, GPUs 0 → 1" in said
    assert "predictor instances 1–2 → 0–5" in said
    assert "predictor scaling: metric CPU → RPS" in said
    assert "predictor environment variables: DEBUG added, TOKEN changed" in said
    assert not any("s3cr3t" in line for line in said), said  # names only: a value may be a secret
    assert changes(newer, newer) == ["the same configuration as the version before"]


def test_rows_take_odd_input_without_failing():
    out = rows(
        [{"version": 1}, {"version": "x"}, "nope", {"version": 2, "created": "not a time", "modelName": "m\u202e"}]
    )
    assert [r["version"] for r in out] == [2, 1]
    assert out[0]["created_ms"] is None and "U+202E" in out[0]["model"]  # hidden characters written out
    many = [{"version": n, "predictorResources": {"requests": {"cores": n}}, "modelVersion": n} for n in (1, 2)]
    many[1].update({k: str(k) for k in ("modelServer", "modelFramework", "configFile", "vllmVariant", "vllmImageTag")})
    many[1]["predictorEnvironment"] = {"name": "env2"}
    many[1]["transformerScalingConfig"] = {"minInstances": 2, "maxInstances": 3}
    said = rows(many)[0]["changes"]
    assert len(said) == 8 and said[-1].startswith("and ") and said[-1].endswith("more changes")


# ---------------------------------------------------------------- the section's reads
def test_the_book_reads_only_while_open_and_on_screen():
    reads: list[int] = []
    published: list[dict] = []
    done = threading.Event()

    def fetch():
        reads.append(1)
        done.set()
        return [{"version": 1, "active": True}]

    book = VersionBook(fetch, published.append, available=None)
    book.set(status="RUNNING", model_version=3)
    book.set(status="UPDATING")  # closed: nothing read
    book.set(visible=True)
    assert reads == []
    book.set(open=True)  # opened on screen: one read
    assert done.wait(5)
    until(lambda: not book.value["loading"], "the read")
    assert book.value["available"] is True and book.active == 1 and len(reads) == 1
    book.set(visible=False)
    book.set(status="RUNNING")  # off screen: remembered, read when back
    assert len(reads) == 1
    done.clear()
    book.set(visible=True)
    assert done.wait(5)
    until(lambda: len(reads) == 2 and not book.value["loading"], "the second read")
    book.set(open=False)
    book.reload()  # closed: at the next opening
    book.set(status="STOPPING")
    time.sleep(0.05)
    assert len(reads) == 2


def test_the_book_says_absent_and_shows_errors_in_words():
    calls = iter([RuntimeError("boom ApiKey abc.def"), None])

    def fetch():
        out = next(calls)
        if isinstance(out, Exception):
            raise out
        return out

    published: list[dict] = []
    book = VersionBook(fetch, published.append, secrets=lambda: ("abc.def",))
    book.read_once()
    assert "boom" in book.value["error"] and "abc.def" not in book.value["error"]
    book.read_once()
    assert book.absent and book.value["error"] == "" and published[-1]["available"] is False
    book.set(open=True, visible=True)  # absent: nothing more is read
    assert book.reads == 2


# ---------------------------------------------------------------- the widget
def manual_widget(d, **options) -> tuple[DeploymentWidget, Poller]:
    poller = Poller(DeploymentSource(d), autostart=False)
    return DeploymentWidget(d, poller=poller, **options), poller


def test_widget_reads_versions_only_while_the_section_is_open(sb, serving):
    two_versions(sb)
    w, p = manual_widget(serving.get_deployment(NAME))
    try:
        p.poll()
        w.set_visible(True)
        assert w.versions["available"] is None and w.versions["items"] == []  # the client: known once read
        sb.update_deployment(NAME, max_instances=3)  # an in-place edit: Updating, while closed
        p.poll()
        sb.advance(10)
        p.poll()
        assert versions_read(sb) == 0
        w.commands()["versions"]({"open": True})
        until(lambda: w.versions["items"], "the versions")
        items = w.versions["items"]
        assert [(r["version"], r["active"]) for r in items] == [(2, True), (1, False)]
        assert "model v3 → v4" in items[0]["changes"] and w.versions["active"] == 2
        assert versions_read(sb) == 1
        w.commands()["versions"]({"open": False})
        sb.stop_deployment(NAME)
        p.poll()
        sb.advance(10)
        p.poll()
        assert versions_read(sb) == 1  # closed again: status changes read nothing
    finally:
        w.close()


def test_widget_rollback_is_followed_through_updating_to_running(sb, serving):
    two_versions(sb)
    w, p = manual_widget(serving.get_deployment(NAME))
    try:
        p.poll()
        w.set_visible(True)
        w.commands()["versions"]({"open": True})
        until(lambda: w.versions["active"] == 2, "version 2 active")
        seen: list[str] = []
        w.observe(lambda change: seen.append(change["new"]), names="status")
        future = w.commands()["rollback"]({"version": 1})
        assert w.pending_action == "rollback" and w.versions["target"] == 1
        assert w.rollback(2) is None  # one action at a time
        future.result(timeout=5)
        assert [(r["method"], r["status"]) for r in sb.requests(endpoint="serving_rollback")] == [("POST", 200)]
        p.poll()
        assert w.status == "UPDATING" and w.pending_action == ""  # taken: the status moved
        sb.advance(10)
        p.poll()
        assert seen == ["UPDATING", "RUNNING"]
        until(lambda: w.versions["active"] == 1, "version 1 active")
        assert "target" not in w.versions and w.action_error == ""
        assert w.rollback(1) is None and "already the active one" in w.action_error
    finally:
        w.close()


def test_widget_rollback_of_a_stopped_deployment_is_done_at_once(sb, serving):
    sb.update_deployment("churnmodel", model_version=3, new_version=True)  # seeded Stopped
    w, p = manual_widget(serving.get_deployment("churnmodel"))
    try:
        p.poll()
        assert w.status == "CREATED" and w.can_rollback  # never started: a new version is only saved
        w.rollback(1).result(timeout=5)
        until(lambda: w.pending_action == "", "the pending mark cleared")
        assert sb.status("churnmodel") == "Created" and sb.deployment("churnmodel")["version"] == 1
    finally:
        w.close()


def test_widget_rollback_refused_while_starting_in_plain_words(sb, serving):
    two_versions(sb, "churnmodel")
    w, p = manual_widget(serving.get_deployment("churnmodel"))
    try:
        p.poll()
        assert w.status == "CREATED"
        sb.start_deployment("churnmodel")  # the widget has not seen it yet: the cluster refuses (500 / 240002)
        future = w.rollback(1)
        with pytest.raises(Exception):  # noqa: B017 - the future's error is the widget's SafeError
            future.result(timeout=5)
        until(lambda: w.action_refusal == "lifecycle", "the refusal")
        assert w.action_error.startswith(
            "Rollback refused. The cluster does not roll back a deployment while it starts"
        )
        assert w.pending_action == "" and not w.actions_blocked
        p.poll()  # now the widget knows: Starting, and it does not even ask
        assert w.status == "STARTING" and not w.can_rollback
        assert w.rollback(1) is None
        assert w.action_error.startswith("Cannot roll back while the deployment is starting.")
        assert len(sb.requests(endpoint="serving_rollback")) == 1
    finally:
        w.close()


def test_widget_rollback_by_a_data_scientist_turns_the_projects_actions_off(sb):
    two_versions(sb)
    scientist = sb.login(role="data_scientist").get_model_serving()
    w, p = manual_widget(scientist.get_deployment(NAME))
    other, q = manual_widget(scientist.get_deployment("recommender"))
    try:
        p.poll()
        q.poll()
        with pytest.raises(Exception):  # noqa: B017
            w.rollback(1).result(timeout=5)
        until(lambda: w.actions_blocked, "the project's actions off")
        assert w.actions_blocked == FORBIDDEN_MESSAGE and other.actions_blocked == FORBIDDEN_MESSAGE
        assert "Rollback" in FORBIDDEN_MESSAGE and w.pending_action == ""
        assert w.rollback(1) is None and w.start() is None  # every action of the project is off
        assert [r["status"] for r in sb.requests(endpoint="serving_rollback")] == [403]
        assert sb.status(NAME) == "Running"
    finally:
        w.close()
        other.close()


def test_widget_on_a_backend_before_52_has_no_versions_section(sb, serving):
    sb.app.hopsworks_version = "5.1.2"
    w, p = manual_widget(serving.get_deployment(NAME))
    try:
        p.poll()
        w.set_visible(True)
        w.commands()["versions"]({"open": True})
        until(lambda: w.versions["available"] is False, "the section marked absent")
        assert w.versions["error"] == "" and w.error == ""
        assert w.rollback(1) is None and w.action_error == VERSIONS_ABSENT
    finally:
        w.close()
    # a rollback asked before the section was ever read: the 404 says the same, no error
    w, p = manual_widget(serving.get_deployment(NAME))
    try:
        p.poll()
        with pytest.raises(Exception):  # noqa: B017
            w.rollback(1).result(timeout=5)
        until(lambda: w.versions["available"] is False, "the section marked absent")
        assert w.action_error == VERSIONS_ABSENT and w.pending_action == ""
    finally:
        w.close()


def test_sources_without_versions_start_absent():
    d = SimpleNamespace(name="plain", get_state=lambda: None)
    w = DeploymentWidget(d, poller=Poller(DeploymentSource(d), autostart=False))
    try:
        assert w.versions["available"] is False
        assert w.rollback(1) is None and w.action_error == VERSIONS_ABSENT
    finally:
        w.close()


def test_snapshot_lists_the_versions_once_read(sb, serving):
    two_versions(sb)
    w, p = manual_widget(serving.get_deployment(NAME))
    try:
        p.poll()
        assert "hops-versions" not in detail_html(w)  # never read: nothing to show
        rows_now = w.versions_list()
        assert [r["version"] for r in rows_now] == [2, 1]
        page = detail_html(w)
        assert "<li data-version='2' data-active='true'><strong>v2</strong> (active)" in page
        assert "model v3 → v4" in page
    finally:
        w.close()


def test_the_overviews_open_detail_reads_versions_and_rolls_back(sb, serving):
    two_versions(sb)
    overview = hops_widgets.show(serving, display=False, hidden_s=3600)
    try:
        until(lambda: any(s.name == NAME for s in overview.states), "the overview's first round")
        detail = overview.open_detail(NAME)
        detail.set_visible(True)
        routed = overview.commands()  # what the view's messages to its open detail reach
        routed["versions"]({"target": "detail", "open": True})
        until(lambda: overview.detail_state.get("versions", {}).get("active") == 2, "the detail's versions mirrored")
        routed["rollback"]({"target": "detail", "version": 1}).result(timeout=5)
        assert sb.status(NAME) == "Updating"
        assert [r["status"] for r in sb.requests(endpoint="serving_rollback")] == [200]
    finally:
        overview.close()
