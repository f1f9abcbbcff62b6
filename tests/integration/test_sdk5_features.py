"""The sandbox's Hopsworks 5.x endpoints over real HTTP: versions, rollback, scaling, restarts,
schema, vLLM chat, mandatory tags, log archives, and their absence on older backends."""

from __future__ import annotations

import json

import requests

P = "/project/119/serving"


def _fraud(http) -> int:
    return http.get(P, params={"name": "frauddetector"}).json()["id"]


def test_versions_list_one_version_at_first(http):
    sid = _fraud(http)
    body = http.get(f"{P}/{sid}/versions", params={"offset": 0, "limit": 10}).json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert item["version"] == 1 and item["active"] is True and item["modelVersion"] == 3
    assert item["predictorScalingConfig"]["autoscaler"] == "KEDA"


def test_put_with_new_version_adds_a_version_and_paging_works(sb, http):
    sid = _fraud(http)
    served = http.get(f"{P}/{sid}").json()
    served["modelVersion"] = 4
    put = http("PUT", P, params={"newVersion": "true"}, json=served)
    assert put.status_code == 201 and put.json()["version"] == 2
    sb.advance(10)
    page = http.get(f"{P}/{sid}/versions", params={"offset": 0, "limit": 1}).json()
    assert page["count"] == 2 and [i["version"] for i in page["items"]] == [2]
    rest = http.get(f"{P}/{sid}/versions", params={"offset": 1, "limit": 1}).json()
    assert [(i["version"], i["active"], i["modelVersion"]) for i in rest["items"]] == [(1, False, 3)]


def test_put_without_new_version_edits_the_active_one(sb, http):
    sid = _fraud(http)
    served = http.get(f"{P}/{sid}").json()
    served["modelVersion"] = 5
    assert http("PUT", P, json=served).status_code == 201
    body = http.get(f"{P}/{sid}/versions").json()
    assert body["count"] == 1 and body["items"][0]["modelVersion"] == 5 and "updated" in body["items"][0]


def test_rollback_walks_through_updating_to_running(sb, http):
    sid = _fraud(http)
    sb.update_deployment("frauddetector", model_version=9, new_version=True)
    sb.advance(10)
    reply = http.post(f"{P}/{sid}/rollback", json={"version": 1})
    assert reply.status_code == 200 and reply.json()["version"] == 1 and reply.json()["modelVersion"] == 3
    assert http.get(f"{P}/{sid}").json()["status"] == "Updating"
    sb.advance(10)
    after = http.get(f"{P}/{sid}").json()
    assert after["status"] == "Running" and after["version"] == 1
    items = http.get(f"{P}/{sid}/versions").json()["items"]
    assert {i["version"]: i["active"] for i in items} == {1: True, 2: False}


def test_rollback_refused_while_starting_and_for_unknown_versions(sb, http):
    sid = http.get(P, params={"name": "churnmodel"}).json()["id"]
    sb.update_deployment("churnmodel", model_version=3, new_version=True)
    sb.start_deployment("churnmodel")
    refused = http.post(f"{P}/{sid}/rollback", json={"version": 1})
    assert refused.status_code == 500 and refused.json()["errorCode"] == 240002
    missing = http.post(f"{P}/{sid}/rollback", json={"version": 7})
    assert missing.status_code == 404 and missing.json()["errorCode"] != 240000
    assert http.post(f"{P}/{sid}/rollback", json={"nope": 1}).status_code == 422


def test_rollback_is_forbidden_to_a_data_scientist(sb, http):
    sid = _fraud(http)
    sb.update_deployment("frauddetector", model_version=9, new_version=True)
    headers = {"Authorization": f"ApiKey {sb.api_keys['data_scientist']}"}
    reply = http.post(f"{P}/{sid}/rollback", json={"version": 1}, headers=headers)
    assert reply.status_code == 403 and reply.json()["errorCode"] == 150068
    # reading the versions stays allowed
    assert http.get(f"{P}/{sid}/versions", headers=headers).status_code == 200


