"""The sandbox behaves like the real Hopsworks serving backend: one test per behaviour.

Each test names, in a comment, the backend source or the backend's own integration spec case it
mirrors (paths as in ``shared/reference/hopsworks-backend.md``, branch ``build_manifest``):

- KSC = hopsworks-kube/.../kube/serving/KubeServingController.java
- KKC = hopsworks-kube/.../kube/serving/KubeKServeController.java
- KSU = hopsworks-kube/.../kube/serving/utils/KubeServingUtils.java
- SS  = hopsworks-api/.../api/serving/ServingService.java
- SU  = hopsworks-api/.../api/serving/ServingUtil.java
- PAF = hopsworks-api/.../api/filter/ProjectAuthFilter.java
- RC  = hopsworks-rest-utils/.../restutils/RESTCodes.java
- TM  = hopsworks-rest-utils/.../restutils/ThrowableMapper.java
- IT  = hopsworks-IT/src/test/ruby/spec/serving_spec.rb

Everything goes over real HTTP to a sandbox on 127.0.0.1 whose clock the test moves.
"""

from __future__ import annotations

import re

import pytest

from hops_widgets.sandbox import LifecycleError, ScenarioError

from .conftest import PID, T

HALF = T.step_s / 2
REFUSED = (400, 240003)


# ------------------------------------------------------------------ helpers
def reach(sb, owner, status: str) -> str:
    """A deployment in ``status`` (as the API reports it), reached the way a user would; its name."""
    if status == "Creating":
        sb.add_deployment("fresh", status="Creating")
        return "fresh"
    if status == "Created":
        return "churnmodel"
    if status == "Stopped":
        sb.add_deployment("halted", status="Stopped")
        return "halted"
    if status == "Starting":
        assert owner.action("churnmodel", "START").status_code == 200
        return "churnmodel"
    if status == "Running":
        return "frauddetector"
    if status == "Idle":
        sb.add_deployment("sleeper", status="Idle", min_instances=0)
        return "sleeper"
    if status == "Updating":
        sb.update_deployment("frauddetector", requested_instances=3)
        return "frauddetector"
    if status == "Stopping":
        assert owner.action("frauddetector", "STOP").status_code == 200
        return "frauddetector"
    if status == "Failed":
        return "bigllm"
    raise AssertionError(status)


def refused(response, *words: str) -> str:
    """Assert a lifecycle refusal (400 / 240003) whose usrMsg says why; returns the usrMsg."""
    body = response.json()
    assert (response.status_code, body.get("errorCode")) == REFUSED, body
    assert body.get("errorMsg")
    user = body.get("usrMsg") or ""
    for word in words:
        assert word in user.lower(), (word, user)
    return user


def status_of(owner, name: str) -> str:
    return owner.serving(name)["status"]


def condition(serving: dict) -> tuple:
    c = serving.get("condition") or {}
    return c.get("type"), c.get("status")


# ------------------------------------------------ lifecycle: START (KSC start)
def test_start_on_creating_is_refused_400_240003(sb, owner):
    # KSC start(): case CREATING -> LIFECYCLE_ERROR "being prepared, try later"
    name = reach(sb, owner, "Creating")
    refused(owner.action(name, "START"), "prepared")
    assert status_of(owner, name) == "Creating"


def test_start_on_created_is_accepted(sb, owner):
    # KSC start(): case CREATED with no deployed date -> createInstance; IT "#start" starts a created serving
    name = reach(sb, owner, "Created")
    response = owner.action(name, "START")
    assert (response.status_code, response.content) == (200, b"")
    assert status_of(owner, name) == "Starting"


def test_start_on_stopped_is_accepted(sb, owner):
    # KSC start(): case STOPPED -> a new revision is deployed
    name = reach(sb, owner, "Stopped")
    assert owner.action(name, "START").status_code == 200
    assert status_of(owner, name) == "Starting"


def test_start_on_starting_is_refused_400_240003(sb, owner):
    # KSC start(): case STARTING (deployed) -> "already started"
    name = reach(sb, owner, "Starting")
    refused(owner.action(name, "START"), "already starting")


def test_start_on_running_is_refused_400_240003(sb, owner):
    # KSC start(): case RUNNING -> "already started"; IT "#start" on a running serving
    name = reach(sb, owner, "Running")
    refused(owner.action(name, "START"), "already started")
    assert status_of(owner, name) == "Running"


def test_start_on_idle_is_refused_400_240003(sb, owner):
    # KSC start(): case IDLE -> "already started"
    name = reach(sb, owner, "Idle")
    refused(owner.action(name, "START"), "already started")
    assert status_of(owner, name) == "Idle"


