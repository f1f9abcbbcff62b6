"""Every REST endpoint of the sandbox: the wire shapes the SDK relies on (hopsworks-rest.md)."""

from __future__ import annotations

import re

import pytest

from hops_widgets.errors import DeploymentNotFound, HopsError
from hops_widgets.state import DeploymentState

# the fields the SDK's parser needs on every serving object
REQUIRED = {
    "id",
    "name",
    "version",
    "created",
    "creator",
    "modelServer",
    "servingTool",
    "apiProtocol",
    "projectNamespace",
    "requestedInstances",
    "predictorScalingConfig",
    "status",
    "condition",
    "availableInstances",
}
TRANSFORMER_REQUIRED = {
    "transformer",
    "transformerScalingConfig",
    "requestedTransformerInstances",
    "availableTransformerInstances",
}


def test_versions_is_a_bare_list_with_hopsworks(http):
    r = http.get("/variables/versions")
    assert r.status_code == 200
    body = r.json()
    assert isinstance(body, list)
    assert {"software": "hopsworks", "version": "5.2.0"} in body


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("enable_data_science_profile", "true"),
        ("kube_kserve_installed", "true"),
        ("kube_serving_min_num_instances", "-1"),
        ("kube_serving_max_num_instances", "-1"),
        ("kube_knative_domain_name", ""),
    ],
)
def test_variables(http, name, value):
    r = http.get(f"/variables/{name}")
    assert r.status_code == 200
    assert r.json() == {"successMessage": value}


def test_unknown_variable_is_404_100050(http):
    r = http.get("/variables/no_such_thing")
    assert r.status_code == 404
    assert r.json()["errorCode"] == 100050


def test_project_info_and_missing_project(http, sb):
    r = http.get("/project/getProjectInfo/demo")
    assert r.status_code == 200
    assert r.json()["projectId"] == sb.project_id == 119
    assert r.json()["projectName"] == "demo"
    missing = http.get("/project/getProjectInfo/nope")
    assert missing.status_code == 400
    assert missing.json()["errorCode"] == 150004


def test_project_list_and_credentials(http):
    teams = http.get("/project").json()
    assert isinstance(teams, list) and teams
    assert teams[0]["user"]["username"]
    assert teams[0]["project"]["id"] == 119
    creds = http.get("/project/119/credentials").json()
    for key in ("kStore", "tStore", "password", "caChain", "clientCert", "clientKey"):
        assert key in creds


def test_inference_endpoints_has_no_load_balancer(http):
    r = http.get("/project/119/inference/endpoints")
    assert r.status_code == 200
    assert r.json() == []


def test_models_dataset(http):
    assert http.get("/project/119/dataset/Models").status_code == 200
    missing = http.get("/project/119/dataset/Nothing")
    assert missing.status_code == 404
    assert missing.json()["errorCode"] == 110008


def test_wrong_project_id(http):
    r = http.get("/project/7/serving")
    assert r.status_code == 404  # the backend's project filter answers 404 / PROJECT_NOT_FOUND
    assert r.json()["errorCode"] == 150004


def test_unknown_path_and_method(http):
    r = http.get("/no/such/path")
    assert r.status_code == 404
    assert r.headers["Content-Type"] == "application/json"
    assert http("PATCH", "/project/119/serving/1").status_code == 405


def test_list_is_bare_list_with_required_fields(http):
    r = http.get("/project/119/serving")
    assert r.status_code == 200
    items = r.json()
    assert isinstance(items, list)
    assert [s["name"] for s in items] == ["frauddetector", "recommender", "bigllm", "churnmodel"]
    for item in items:
        assert REQUIRED <= set(item), REQUIRED - set(item)
        assert "minInstances" in item["predictorScalingConfig"]
        assert isinstance(item["requestedInstances"], int)
        assert item["status"][0].isupper() and item["status"][1:].islower()
    fraud = items[0]
    assert TRANSFORMER_REQUIRED <= set(fraud)
    assert "minInstances" in fraud["transformerScalingConfig"]
    assert "transformer" not in items[1]