def test_scaling_configuration_in_full(sb, http):
    fraud = http.get(P, params={"name": "frauddetector"}).json()["predictorScalingConfig"]
    assert fraud["scaleMetric"] == "CPU" and fraud["target"] == 70
    assert fraud["scaleUpStabilizationWindowSeconds"] == 30 and fraud["scaleDownStabilizationWindowSeconds"] == 300
    rec = http.get(P, params={"name": "recommender"}).json()["predictorScalingConfig"]
    assert rec["idleScaleToZero"] is True and rec["coldStartTimeoutSeconds"] == 120 and rec["minInstances"] == 0
    sb.add_llm_deployment()
    llm = http.get(P, params={"name": "chatassistant"}).json()["predictorScalingConfig"]
    assert llm["scaleMetric"] == "QUEUE_DEPTH"
    assert [m["scaleMetric"] for m in llm["additionalScaleMetrics"]] == ["KV_CACHE_USAGE", "TIME_TO_FIRST_TOKEN"]


def test_crash_loop_climbs_restart_count_while_running(sb, http):
    sid = _fraud(http)
    name = sb.crash_loop("frauddetector", instance=0, every_s=5)
    sb.advance(1)
    first = {e["instanceName"]: e for e in http.get(f"{P}/{sid}/logs").json()}
    assert first[name]["restartCount"] == 0 and first[name]["podUid"]
    assert first[name]["truncated"] is False and first[name]["readFailed"] is False
    sb.advance(16)
    later = {e["instanceName"]: e for e in http.get(f"{P}/{sid}/logs").json()}
    assert later[name]["restartCount"] == 3
    assert later[name]["podUid"] == first[name]["podUid"]
    assert all(e["restartCount"] == 0 for n, e in later.items() if n != name)
    assert http.get(f"{P}/{sid}").json()["status"] == "Running"


def test_schema_formats_and_404_without_one(http):
    sid = http.get(P, params={"name": "churnmodel"}).json()["id"]  # the seeded one
    js = http.get(f"{P}/{sid}/schema", params={"format": "jsonschema"}).json()
    assert js["request"]["examples"][0]["instances"][0]["customer_id"] == 10482
    row = js["request"]["properties"]["instances"]["items"]
    assert row["required"] == ["customer_id", "tenure_months", "monthly_charges", "contract"]
    api = http.get(f"{P}/{sid}/schema", params={"format": "openapi"}).json()
    assert api["openapi"].startswith("3.") and "/v1/models/churnmodel:predict" in api["paths"]
    doc = http.get(f"{P}/{sid}/schema", params={"format": "schema"}).json()
    env = http.get(f"{P}/{sid}").json()["predictorEnvVars"]
    assert env == [f"SERVING_SCHEMA_ID={doc['schemaId']}"]
    other = http.get(f"{P}/{sid}/schema", params={"format": "schema", "schemaId": "0123456789abcdef"})
    assert other.status_code == 404 and other.json()["errorCode"] == 240037
    rid = http.get(P, params={"name": "recommender"}).json()["id"]
    none = http.get(f"{P}/{rid}/schema", params={"format": "jsonschema"})
    assert none.status_code == 404 and none.json()["errorCode"] == 240037


def test_set_schema_gives_one_and_takes_it_away(sb, http):
    fid = _fraud(http)
    assert http.get(f"{P}/{fid}/schema").status_code == 404
    ident = sb.set_schema("frauddetector", "fraud")
    assert http.get(f"{P}/{fid}/schema").json()["schemaId"] == ident
    example = http.get(f"{P}/{fid}/schema", params={"format": "openapi"}).json()
    body = example["paths"]["/v1/models/frauddetector:predict"]["post"]["requestBody"]["content"]["application/json"]
    assert body["example"]["instances"][0]["cc_num"] == 4467360740682089
    assert sb.set_schema("frauddetector", None) is None
    assert http.get(f"{P}/{fid}/schema").status_code == 404


def test_vllm_chat_completions_whole_and_streamed(sb, http):
    sb.add_llm_deployment()
    url = f"{sb.url}/v1/{json.loads(json.dumps(sb.info()['project'])).lower()}/chatassistant/v1/chat/completions"
    ask = {"model": "chatassistant", "messages": [{"role": "user", "content": "hello there"}]}
    whole = http.session.post(url, json=ask, timeout=5)
    assert whole.status_code == 200
    assert "hello there" in whole.json()["choices"][0]["message"]["content"]
    streamed = http.session.post(url, json={**ask, "stream": True}, timeout=5, stream=True)
    assert streamed.headers["Content-Type"].startswith("text/event-stream")
    events = [line for line in streamed.iter_lines(decode_unicode=True) if line]
    assert events[-1] == "data: [DONE]"
    text = "".join(json.loads(e[6:])["choices"][0]["delta"].get("content", "") for e in events[:-1])
    assert text == whole.json()["choices"][0]["message"]["content"]
    fraud = url.replace("chatassistant", "frauddetector")
    assert http.session.post(fraud, json=ask, timeout=5).status_code == 404