def test_start_on_updating_is_refused_400_240003(sb, owner):
    # KSC start(): case UPDATING -> "already started"
    name = reach(sb, owner, "Updating")
    refused(owner.action(name, "START"), "already started")


def test_start_on_stopping_is_refused_400_240003(sb, owner):
    # KSC start(): case STOPPING (not deployed) -> "stopping, try later"
    name = reach(sb, owner, "Stopping")
    refused(owner.action(name, "START"), "stopping")
    assert status_of(owner, name) == "Stopping"


def test_start_on_failed_is_refused_400_240003(sb, owner):
    # KSC start(): case FAILED (deployed) -> "in a failed state and cannot be started"
    name = reach(sb, owner, "Failed")
    user = refused(owner.action(name, "START"), "failed", "stop it first")
    assert "restart" in user
    assert status_of(owner, name) == "Failed"


# ------------------------------------------------- lifecycle: STOP (KSC stop)
def test_stop_on_creating_is_refused_400_240003(sb, owner):
    # KSC stop(): case CREATING without a deployed date -> "already stopped"
    name = reach(sb, owner, "Creating")
    refused(owner.action(name, "STOP"), "already stopped")


def test_stop_on_created_is_refused_400_240003(sb, owner):
    # KSC stop(): case CREATED -> "already stopped"
    name = reach(sb, owner, "Created")
    refused(owner.action(name, "STOP"), "already stopped")


def test_stop_on_stopped_is_refused_400_240003(sb, owner):
    # KSC stop(): case STOPPED -> "already stopped"; IT "#stop" on a stopped serving
    name = reach(sb, owner, "Stopped")
    refused(owner.action(name, "STOP"), "already stopped")


def test_stop_on_stopping_is_refused_400_240003(sb, owner):
    # KSC stop(): case STOPPING -> "already stopped"
    name = reach(sb, owner, "Stopping")
    refused(owner.action(name, "STOP"), "stopping")


def test_stop_on_starting_is_refused_400_240003(sb, owner):
    # KSC stop(): case STARTING (deployed) -> "starting, try later"
    name = reach(sb, owner, "Starting")
    refused(owner.action(name, "STOP"), "starting", "wait")
    assert status_of(owner, name) == "Starting"


def test_stop_on_updating_is_refused_400_240003(sb, owner):
    # KSC stop(): case UPDATING (deployed) -> "updating, try later"
    name = reach(sb, owner, "Updating")
    refused(owner.action(name, "STOP"), "update", "wait")
    assert status_of(owner, name) == "Updating"


def test_stop_on_running_is_accepted(sb, owner):
    # KSC stop(): case RUNNING -> deleteInstance, deployed cleared
    name = reach(sb, owner, "Running")
    assert owner.action(name, "STOP").status_code == 200
    assert status_of(owner, name) == "Stopping"


def test_stop_on_idle_is_accepted(sb, owner):
    # KSC stop(): case IDLE -> deleteInstance
    name = reach(sb, owner, "Idle")
    assert owner.action(name, "STOP").status_code == 200
    sb.advance(T.stop_s)
    assert status_of(owner, name) == "Stopped"


def test_stop_on_failed_is_accepted_and_tears_the_instance_down(sb, owner):
    # KSC stop(): case FAILED -> deleteInstance; the way back from a failure
    name = reach(sb, owner, "Failed")
    assert owner.action(name, "STOP").status_code == 200
    assert status_of(owner, name) == "Stopping"
    sb.advance(T.stop_s)
    stopped = owner.serving(name)
    assert (stopped["status"], condition(stopped), stopped["availableInstances"]) == ("Stopped", ("STOPPED", True), 0)


def test_a_failed_deployment_comes_back_by_stop_then_start(sb, owner):
    # hsml 5.2.1 Deployment.restart(): stop unless stopped, then start; KSC accepts START once Stopped
    sb.add_deployment("flaky", status="Stopped")
    sb.fail("flaky", "STARTED")
    assert owner.action("flaky", "START").status_code == 200
    sb.advance(T.start_s)
    assert status_of(owner, "flaky") == "Failed"
    refused(owner.action("flaky", "START"), "stop it first")
    assert owner.action("flaky", "STOP").status_code == 200
    sb.advance(T.stop_s)
    assert owner.action("flaky", "START").status_code == 200
    sb.advance(T.start_s)
    assert status_of(owner, "flaky") == "Running"


