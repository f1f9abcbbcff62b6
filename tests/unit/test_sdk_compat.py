"""Per-SDK-version actions (hops_widgets._sdk) and the older serving shapes the parsers read.

The action path is checked here on stand-ins shaped like each SDK generation's
engine; ``scripts/compat.py`` (and tests/sdk) run it on the real packages.
"""

from __future__ import annotations

import sys
import types

import pytest

from hops_widgets import _sdk
from hops_widgets.errors import LifecycleRefused, action_refusal
from hops_widgets.state import DeploymentState


class RestAPIError(Exception):
    """Found by _sdk in the engine's module, as the real engines import theirs."""


class _Api:
    def __init__(self, calls, fail=None, private=True):
        self.calls = calls
        self.fail = fail
        setattr(self, "_post" if private else "post", self._send)

    def _send(self, deployment, action):
        self.calls.append(("POST", action))
        if self.fail is not None:
            raise self.fail


class _Engine:
    """The parts of hsml's ServingEngine that _sdk uses, as 3.7–5.1 have them."""

    def __init__(self, status="Stopped", fail=None, private=True, stop_fails=False):
        self.calls: list = []
        self.status = status
        self.stop_fails = stop_fails
        self._serving_api = _Api(self.calls, fail, private)
        setattr(self, "_stop" if private else "stop", self._stop_impl)

    def _check_status(self, deployment, desired):
        self.calls.append(("GET", desired))
        done = self.status in ("Running", "Idle", "Starting", "Updating", "Failed")
        return done, types.SimpleNamespace(status=self.status)

    def _stop_impl(self, deployment, await_status):
        self.calls.append(("stop", await_status))
        if self.stop_fails:
            raise RuntimeError("stop failed too")


class SdkDeployment:
    """Looks like ``hsml.deployment.Deployment`` to _sdk (module name and engine)."""

    def __init__(self, engine=None):
        self._serving_engine = engine if engine is not None else _Engine()
        self.public_calls: list = []

    def get_state(self):
        return types.SimpleNamespace(status=self._serving_engine.status)

    def start(self, await_running=600):
        self.public_calls.append(("start", await_running))

    def stop(self, await_stopped=600):
        self.public_calls.append(("stop", await_stopped))


SdkDeployment.__module__ = "hsml.deployment"


@pytest.fixture
def hsml_version(monkeypatch):
    def set_version(text):
        monkeypatch.setitem(sys.modules, "hsml.version", types.SimpleNamespace(__version__=text))

    return set_version


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("5.2.1", (5, 2, 1)), ("4.1.8", (4, 1, 8)), ("5.3.0.dev1", (5, 3, 0)), ("4.2.0rc1", (4, 2, 0)), ("v3.7", (3, 7))],
)
def test_versions_parse(text, parsed):
    assert _sdk.parse_version(text) == parsed


@pytest.mark.parametrize("text", ["", "dev", None, 5])
def test_unreadable_versions_are_none(text):
    assert _sdk.parse_version(text) is None


@pytest.mark.parametrize(
    ("version", "plan"),
    [
        ("3.7.2", "post"),
        ("4.1.8", "post"),
        ("4.4.5", "post"),
        ("4.8.8", "post"),
        ("5.0.11", "post"),
        ("5.1.2", "post"),
        ("5.2.1", "public"),
        ("5.3.0", "public"),
        ("6.0.0", "public"),
        ("unknown", "public"),
    ],
)
def test_the_plan_follows_the_sdk_version(hsml_version, version, plan):
    hsml_version(version)
    assert _sdk.start_plan(SdkDeployment()) == plan


def test_objects_that_are_not_the_sdks_use_the_public_calls(hsml_version):
    hsml_version("4.8.8")  # even with an old SDK loaded, the built-in client's objects are its own

    class ClientDeployment(SdkDeployment):
        pass

    ClientDeployment.__module__ = "hops_widgets.client"
    d = ClientDeployment()
    assert _sdk.start_plan(d) == "public"
    _sdk.start(d)
    _sdk.stop(d)
    assert d.public_calls == [("start", 0), ("stop", 0)]
    assert d._serving_engine.calls == []


def test_an_old_sdk_without_the_expected_engine_gets_the_public_call(hsml_version):
    hsml_version("4.8.8")
    d = SdkDeployment()
    d._serving_engine = object()
    assert _sdk.start_plan(d) == "public"


def test_a_fixed_sdk_starts_through_its_public_call(hsml_version):
    hsml_version("5.2.1")
    d = SdkDeployment()
    _sdk.start(d)
    assert d.public_calls == [("start", 0)]
    assert d._serving_engine.calls == []


@pytest.mark.parametrize("private", [True, False], ids=["5.x names", "3.7-4.8 names"])
def test_an_old_sdk_checks_the_status_then_posts_start_and_returns(hsml_version, private):
    hsml_version("5.1.2" if private else "4.1.8")
    d = SdkDeployment(_Engine("Stopped", private=private))
    _sdk.start(d)
    assert d._serving_engine.calls == [("GET", "Running"), ("POST", "START")]
    assert d.public_calls == []  # the SDK's own start() would crash after its POST


