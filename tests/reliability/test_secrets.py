"""The API key stays in the source object: it reaches no trait, saved notebook, snapshot, repr,
log record or error message, even when the server echoes it back in its error bodies.

Every test uses the distinctive ``SECRET_KEY``; a test that could not have seen the key proves
nothing, so each one also checks that the echo really happened (the redaction mark ``***``
is where the key was).
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import nbformat
import pytest

from hops_widgets import errors, sandbox
from hops_widgets.client import login
from hops_widgets.sandbox import RemoteSandbox
from hops_widgets.widget import snapshot_html

from .conftest import NAME, SECRET_KEY, wait_until

REPO = Path(__file__).resolve().parents[2]
ECHO = f"the gateway saw Authorization: ApiKey {SECRET_KEY} and api_key={SECRET_KEY} and {SECRET_KEY}"


def no_key(where: str, text: str) -> None:
    assert SECRET_KEY not in text, f"the API key leaked into {where}"
    # a long piece of it is a leak too (a key cut by shortening)
    assert SECRET_KEY[:16] not in text, f"part of the API key leaked into {where}"


def all_state(*ws) -> str:
    return json.dumps([w.get_state() for w in ws], default=str)


# ---------------------------------------------------------------- widget state, snapshot, reprs
def test_widget_state_snapshot_and_repr_under_echoing_faults(sb, fraud, project, widgets):
    w = widgets(fraud)
    ov = widgets(project.get_model_serving())
    wait_until(lambda: w.status == "RUNNING" and len(ov.table.rows) == 4, 5, "both widgets up")
    # no `deployment=`: with the overview open, the project's one loop reads the list for both
    faults = [
        lambda: sb.http_error(500, message=ECHO),
        lambda: sb.http_error(401, message=ECHO, user_message=SECRET_KEY),
        lambda: sb.http_error(403, message=ECHO),
        lambda: sb.http_error(409, message=ECHO),
        lambda: sb.http_error(503, retry_after=1, message=ECHO, user_message=ECHO),
    ]
    seen = 0
    for inject in faults:
        sb.clear_faults()
        before = w.poller.polls
        inject()
        wait_until(lambda: w.poller.polls > before + 1 and w.error, 5, "the echoing fault shown")  # noqa: B023
        wait_until(lambda: ov.table.error or not ov.poller.snapshot.failures, 5, "overview polled")
        seen += "***" in w.error
        for name, text in {
            "detail widget state": all_state(w),
            "overview state": all_state(ov, ov.table),
            "static HTML snapshot": snapshot_html(w),
            "mime bundle": json.dumps(w._repr_mimebundle_(), default=str),
            "widget repr": repr(w) + str(w) + repr(ov),
            "poller snapshot": repr(w.poller.snapshot) + repr(ov.poller.snapshot),
        }.items():
            no_key(name, text)
    assert seen == len(faults), "the server's echo never reached the widget: this test proved nothing"
    # an action whose answer echoes the key: the action error is clean too
    sb.clear_faults()
    sb.http_error(500, method="POST", message=ECHO)
    wait_until(lambda: not w.error, 5, "recovered")
    future = w.stop()
    assert future is not None
    wait_until(lambda: w.action_error, 5, "the failed action shown")
    assert "***" in w.action_error
    no_key("action error", w.action_error + all_state(w))
    ov.stop("recommender")
    wait_until(lambda: ov.table.action_error, 5, "the failed overview action shown")
    no_key("overview action error", all_state(ov.table))


def test_reprs_of_every_object_that_holds_the_key(sb, project, fraud):
    serving = project.get_model_serving()
    remote = RemoteSandbox(sb.url, sb.api_key)
    try:
        objects = [
            sb,
            sb.app,
            sb.world,
            remote,
            project,
            project._client,
            serving,
            fraud,
            fraud.resources,
            fraud.transformer,
            fraud.transformer.resources,
            fraud.scaling_configuration,
            fraud.get_state(),
        ]
        for obj in objects:
            no_key(f"repr of {type(obj).__name__}", repr(obj) + str(obj))
    finally:
        remote.stop()
    assert sb.api_key == SECRET_KEY and remote.api_key == SECRET_KEY  # the handles may know it


# ---------------------------------------------------------------- error messages of every kind
def _caught(call) -> errors.HopsError:
    try:
        call()
    except errors.HopsError as exc:
        return exc
    raise AssertionError("no error raised")


def check_error(exc: BaseException, expected: type) -> None:
    assert isinstance(exc, expected), (type(exc), exc)
    texts = [str(exc), repr(exc), repr(exc.args), errors.explain(exc), errors.explain(exc, (SECRET_KEY,))]
    response = getattr(exc, "response", None)
    if response is not None:
        texts.append(str(dict(response.request.headers)))
    context = exc.__context__
    while context is not None:  # hidden by "from None", but still reachable
        request = getattr(context, "request", None)
        if request is not None:
            texts.append(str(dict(request.headers)))
        texts.append(repr(context))
        context = context.__context__
    for text in texts:
        no_key(f"{type(exc).__name__} message", text)


@pytest.mark.parametrize(
    ("inject", "expected"),
    [
        (lambda sb: sb.http_error(401, message=ECHO, user_message=ECHO), errors.AuthenticationError),
        (lambda sb: sb.http_error(403, message=ECHO), errors.PermissionDenied),
        (lambda sb: sb.http_error(404, message=ECHO), errors.DeploymentNotFound),
        (lambda sb: sb.http_error(500, message=ECHO), errors.ServerError),
        (lambda sb: sb.http_error(503, message=ECHO, retry_after=2), errors.ServerError),
        (lambda sb: sb.http_error(409, message=ECHO), errors.HopsError),
        (lambda sb: sb.http_error(429, user_message=ECHO), errors.HopsError),
        (lambda sb: sb.malformed_json(), errors.InvalidResponse),
        (lambda sb: sb.html_page(502), errors.ServerError),
        (lambda sb: sb.empty_body(), errors.InvalidResponse),
        (lambda sb: sb.disconnect(), errors.ConnectionFailed),
        (lambda sb: sb.latency(1), errors.Timeout),
    ],
    ids=["401", "403", "404", "500", "503", "409", "429", "malformed", "html", "empty", "disconnect", "timeout"],
)
def test_client_error_messages_of_every_kind(sb, inject, expected):
    with sb.login(timeout=0.3, retries=0) as project:
        d = project.get_model_serving().get_deployment(NAME)
        inject(sb)
        check_error(_caught(d.get_state), expected)


def test_login_and_transport_errors(sb, tls_key_sandbox):
    wrong = "hwk-SECRET-wrong-wrong-wrong-key"
    exc = _caught(lambda: login(url=sb.url, project="demo", api_key=wrong))
    assert wrong not in str(exc) + repr(exc) + str(dict(exc.response.request.headers))
    check_error(_caught(lambda: login(url=sb.url, project="nope", api_key=SECRET_KEY)), errors.HopsError)
    check_error(
        _caught(lambda: login(url=tls_key_sandbox.url, project="demo", api_key=SECRET_KEY)), errors.CertificateError
    )
    check_error(
        _caught(lambda: login(url=tls_key_sandbox.url, project="demo", api_key=SECRET_KEY, verify="/no/such/ca.pem")),
        errors.CertificateError,
    )
    url = sb.url
    sb.stop()
    check_error(_caught(lambda: login(url=url, project="demo", api_key=SECRET_KEY, timeout=1)), errors.ConnectionFailed)


def test_failed_start_message_has_no_key():
    with sandbox.start(speed=200, api_key=SECRET_KEY) as fast:
        fast.stop_deployment(NAME)
        wait_until(lambda: fast.status(NAME) == "Stopped", 5, "stopped")
        fast.fail(NAME, step="STARTED", reason=f"the startup script printed ApiKey {SECRET_KEY} and {SECRET_KEY}")
        with fast.login() as project:
            d = project.get_model_serving().get_deployment(NAME)
            exc = _caught(lambda: d.start(await_running=10, poll_interval_s=0.02))
            assert isinstance(exc, errors.DeploymentFailed) and "***" in str(exc)
            check_error(exc, errors.DeploymentFailed)


@pytest.fixture
def tls_key_sandbox(clock):
    with sandbox.start(tls=True, clock=clock, api_key=SECRET_KEY) as handle:
        yield handle


# ---------------------------------------------------------------- logs
def test_no_key_in_debug_logs_of_any_logger(caplog, capfd, clock, widgets):
    caplog.set_level(logging.DEBUG)  # the root: hops_widgets, urllib3, werkzeug, everything
    for name in ("urllib3", "hops_widgets", "hops_widgets.sandbox", "werkzeug"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        with sandbox.start(clock=clock, api_key=SECRET_KEY) as sb, sb.login(timeout=0.3) as project:
            d = project.get_model_serving().get_deployment(NAME)
            w = widgets(d)
            wait_until(lambda: w.status == "RUNNING", 5, "running")
            for inject in (
                lambda: sb.http_error(401, message=ECHO),
                lambda: sb.http_error(502, message=ECHO),  # retried by the transport: urllib3 logs the retries
                lambda: sb.disconnect(),
                lambda: sb.latency(1),
                lambda: sb.malformed_json(),
            ):
                before = w.poller.snapshot.failures
                inject()
                wait_until(lambda: w.poller.snapshot.failures > before, 5, "a failed poll")  # noqa: B023
                sb.clear_faults()
                wait_until(lambda: not w.error, 5, "recovered")
            w.stop()
            wait_until(lambda: w.status in ("STOPPING", "STOPPED"), 5, "stop went through")
            requests_ = sb.requests()
            assert requests_  # traffic happened while logging at DEBUG
            with pytest.raises(errors.AuthenticationError):
                login(url=sb.url, project="demo", api_key=SECRET_KEY + "-but-wrong")
    finally:
        for name in ("urllib3", "hops_widgets", "hops_widgets.sandbox", "werkzeug"):
            logging.getLogger(name).setLevel(logging.NOTSET)
    records = caplog.records
    assert any(r.name.startswith("urllib3") for r in records), "urllib3 logged nothing: DEBUG was not on"
    assert any(r.name.startswith("hops_widgets") for r in records)
    for record in records:
        text = record.getMessage() + (caplog.handler.format(record) if record.exc_info else "")
        no_key(f"log record of {record.name}", text)
    out, err = capfd.readouterr()
    no_key("stdout/stderr", out + err)


# ---------------------------------------------------------------- a saved notebook with widget state
NOTEBOOK = [
    "import time\nimport hops_widgets\nfrom hops_widgets import sandbox\n"
    "sb = sandbox.connect_or_start()\nserving = sb.login().get_model_serving()\n"
    "def until(check):\n    deadline = time.monotonic() + 20\n"
    "    while not check() and time.monotonic() < deadline:\n        time.sleep(0.05)",
    f'd = serving.get_deployment("{NAME}")\n'
    "w = hops_widgets.show(d, fast_s=0.1, stable_s=0.1, hidden_s=0.1, backoff_min_s=0.1, backoff_max_s=0.2)\n"
    "w.wait_for('RUNNING', timeout=20)",
    # every answer below echoes the key; the widgets show the errors while the cells run, and the
    # poller thread's updates are recorded under the running cell (nbclient keeps those)
    'sb.http_error(500, method="POST", message="echo " + sb.api_key)\n'
    "w.stop()\nuntil(lambda: w.action_error)\nprint(w.action_error)",
    f'sb.http_error(500, deployment="{NAME}", message="echo ApiKey " + sb.api_key + " / " + sb.api_key)\n'
    "until(lambda: w.error)\nprint(w.error)\n"
    "w2 = hops_widgets.show(d, backoff_max_s=0.2)  # a second view made during the fault",
    "w",
    'sb.http_error(502, endpoint="serving_list", message="echo api_key=" + sb.api_key)\n'
    "ov = hops_widgets.show(serving, fast_s=0.1, stable_s=0.1, hidden_s=0.1, backoff_min_s=0.1, backoff_max_s=0.2)\n"
    "until(lambda: ov.table.error)\nov",
    # left open: the kernel shuts down with the widgets still polling
    "import logging\nlogging.getLogger('hops_widgets').warning('still here: %s', w)",
]


def test_saved_notebook_with_widget_state(tmp_path, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    with sandbox.start(speed=50, api_key=SECRET_KEY) as sb:
        for name, value in sb.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("PYTHONPATH", str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell(source) for source in NOTEBOOK]
        client = nbclient.NotebookClient(
            nb,
            timeout=60,
            kernel_name="python3",
            store_widget_state=True,
            resources={"metadata": {"path": str(tmp_path)}},
        )
        started = time.monotonic()
        client.execute()
        assert time.monotonic() - started < 60
        posts = sb.requests(method="POST", status=500)
    path = tmp_path / "saved.ipynb"
    nbformat.write(nb, path)
    text = path.read_text()
    no_key("the saved notebook", text)

    # the file really holds what could have leaked: widget state with the error, snapshots, reprs
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    models = [m["state"] for m in state.values()]
    details = [m for m in models if m.get("_anywidget_id", "").endswith("DeploymentWidget")]
    # HTTP 500 from the deployment's own request, or HTTP 502 once the overview's list serves the project
    assert len(details) == 2 and all(
        ("HTTP 500" in m["error"] or "HTTP 502" in m["error"]) and "***" in m["error"] for m in details
    ), "the widget state was not saved with the error: this test proved nothing"
    assert any("***" in m.get("action_error", "") for m in details)
    tables = [m for m in models if m.get("_anywidget_id", "").endswith("OverviewWidget")]
    assert tables and "HTTP 502" in tables[0]["error"] and "***" in tables[0]["error"]
    assert posts, "the stop request never reached the sandbox"
    outputs = [o for cell in nb.cells for o in cell.get("outputs", [])]
    htmls = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("hops-snapshot" in h and "HTTP 500" in h for h in htmls)
    assert any("***" in "".join(o.get("text", "")) for o in outputs if o.get("output_type") == "stream")
    assert not [o for o in outputs if o.get("output_type") == "error"], "a cell failed"