def test_list_filters(http):
    by_model = http.get("/project/119/serving", params={"model": "recsys"}).json()
    assert [s["name"] for s in by_model] == ["recommender"]
    running = http.get("/project/119/serving", params={"status": "Running"}).json()
    assert {s["name"] for s in running} == {"frauddetector", "recommender"}


def test_get_by_name_is_single_object(http):
    r = http.get("/project/119/serving", params={"name": "recommender", "expand": "mandatorytags"})
    assert r.status_code == 200
    body = r.json()
    assert isinstance(body, dict)
    assert body["name"] == "recommender"
    assert body["predictorScalingConfig"]["minInstances"] == 0
    assert body["missingMandatoryTags"] == []


def test_get_by_name_missing_is_404_240000(http):
    r = http.get("/project/119/serving", params={"name": "missing"})
    assert r.status_code == 404
    body = r.json()
    assert body["errorCode"] == 240000
    assert isinstance(body["errorMsg"], str) and isinstance(body["usrMsg"], str)


def test_get_by_id(http):
    r = http.get("/project/119/serving/3")
    assert r.status_code == 200
    assert r.json()["name"] == "bigllm"
    assert http.get("/project/119/serving/99").json()["errorCode"] == 240000


def test_seed_states(serving):
    states = {s.name: s for s in serving.list_states()}
    assert states["frauddetector"].status == "RUNNING"
    assert states["frauddetector"].transformer is not None
    assert states["recommender"].scale_to_zero
    big = states["bigllm"]
    assert big.status == "FAILED"
    assert (big.condition.type, big.condition.status) == ("SCHEDULED", False)
    assert "insufficient GPUs" in big.condition.reason
    assert states["churnmodel"].status == "CREATED"


def test_action_start_stop_empty_200(http, sb):
    r = http.post("/project/119/serving/4", params={"action": "START"})
    assert (r.status_code, r.content) == (200, b"")
    assert sb.status("churnmodel") == "Starting"
    sb.advance(sb.info()["timing"]["step_s"] * 4)  # Running: a start under way cannot be stopped
    r = http.post("/project/119/serving/4", params={"action": "stop"})
    assert (r.status_code, r.content) == (200, b"")
    assert sb.status("churnmodel") == "Stopping"


def test_action_errors(http):
    no_action = http.post("/project/119/serving/1")
    assert (no_action.status_code, no_action.json()["errorCode"]) == (422, 120001)
    odd = http.post("/project/119/serving/1", params={"action": "DANCE"})
    assert odd.status_code == 400
    missing = http.post("/project/119/serving/77", params={"action": "START"})
    assert (missing.status_code, missing.json()["errorCode"]) == (404, 240000)


def test_update_by_put_passes_through_updating(http, sb):
    body = http.get("/project/119/serving/1").json()
    body["requestedInstances"] = 3
    r = http("PUT", "/project/119/serving", json=body)
    assert r.status_code == 201  # the backend answers every PUT with 201 Created
    assert "status" not in r.json()  # and without the state, which only a read computes
    assert r.json()["requestedInstances"] == 3
    assert sb.status("frauddetector") == "Updating"
    sb.advance(10)
    after = http.get("/project/119/serving/1").json()
    assert (after["status"], after["availableInstances"]) == ("Running", 3)
    assert after["revision"] != body["revision"] and re.fullmatch(r"\d{8}", after["revision"])


def test_update_with_bad_values_is_400(http):
    body = http.get("/project/119/serving/1").json()
    body["requestedInstances"] = "three"
    assert http("PUT", "/project/119/serving", json=body).status_code == 400
    assert http("PUT", "/project/119/serving", data=b"not json").status_code == 400
    assert http("PUT", "/project/119/serving", json=[1, 2]).status_code == 400