@pytest.mark.parametrize("version", ["4.8.8", "5.2.1"])
@pytest.mark.parametrize("status", ["Running", "Idle", "Starting", "Updating", "Failed", "Stopping"])
def test_a_start_the_sdk_would_skip_with_a_print_is_a_refusal_and_sends_nothing(hsml_version, status, version):
    # SDK 5.2.1 start() on FAILED prints "in failed state" and sends nothing: the widget says so instead
    hsml_version(version)
    d = SdkDeployment(_Engine(status))
    with pytest.raises(LifecycleRefused, match=status.lower()) as info:
        _sdk.start(d)
    assert action_refusal(info.value) == "lifecycle"
    assert d._serving_engine.calls == [] and d.public_calls == []


@pytest.mark.parametrize("status", ["Created", "Stopped", "Stopping"])
def test_a_stop_the_sdk_would_skip_with_a_print_is_a_refusal_and_sends_nothing(hsml_version, status):
    hsml_version("5.2.1")
    d = SdkDeployment(_Engine(status))
    with pytest.raises(LifecycleRefused):
        _sdk.stop(d)
    assert d.public_calls == []


def test_a_stop_while_starting_is_sent_and_the_backend_decides(hsml_version):
    hsml_version("5.2.1")
    d = SdkDeployment(_Engine("Starting"))
    _sdk.stop(d)
    assert d.public_calls == [("stop", 0)]


def test_a_refused_start_is_stopped_and_raised_as_the_sdk_does(hsml_version):
    hsml_version("5.0.11")
    refused = RestAPIError("HTTP code: 500")
    d = SdkDeployment(_Engine("Stopped", fail=refused))
    with pytest.raises(RestAPIError) as info:
        _sdk.start(d)
    assert info.value is refused
    assert d._serving_engine.calls == [("GET", "Running"), ("POST", "START"), ("stop", 0)]


def test_a_refused_start_stays_the_error_shown_when_the_stop_after_it_fails(hsml_version):
    hsml_version("5.0.11")
    d = SdkDeployment(_Engine("Stopped", fail=RestAPIError("HTTP code: 500"), stop_fails=True))
    with pytest.raises(RestAPIError, match="500"):
        _sdk.start(d)


def test_other_errors_of_the_post_are_raised_without_a_stop(hsml_version):
    hsml_version("4.8.8")
    d = SdkDeployment(_Engine("Stopped", fail=ConnectionError("reset by peer")))
    with pytest.raises(ConnectionError):
        _sdk.start(d)
    assert ("stop", 0) not in d._serving_engine.calls


def test_a_check_that_raises_is_raised(hsml_version):
    hsml_version("4.8.8")
    engine = _Engine("Stopping")

    def stopping(deployment, desired):
        raise RuntimeError("Deployment is stopping, please wait until it completely stops")

    engine._check_status = stopping
    engine.status = "Stopped"  # the check itself (a race: it stops meanwhile) raises
    with pytest.raises(RuntimeError, match="stopping"):
        _sdk.start(SdkDeployment(engine))
    assert engine.calls == []


@pytest.mark.parametrize("version", ["3.7.2", "4.8.8", "5.2.1"])
def test_stop_is_the_public_call_on_every_version(hsml_version, version):
    hsml_version(version)
    d = SdkDeployment(_Engine("Running"))
    _sdk.stop(d)
    assert d.public_calls == [("stop", 0)]


# ------------------------------------------------------------------ older serving shapes
# Shapes from hopsworks-api's test fixtures (predictor, resources and transformer fixtures):
# the counts sit at the top level, nested in the component's resources, or under older names.
def _serving(**fields):
    base = {"id": 1, "name": "d", "status": "Running", "availableInstances": 1}
    return {**base, **fields}


@pytest.mark.parametrize(
    "shape",
    [
        {"requestedInstances": 3},
        {"requested_instances": 3},
        {"predictorResources": {"requestedInstances": 3}},
        {"predictor_resources": {"requested_instances": 3, "requests": {"cores": 0.2}}},
        {"predictorResources": {"numInstances": 3}},
        {"predictor_resources": {"num_instances": 3}},
        {"resources": {"num_instances": 3}},
        {"numInstances": 3},
        {"num_instances": 3},
    ],
    ids=lambda s: "/".join(f"{k}.{next(iter(v))}" if isinstance(v, dict) else k for k, v in s.items()),
)
def test_predictor_count_in_every_shape(shape):
    assert DeploymentState.from_json(_serving(**shape)).predictor.requested == 3