def test_scenario_start_and_stop_follow_the_same_rules(sb):
    # a scenario does what a user could do: the admin ops raise what the REST API answers 400 / 240003
    with pytest.raises(LifecycleError, match="stop it first"):
        sb.start_deployment("bigllm")
    with pytest.raises(LifecycleError, match="already stopped"):
        sb.stop_deployment("churnmodel")
    with pytest.raises(LifecycleError, match="already started"):
        sb.start_deployment("frauddetector")


def test_update_while_starting_is_500_240002(sb, owner):
    # KSC updateServing(): deployed and STARTING -> UPDATE_ERROR (500)
    name = reach(sb, owner, "Starting")
    body = owner.serving(name)
    body["requestedInstances"] = 2
    response = owner("PUT", f"/project/{PID}/serving", json=body)
    assert (response.status_code, response.json()["errorCode"]) == (500, 240002)
    assert response.json()["usrMsg"]


def test_update_while_updating_is_500_240002(sb, owner):
    # KSC updateServing(): deployed and UPDATING -> UPDATE_ERROR (500)
    name = reach(sb, owner, "Updating")
    body = owner.serving(name)
    body["requestedInstances"] = 1
    response = owner("PUT", f"/project/{PID}/serving", json=body)
    assert (response.status_code, response.json()["errorCode"]) == (500, 240002)


def test_delete_while_starting_is_500_240001(sb, owner):
    # KSC delete(): deployed and STARTING -> DELETION_ERROR (500)
    name = reach(sb, owner, "Starting")
    response = owner("DELETE", f"/project/{PID}/serving/{sb.deployment(name)['id']}")
    assert (response.status_code, response.json()["errorCode"]) == (500, 240001)
    assert name in sb.info()["deployments"]


def test_delete_while_updating_is_500_240001(sb, owner):
    # KSC delete(): deployed and UPDATING -> DELETION_ERROR (500)
    name = reach(sb, owner, "Updating")
    response = owner("DELETE", f"/project/{PID}/serving/{sb.deployment(name)['id']}")
    assert (response.status_code, response.json()["errorCode"]) == (500, 240001)


def test_delete_of_a_stopped_deployment_is_accepted(sb, owner):
    # KSC delete(): not deployed -> deleted at once; IT "#delete"
    name = reach(sb, owner, "Stopped")
    assert owner("DELETE", f"/project/{PID}/serving/{sb.deployment(name)['id']}").status_code == 200
    assert name not in sb.info()["deployments"]


def test_update_of_a_failed_deployment_redeploys_it_with_a_new_revision(sb, owner):
    # KSC updateServing(): RUNNING, IDLE or FAILED -> a new revision id and the instance updated
    before = owner.serving("bigllm")
    body = dict(before, requestedInstances=1, description="fewer GPUs")
    assert owner("PUT", f"/project/{PID}/serving", json=body).status_code == 201
    after = owner.serving("bigllm")
    assert after["status"] == "Updating" and after["revision"] != before["revision"]
    sb.advance(T.update_s)
    assert status_of(owner, "bigllm") == "Running"


def test_missing_action_is_422_120001(sb, owner):
    # SS POST /{servingId}: no action -> IllegalArgumentException -> TM: 422 / ILLEGAL_ARGUMENT
    response = owner("POST", f"/project/{PID}/serving/1")
    assert (response.status_code, response.json()["errorCode"]) == (422, 120001)


# ------------------------------------------------------------------- roles
def test_data_scientist_may_list_get_and_read_logs(sb, scientist):
    # SS: GET list, GET /{id} and /{id}/logs allow DATA_OWNER and DATA_SCIENTIST
    listing = scientist("GET", f"/project/{PID}/serving")
    assert listing.status_code == 200 and len(listing.json()) == 4
    assert scientist("GET", f"/project/{PID}/serving/1").json()["name"] == "frauddetector"
    assert scientist.serving("recommender")["status"] == "Running"
    assert scientist.logs("frauddetector").status_code == 200


def test_data_scientist_may_predict(sb, scientist):
    # the inference resource is open to project members (InferenceResource)
    response = scientist("POST", f"/project/{PID}/inference/models/frauddetector:predict", json={"instances": [[1]]})
    assert response.status_code == 200 and response.json()["predictions"]