def test_missing_mandatory_tags(sb, http):
    assert http.get(P, params={"name": "frauddetector"}).json()["missingMandatoryTags"] == []
    sb.set_missing_tags("frauddetector", ["owner", {"name": "cost_center"}])
    tags = http.get(P, params={"name": "frauddetector"}).json()["missingMandatoryTags"]
    assert [t["name"] for t in tags] == ["owner", "cost_center"]


def test_log_archives_listed_and_downloaded(sb, http):
    sb.crash_loop("frauddetector", every_s=5)
    sb.advance(11)
    folder = "/project/119/dataset/Logs/Serving/frauddetector"
    assert http.get(folder).status_code == 200
    listing = http.get(folder, params={"action": "listing", "expand": "inodes", "sort_by": "NAME:desc"}).json()
    names = [i["attributes"]["name"] for i in listing["items"]]
    assert listing["count"] == 2 and all(n.endswith("_predictor.log") for n in names)
    got = http.get(f"/project/119/dataset/download/with_auth/Logs/Serving/frauddetector/{names[0]}")
    assert got.status_code == 200 and "Traceback" in got.text
    size = http.get(f"{folder}/{names[0]}").json()["attributes"]["size"]
    assert size == len(got.content)
    assert http.get("/project/119/dataset/Logs/Serving/churnmodel").status_code == 404


def test_old_backends_have_none_of_it(sb, http):
    sid = _fraud(http)
    sb.app.hopsworks_version = "4.2.0"
    for path in ("versions", "schema?format=jsonschema"):
        reply = http.get(f"{P}/{sid}/{path}")
        assert reply.status_code == 404 and reply.json()["errorCode"] != 240000
    assert http.post(f"{P}/{sid}/rollback", json={"version": 1}).status_code == 404
    served = http.get(f"{P}/{sid}").json()
    assert "missingMandatoryTags" not in served and "predictorEnvVars" not in served
    (entry, *_) = http.get(f"{P}/{sid}/logs").json()
    assert "restartCount" not in entry and "podUid" not in entry
    sb.app.hopsworks_version = "5.1.0"
    served = http.get(f"{P}/{sid}").json()
    assert served["missingMandatoryTags"] == []
    assert set(served["predictorScalingConfig"]) == {"minInstances", "maxInstances", "scaleMetric", "target"}
    assert served["predictorScalingConfig"]["scaleMetric"] == "CONCURRENCY"


def test_download_path_unknown_file_is_404(http):
    reply = http.get("/project/119/dataset/download/with_auth/Logs/Serving/frauddetector/nope.log")
    assert reply.status_code == 404
    assert isinstance(reply, requests.Response)


def test_a_scenario_drives_the_new_operations(sb, http):
    played = sb.play(
        {
            "title": "Versions",
            "deployments": [{"name": "shop", "status": "Running"}],
            "steps": [
                {"at": 0, "do": "update_deployment", "name": "shop", "model_version": 2, "new_version": True},
                {"at": 5, "do": "rollback", "name": "shop", "version": 1},
                {"at": 10, "do": "crash_loop", "name": "shop", "every_s": 2},
                {"at": 10, "do": "set_missing_tags", "name": "shop", "tags": ["owner"]},
                {"at": 10, "do": "add_llm_deployment", "name": "chat"},
            ],
        }
    )
    assert played
    sb.advance(15)
    progress = sb.script_progress()
    assert [s["state"] for s in progress["steps"]] == ["done"] * 5
    shop = http.get(P, params={"name": "shop"}).json()
    assert shop["version"] == 1 and shop["missingMandatoryTags"] == [{"name": "owner"}]
    assert [(v["version"], v["active"]) for v in sb.versions("shop")] == [(2, False), (1, True)]
    assert max(e["restartCount"] for e in http.get(f"{P}/{shop['id']}/logs").json()) >= 2
    assert http.get(P, params={"name": "chat"}).json()["modelServer"] == "VLLM"