@pytest.mark.parametrize(
    "shape",
    [
        {"requestedTransformerInstances": 2},
        {"transformerResources": {"requestedTransformerInstances": 2}},
        {"transformer_resources": {"requested_transformer_instances": 2}},
        {"transformerResources": {"requestedInstances": 2}},
        {"transformer_resources": {"num_instances": 2}},
    ],
    ids=lambda s: "/".join(f"{k}.{next(iter(v))}" if isinstance(v, dict) else k for k, v in s.items()),
)
def test_transformer_count_in_every_shape(shape):
    state = DeploymentState.from_json(_serving(transformer="/Projects/p/Resources/t.py", **shape))
    assert state.transformer is not None and state.transformer.requested == 2


def test_the_top_level_count_wins_over_the_nested_one():
    state = DeploymentState.from_json(_serving(requestedInstances=4, predictorResources={"requestedInstances": 1}))
    assert state.predictor.requested == 4


def test_a_nested_count_that_is_not_a_number_is_noted():
    state = DeploymentState.from_json(_serving(predictorResources={"requestedInstances": "two"}))
    assert state.predictor.requested is None and any("Requested" in p for p in state.problems)


def test_fixture_style_singleton_with_scaling_config():
    # the 5.x fixture: counts at the top level and nested, snake_case scaling config with min 0
    state = DeploymentState.from_json(
        {
            "name": "test",
            "status": "Running",
            "transformer": "transformer_file",
            "requested_instances": 1,
            "requested_transformer_instances": 1,
            "predictor_resources": {"requested_instances": 1},
            "transformer_resources": {"requested_instances": 1},
            "predictor_scaling_config": {"scale_metric": "RPS", "min_instances": 0, "max_instances": 10},
            "transformer_scaling_config": {"min_instances": 0, "max_instances": 10},
            "available_instances": 0,
            "available_transformer_instances": 0,
        }
    )
    assert state.predictor.requested == 1 and state.transformer.requested == 1
    assert state.scale_to_zero and state.transformer.scale_to_zero


def test_a_backend_before_scaling_configs_says_scale_to_zero_with_zero_requested():
    # 4.4 and older: no scaling config; a deployment that scales to zero asks for 0 instances
    state = DeploymentState.from_json(_serving(requestedInstances=0, availableInstances=0, status="Idle"))
    assert state.scale_to_zero and state.predictor.min_instances is None


class _OldSdkResources:
    """hsml ≤ 4.4's PredictorResources: the count as ``num_instances``, no scaling config anywhere."""

    def __init__(self, n):
        self._num_instances = n

    @property
    def num_instances(self):
        return self._num_instances


class _OldSdkDeployment:
    def __init__(self, n):
        self.name = "recommender"
        self.resources = _OldSdkResources(n)
        self.transformer = None
        self.predictor = types.SimpleNamespace(resources=self.resources)


class _NewSdkPredictor:
    def __init__(self, min_instances):
        self.scaling_configuration = types.SimpleNamespace(min_instances=min_instances)


def _sdk_state(status="Running", available=1):
    return types.SimpleNamespace(status=status, condition=None, available_predictor_instances=available)


def test_from_sdk_on_an_sdk_without_scaling_configuration():
    assert DeploymentState.from_sdk(_OldSdkDeployment(0), state=_sdk_state("Idle", 0)).scale_to_zero
    regular = DeploymentState.from_sdk(_OldSdkDeployment(2), state=_sdk_state())
    assert not regular.scale_to_zero and regular.predictor.requested == 2


def test_from_sdk_finds_the_scaling_configuration_on_the_predictor():
    d = _OldSdkDeployment(1)
    d.predictor = _NewSdkPredictor(0)
    state = DeploymentState.from_sdk(d, state=_sdk_state())
    assert state.predictor.min_instances == 0 and state.scale_to_zero


# ------------------------------------------------------------------ what the sandbox answers each version
def test_the_variables_older_sdks_read_parse_as_they_parse_them():
    from hops_widgets.sandbox.app import _VARIABLES

    # 4.1–4.2 (and 3.7): float() and int() of the caps, -1 meaning none; 3.7 reads the image's Python at login
    assert float(_VARIABLES["kube_serving_max_cores_allocation"]) == -1
    assert int(_VARIABLES["kube_serving_max_memory_allocation"]) == -1
    assert int(_VARIABLES["kube_serving_max_gpus_allocation"]) == -1
    assert _VARIABLES["docker_base_image_python_version"].count(".") == 1


@pytest.mark.parametrize(
    ("installed", "version", "load_balancer"),
    [
        ((3, 7), "3.7.0", False),
        ((4, 2), "4.2.0", False),
        ((4, 3), "4.3.0", True),
        ((4, 7), "4.7.0", True),
        ((4, 8), "4.8.0", False),
        ((5, 2), "5.2.0", False),
        (None, "5.2.0", False),
    ],
)
def test_the_sandbox_defaults_follow_the_installed_sdk(monkeypatch, installed, version, load_balancer):
    from hops_widgets.sandbox import app

    monkeypatch.setattr(app, "_installed_sdk", lambda: installed)
    assert app.default_version() == version
    assert app.default_load_balancer() is load_balancer