@pytest.mark.parametrize("action", ["START", "STOP"])
def test_data_scientist_start_or_stop_is_403_150068(sb, scientist, action):
    # SS POST /{servingId} is DATA_OWNER only; PAF answers PROJECT_ROLE_FORBIDDEN (150068) with 403
    name = "churnmodel" if action == "START" else "frauddetector"
    before = scientist.serving(name)["status"]
    response = scientist.action(name, action)
    body = response.json()
    assert (response.status_code, body["errorCode"]) == (403, 150068)
    assert "data scientist" in body["usrMsg"].lower() and "data owner" in body["usrMsg"].lower()
    assert scientist.serving(name)["status"] == before


def test_data_scientist_update_is_403_150068(sb, scientist):
    # SS PUT is DATA_OWNER only
    body = scientist.serving("frauddetector")
    body["requestedInstances"] = 5
    response = scientist("PUT", f"/project/{PID}/serving", json=body)
    assert (response.status_code, response.json()["errorCode"]) == (403, 150068)
    assert sb.deployment("frauddetector")["requestedInstances"] == 2


def test_data_scientist_delete_is_403_150068(sb, scientist):
    # SS DELETE /{servingId} is DATA_OWNER only
    response = scientist("DELETE", f"/project/{PID}/serving/4")
    assert (response.status_code, response.json()["errorCode"]) == (403, 150068)
    assert "churnmodel" in sb.info()["deployments"]


def test_sandbox_scripting_needs_the_data_owner_key(sb, scientist, owner):
    # not the backend: the sandbox's own /_sandbox/<op> calls are the Data Owner's
    assert scientist("POST", "/_sandbox/info", json={}).status_code == 403
    info = owner("POST", "/_sandbox/info", json={}).json()["result"]
    assert info["api_keys"] == sb.api_keys


def test_request_log_records_the_role(sb, owner, scientist, anonymous):
    sb.clear_log()
    owner("GET", f"/project/{PID}/serving/1")
    scientist("GET", f"/project/{PID}/serving/1")
    anonymous("GET", f"/project/{PID}/serving/1")
    assert [e["role"] for e in sb.requests()] == ["data_owner", "data_scientist", None]


def test_no_authorization_is_401_200003(sb, anonymous):
    # IT: a request without an Authorization header -> 401, 200003
    response = anonymous("GET", f"/project/{PID}/serving")
    assert (response.status_code, response.json()["errorCode"]) == (401, 200003)


def test_unknown_project_is_404_150004(sb, owner):
    # PAF: project not found -> 404 / PROJECT_NOT_FOUND (150004)
    response = owner("GET", "/project/4242/serving")
    assert (response.status_code, response.json()["errorCode"]) == (404, 150004)


def test_no_rate_limiting_ever_answers_429(sb, owner):
    # no rate limiter exists anywhere in the backend: a burst is answered in full
    codes = {owner("GET", f"/project/{PID}/serving").status_code for _ in range(60)}
    assert codes == {200}


def test_not_found_is_404_240000_with_the_error_body_shape(sb, owner):
    # RC ServingErrorCode.INSTANCE_NOT_FOUND; error body {errorCode, errorMsg, usrMsg?}
    response = owner("GET", f"/project/{PID}/serving/999")
    body = response.json()
    assert (response.status_code, body["errorCode"]) == (404, 240000)
    assert set(body) <= {"errorCode", "errorMsg", "usrMsg"} and isinstance(body["errorMsg"], str)


# --------------------------------------------------- status and condition
def test_not_deployed_statuses_and_their_conditions(sb, owner):
    # KKC getServingStatusAndCondition: not deployed -> Creating (STOPPED/null), Created or Stopped (STOPPED/true)
    creating = owner.serving(reach(sb, owner, "Creating"))
    assert (creating["status"], condition(creating)) == ("Creating", ("STOPPED", None))
    created = owner.serving("churnmodel")
    assert (created["status"], condition(created)) == ("Created", ("STOPPED", True))
    stopped = owner.serving(reach(sb, owner, "Stopped"))
    assert (stopped["status"], condition(stopped)) == ("Stopped", ("STOPPED", True))
    sb.advance(T.creating_s)
    assert status_of(owner, "fresh") == "Created"


def test_start_conditions_are_in_progress_only_never_true(sb, owner):
    # KSU getDeploymentCondition: SCHEDULED, INITIALIZED, STARTED are only null or false; a done step is
    # replaced by the next step's in-progress condition
    owner.action("churnmodel", "START")
    seen = []
    for _ in range(int(T.start_s / 0.25)):
        serving = owner.serving("churnmodel")
        seen.append((serving["status"], *condition(serving)))
        sb.advance(0.25)
    assert {s for s, _, _ in seen} == {"Starting"}
    assert seen[0][1] == "SCHEDULED"
    order = []
    for _, t, _ in seen:
        if not order or order[-1] != t:
            order.append(t)
    assert order == ["SCHEDULED", "INITIALIZED", "STARTED", "READY"]
    assert {c for _, _, c in seen} == {None}
    final = owner.serving("churnmodel")
    assert (final["status"], condition(final)) == ("Running", ("READY", True))