def test_create_by_put_goes_creating_then_created(http, sb):
    r = http("PUT", "/project/119/serving", json={"name": "brandnew", "requestedInstances": 1})
    assert r.status_code == 201
    assert "status" not in r.json() and "condition" not in r.json()
    assert http.get(f"/project/119/serving/{r.json()['id']}").json()["condition"]["type"] == "STOPPED"
    assert sb.status("brandnew") == "Creating"
    sb.advance(sb.info()["timing"]["creating_s"])
    assert sb.status("brandnew") == "Created"


def test_delete(http, serving):
    assert http("DELETE", "/project/119/serving/4").status_code == 200
    assert serving.get_deployment("churnmodel") is None
    assert http("DELETE", "/project/119/serving/4").status_code == 404


def test_predict_endpoint(http, sb):
    r = http.post("/project/119/inference/models/frauddetector:predict", json={"instances": [[1], [2]]})
    assert r.status_code == 200
    assert len(r.json()["predictions"]) == 2
    stopped = http.post("/project/119/inference/models/churnmodel:predict", json={"instances": [[1]]})
    assert (stopped.status_code, stopped.json()["errorCode"]) == (400, 250001)
    missing = http.post("/project/119/inference/models/nobody:predict", json={})
    assert missing.status_code == 404


# ------------------------------------------------------------- through the client
def test_client_get_deployment_and_attributes(serving):
    d = serving.get_deployment("frauddetector")
    assert (d.name, d.id, d.model_name, d.model_version) == ("frauddetector", 1, "fraud_model", 3)
    assert d.resources.num_instances == d.resources.requested_instances == 2
    assert d.transformer is not None
    assert d.transformer.resources.num_instances == 1
    assert d.scaling_configuration.min_instances == 1
    assert serving.get_deployment("recommender").transformer is None
    assert serving.get_deployment("recommender").scaling_configuration.min_instances == 0


def test_client_missing_is_none_like_the_sdk(serving):
    assert serving.get_deployment("missing") is None
    assert serving.get_deployment_by_id(404) is None


def test_client_by_id_and_list(serving):
    assert serving.get_deployment_by_id(2).name == "recommender"
    assert [d.name for d in serving.get_deployments()] == ["frauddetector", "recommender", "bigllm", "churnmodel"]


def test_client_get_state_is_deployment_state(serving, capsys):
    state = serving.get_deployment("frauddetector").get_state()
    assert isinstance(state, DeploymentState)
    assert (state.status, state.predictor.available, state.transformer.available) == ("RUNNING", 2, 1)
    state.describe()
    assert "Running" in capsys.readouterr().out


def test_client_describe_resources(serving, capsys):
    d = serving.get_deployment("frauddetector")
    d.resources.describe()
    d.transformer.resources.describe()
    out = capsys.readouterr().out
    assert '"requested_instances": 2' in out
    assert '"requested_transformer_instances": 1' in out


def test_client_deleted_deployment_raises_not_found(serving, sb):
    d = serving.get_deployment("churnmodel")
    sb.delete_deployment("churnmodel")
    with pytest.raises(DeploymentNotFound) as info:
        d.get_state()
    assert info.value.status_code == 404
    assert info.value.error_code == 240000


def test_client_start_while_stopping_is_lifecycle_error(serving, sb):
    d = serving.get_deployment("frauddetector")
    d.stop(await_stopped=0)
    assert d.get_state().status == "STOPPING"
    with pytest.raises(HopsError) as info:
        d.start(await_running=0)
    assert (info.value.status_code, info.value.error_code) == (400, 240003)


def test_client_update_and_predict(serving, sb):
    d = serving.get_deployment("recommender")
    d.update(requested_instances=2)
    assert d.resources.requested_instances == 2
    # the PUT answer has no state fields: the object keeps the last known ones, not blanks
    assert d._data["status"] == "Running" and "availableInstances" in d._data
    assert d.get_state().status == "UPDATING"
    assert d.predict([[1, 2]]) == {"predictions": [0.5]}
    with pytest.raises(TypeError):
        d.update(colour="blue")