@pytest.mark.parametrize("step", ["SCHEDULED", "INITIALIZED", "STARTED", "READY"])
def test_a_failed_start_reports_its_step_false(sb, owner, step):
    # KKC: a pod condition False -> Failed with that condition (SCHEDULED/INITIALIZED/STARTED/READY false)
    sb.fail("churnmodel", step, f"broke at {step}")
    owner.action("churnmodel", "START")
    sb.advance(T.start_s)
    failed = owner.serving("churnmodel")
    assert (failed["status"], condition(failed), failed["condition"]["reason"]) == (
        "Failed",
        (step, False),
        f"broke at {step}",
    )


def test_running_and_idle_report_ready_true(sb, owner):
    # KKC: InferenceService Ready=True -> Running (pods) or Idle (no predictor pod), READY/true both
    running = owner.serving("frauddetector")
    idle = owner.serving(reach(sb, owner, "Idle"))
    assert (running["status"], condition(running)) == ("Running", ("READY", True))
    assert (idle["status"], condition(idle)) == ("Idle", ("READY", True))


def test_stopping_never_reports_stopped_false(sb, owner):
    # KSU: while not deployed and pods remain -> STOPPED/null (or SCHEDULED/null while unscheduling); never False
    owner.action("frauddetector", "STOP")
    rows = set()
    for _ in range(int(T.stop_s / 0.25)):
        serving = owner.serving("frauddetector")
        rows.add((serving["status"], *condition(serving)))
        sb.advance(0.25)
    assert rows == {("Stopping", "SCHEDULED", None), ("Stopping", "STOPPED", None)}
    assert condition(owner.serving("frauddetector")) == ("STOPPED", True)


def test_storage_initializer_retries_read_starting_stopped_null_then_recover(sb, owner):
    # KSU: init container exited > 0 and restartCount <= 2 -> STOPPED/null ("being prepared") while deployed
    assert sb.storage_retry("churnmodel", restarts=2) == "armed_for_next_start"
    owner.action("churnmodel", "START")
    sb.advance(HALF + 0.1)
    retrying = owner.serving("churnmodel")
    assert (retrying["status"], condition(retrying)) == ("Starting", ("STOPPED", None))
    assert "restart" in retrying["condition"]["reason"]
    sb.advance(2 * T.step_s)
    assert condition(owner.serving("churnmodel")) == ("INITIALIZED", None)
    sb.advance(T.start_s)
    assert status_of(owner, "churnmodel") == "Running"


def test_storage_initializer_failing_more_than_twice_is_failed_initialized_false(sb, owner):
    # KSU: restartCount > 2 -> INITIALIZED/false "storage initializer finished unsuccessfully" -> Failed
    owner.action("churnmodel", "START")
    assert sb.storage_retry("churnmodel", restarts=3) == "armed"
    sb.advance(HALF + 2.5 * T.step_s)
    assert condition(owner.serving("churnmodel")) == ("STOPPED", None)
    sb.advance(T.step_s)
    failed = owner.serving("churnmodel")
    assert (failed["status"], condition(failed)) == ("Failed", ("INITIALIZED", False))
    assert "storage initializer" in failed["condition"]["reason"].lower()


def test_a_failure_whose_cause_goes_away_recovers_with_no_action(sb, owner):
    # KKC: state computed from Kubernetes on every GET: an unschedulable pod that is finally placed makes
    # the next read Starting, then Running, with no START by anyone
    assert status_of(owner, "bigllm") == "Failed"
    sb.clear_log()
    assert sb.resolve("bigllm") == "starting"
    recovering = owner.serving("bigllm")
    assert (recovering["status"], condition(recovering)) == ("Starting", ("INITIALIZED", None))
    sb.advance(T.start_s)
    assert status_of(owner, "bigllm") == "Running"
    assert sb.requests(method="POST") == []


def test_a_failure_can_heal_after_a_delay(sb, owner):
    # as above, the cause going away on its own after some time (fail(..., heals_after=s))
    sb.add_deployment("pending", status="Stopped")
    sb.fail("pending", "SCHEDULED", "no node has room yet", heals_after=10)
    owner.action("pending", "START")
    sb.advance(HALF)
    assert status_of(owner, "pending") == "Failed"
    sb.advance(9)
    assert status_of(owner, "pending") == "Failed"
    sb.advance(1.5)
    assert status_of(owner, "pending") == "Starting"
    sb.advance(T.start_s)
    assert status_of(owner, "pending") == "Running"


def test_cold_start_goes_idle_to_running_without_starting(sb, owner):
    # KKC: while Idle the InferenceService stays Ready, so the first pod makes it Running at once
    name = reach(sb, owner, "Idle")
    idle = owner.serving(name)
    assert (idle["status"], idle["availableInstances"]) == ("Idle", 0)
    owner("POST", f"/project/{PID}/inference/models/{name}:predict", json={"instances": [[1]]})
    seen = set()
    for _ in range(int(T.cold_start_s / 0.25) + 2):
        serving = owner.serving(name)
        seen.add((serving["status"], *condition(serving)))
        sb.advance(0.25)
    assert seen == {("Running", "READY", True)}


# ------------------------------------------------------------ instance counts
def test_starting_counts_its_pending_pods_from_the_first_step(sb, owner):
    # KKC getInternalStatus: every pod of the revision counts, in any phase (pending included)
    sb.update_deployment("churnmodel", requested_instances=3)
    owner.action("churnmodel", "START")
    first = owner.serving("churnmodel")
    assert (condition(first), first["availableInstances"], first["requestedInstances"]) == (("SCHEDULED", None), 3, 3)


def test_failed_at_started_shows_its_crash_looping_pod(sb, owner):
    # KKC: a crash-looping pod still counts: a deployment failed at STARTED shows 1 of 1
    sb.fail("churnmodel", "STARTED")
    owner.action("churnmodel", "START")
    sb.advance(T.start_s)
    failed = owner.serving("churnmodel")
    assert (failed["status"], condition(failed), failed["availableInstances"]) == ("Failed", ("STARTED", False), 1)


def test_failed_at_scheduled_shows_its_pending_pods(sb, owner):
    # KKC: unschedulable pods are pending pods of the revision: they count
    failed = owner.serving("bigllm")
    assert (condition(failed), failed["availableInstances"], failed["requestedInstances"]) == (
        ("SCHEDULED", False),
        1,
        1,
    )


def test_stopping_counts_the_terminating_pods(sb, owner):
    # KKC: terminating pods count until they are gone
    owner.action("frauddetector", "STOP")
    stopping = owner.serving("frauddetector")
    assert stopping["status"] == "Stopping" and stopping["availableInstances"] == 2
    assert stopping["availableTransformerInstances"] == 1
    sb.advance(T.stop_s)
    assert owner.serving("frauddetector")["availableInstances"] == 0


def test_idle_shows_no_predictor_pod(sb, owner):
    # KKC: Idle = Ready with no predictor pod
    idle = owner.serving(reach(sb, owner, "Idle"))
    assert idle["availableInstances"] == 0


def test_updating_counts_the_new_revisions_pods(sb, owner):
    # KKC getPods: labelled with the current revision only
    sb.update_deployment("frauddetector", requested_instances=4)
    updating = owner.serving("frauddetector")
    assert (updating["status"], updating["availableInstances"]) == ("Updating", 4)


# ------------------------------------------------------------- serving JSON
def test_null_fields_are_omitted(sb, owner):
    # the backend's JSON provider leaves null fields out
    for serving in owner("GET", f"/project/{PID}/serving").json():
        assert None not in serving.values(), serving["name"]
    created = owner.serving("churnmodel")
    assert "deployed" not in created and "revision" not in created


def test_revision_is_absent_until_the_first_start_then_an_opaque_8_digit_string(sb, owner):
    # KSC start(): servingUtils.getNewRevisionID() on the first START
    assert "revision" not in owner.serving("churnmodel")
    owner.action("churnmodel", "START")
    revision = owner.serving("churnmodel")["revision"]
    assert isinstance(revision, str) and re.fullmatch(r"\d{8}", revision)


def test_deployed_is_set_on_start_kept_while_failed_and_cleared_on_stop(sb, owner):
    # KSC start() sets deployed; stop() clears it; a failed deployment is still deployed
    assert "deployed" not in owner.serving("churnmodel")
    sb.fail("churnmodel", "SCHEDULED")
    owner.action("churnmodel", "START")
    assert "deployed" in owner.serving("churnmodel")
    sb.advance(HALF)
    failed = owner.serving("churnmodel")
    assert failed["status"] == "Failed" and "deployed" in failed
    owner.action("churnmodel", "STOP")
    assert "deployed" not in owner.serving("churnmodel")


def test_put_answers_without_the_state_fields(sb, owner):
    # SS PUT: 201 Created with the stored serving; the state is computed on reads only
    body = owner.serving("frauddetector")
    body["requestedInstances"] = 3
    response = owner("PUT", f"/project/{PID}/serving", json=body)
    assert response.status_code == 201
    answer = response.json()
    assert answer["requestedInstances"] == 3
    assert not {"status", "condition", "availableInstances", "availableTransformerInstances"} & set(answer)


# ------------------------------------------------------------------ names
@pytest.mark.parametrize("name", ["fraud-detector", "fraud detector", "fraud_detector", "fraud.v2"])
def test_a_name_outside_a_z_0_9_is_422_120001(sb, owner, name):
    # SU validateServingName: "[a-zA-Z0-9]+" else IllegalArgumentException -> 422; IT "space in the name"
    response = owner("PUT", f"/project/{PID}/serving", json={"name": name})
    assert (response.status_code, response.json()["errorCode"]) == (422, 120001)
    assert name not in sb.info()["deployments"]


def test_an_alphanumeric_name_is_created(sb, owner):
    # SU validateServingName accepts [a-zA-Z0-9]+; KSC put() creates it (Creating, then Created)
    response = owner("PUT", f"/project/{PID}/serving", json={"name": "FraudDetector2"})
    assert response.status_code == 201
    assert status_of(owner, "FraudDetector2") == "Creating"


def test_seeds_and_bulk_names_are_names_a_cluster_accepts(sb):
    # every name the sandbox makes itself could exist on a real cluster
    names = sb.add_deployments(3, prefix="bulk")
    assert names == ["bulk001", "bulk002", "bulk003"]
    assert all(re.fullmatch(r"[a-zA-Z0-9]+", n) for n in sb.info()["deployments"])


def test_the_scenario_api_accepts_any_name_on_purpose(sb):
    # not the backend: tests play hostile servers that send names with markup
    sb.add_deployment("<b>odd & name")
    assert "<b>odd & name" in sb.info()["deployments"]


# ------------------------------------------------------------------ logs
@pytest.mark.parametrize("status", ["Creating", "Created", "Idle", "Stopped", "Stopping"])
def test_logs_without_pods_are_404_240027(sb, owner, status):
    # KSC getLogs(): CREATING, CREATED, IDLE, STOPPED, STOPPING -> SERVER_LOGS_NOT_AVAILABLE (404)
    name = reach(sb, owner, status)
    response = owner.logs(name, component="predictor")
    body = response.json()
    assert (response.status_code, body["errorCode"]) == (404, 240027)
    assert body["usrMsg"]


def test_logs_component_defaults_to_the_predictor(sb, owner):
    # SS logs: @DefaultValue("predictor") component
    entries = owner.logs("frauddetector").json()
    assert len(entries) == 2 and all("-predictor-" in e["instanceName"] for e in entries)


def test_logs_tail_defaults_to_5_lines_per_pod(sb, owner):
    # SS logs: @DefaultValue("5") tail; one entry per pod {instanceName, content}
    entries = owner.logs("frauddetector").json()
    assert entries, "no pod's logs: the loop below would check nothing"
    for entry in entries:
        assert set(entry) >= {"instanceName", "content"}
        assert len(entry["content"].splitlines()) == 5


def test_transformer_logs_without_a_transformer_are_422(sb, owner):
    # KSC getLogs(): transformer asked of a deployment without one -> IllegalArgumentException (422)
    response = owner.logs("recommender", component="transformer")
    assert (response.status_code, response.json()["errorCode"]) == (422, 120001)


def test_an_unknown_log_component_is_422(sb, owner):
    # SS logs: a component other than predictor/transformer -> IllegalArgumentException (422)
    assert owner.logs("frauddetector", component="explainer").status_code == 422


def test_logs_of_a_failed_deployment_with_a_crashing_pod_are_readable(sb, owner):
    # KSC getLogs(): FAILED is not in the refused list; the crashing pod's output is there
    sb.fail("churnmodel", "STARTED")
    owner.action("churnmodel", "START")
    sb.advance(T.start_s)
    entries = owner.logs("churnmodel", tail=50).json()
    assert entries and "Traceback" in entries[0]["content"]


# ------------------------------------------------------------------ inference
def test_predict_through_the_hopsworks_path(sb, owner):
    # InferenceResource: POST /project/{id}/inference/models/{name}:predict
    response = owner("POST", f"/project/{PID}/inference/models/frauddetector:predict", json={"instances": [[1], [2]]})
    assert response.status_code == 200 and len(response.json()["predictions"]) == 2


def test_predict_through_the_ingress_with_a_host_header(sb, owner):
    # hsml 4.3-4.7 serving_api: POST /v1/models/{name}:predict, Host "{name}.{namespace}.{domain}" (lowercased)
    response = owner(
        "POST",
        "/v1/models/frauddetector:predict",
        json={"instances": [[1]]},
        headers={"Host": "frauddetector.demo.example.com"},
    )
    assert response.status_code == 200 and response.json()["predictions"] == [0.5]
    entry = sb.requests()[-1]
    assert (entry["endpoint"], entry["deployment"]) == ("ingress_predict", "frauddetector")
    unknown = owner("POST", "/v1/models/nobody:predict", json={}, headers={"Host": "nobody.demo."})
    assert unknown.status_code == 404


def test_the_older_gateway_path_still_works(sb, owner):
    # the path the sandbox's LOAD_BALANCER entry has long answered: /v1/{namespace}/{name}/v1/models/...
    response = owner("POST", "/v1/demo/frauddetector/v1/models/frauddetector:predict", json={"instances": [[1]]})
    assert response.status_code == 200


# ------------------------------------------------------------- backend cost
def test_a_list_costs_one_state_per_deployment_after_the_model_filter(sb, owner):
    # KSC getAll(): model/modelVersion filtered in the database, getServingInternal for each, then status
    sb.clear_log()
    owner("GET", f"/project/{PID}/serving")
    assert sb.backend_cost() == {"total": 4, "by_endpoint": {"serving_list": 4}}
    sb.reset_cost()
    owner("GET", f"/project/{PID}/serving", params={"status": "Running"})
    assert sb.backend_cost()["total"] == 4  # the status filter comes after computing every state
    sb.reset_cost()
    listed = owner("GET", f"/project/{PID}/serving", params={"model": "fraud_model"}).json()
    assert [s["name"] for s in listed] == ["frauddetector"]
    assert sb.backend_cost()["total"] == 1
    assert sb.requests()[-1]["states"] == 1


def test_a_get_by_id_or_by_name_costs_one_state(sb, owner):
    # KSC get(project, id) / get(project, name): one getServingInternal
    sb.clear_log()
    owner("GET", f"/project/{PID}/serving/1")
    owner.serving("recommender")
    assert sb.backend_cost() == {"total": 2, "by_endpoint": {"serving_by_name": 1, "serving_get": 1}}


def test_logs_cost_one_state_plus_the_pods_read(sb, owner):
    # KSC getLogs(): getInternalStatus, then one log read per pod of the component
    sb.clear_log()
    owner.logs("frauddetector")  # two predictor pods
    assert sb.backend_cost()["total"] == 3
    owner.logs("churnmodel")  # no pod: refused after computing the state
    assert sb.backend_cost()["total"] == 4


def test_start_and_stop_cost_one_state_each_refused_or_not(sb, owner, scientist):
    # KSC startOrStop(): getInternalStatus before deciding; PAF refuses a role before any of it
    sb.clear_log()
    owner.action("churnmodel", "START")
    owner.action("frauddetector", "START")  # refused, still computed
    scientist.action("frauddetector", "STOP")  # 403 from the role filter: nothing computed
    assert sb.backend_cost() == {"total": 2, "by_endpoint": {"serving_action": 2}}
    assert [e["states"] for e in sb.requests()] == [1, 1, 0]


def test_the_cost_is_reset_with_the_log(sb, owner):
    owner("GET", f"/project/{PID}/serving")
    assert sb.backend_cost()["total"] >= 4
    sb.clear_log()
    assert sb.backend_cost() == {"total": 0, "by_endpoint": {}}


def test_a_remote_handle_reads_the_cost_and_both_keys(sb, owner):
    from hops_widgets.sandbox import RemoteSandbox

    remote = RemoteSandbox(sb.url, sb.api_key)
    try:
        assert remote.api_keys == sb.api_keys
        sb.clear_log()
        owner("GET", f"/project/{PID}/serving/1")
        assert remote.backend_cost()["total"] == 1
        remote.reset_cost()
        assert sb.backend_cost()["total"] == 0
        with pytest.raises(LifecycleError):
            remote.start_deployment("bigllm")
        with pytest.raises(ScenarioError):
            remote.storage_retry("churnmodel", restarts=0)
    finally:
        remote.stop()
