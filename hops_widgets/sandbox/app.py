"""The sandbox's HTTP side: a WSGI app speaking a Hopsworks REST subset, and its server.

Routing, parsing and responses are werkzeug's. The app checks the API key,
asks the fault book what to do with the request, answers it from the
:class:`~hops_widgets.sandbox.machine.World`, and logs it. Admin calls
(``/_sandbox/<op>``) need the same key and are neither faulted nor logged.
"""

from __future__ import annotations

import copy
import hmac
import json
import logging
import math
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import rest, schemas
from .admin import Admin
from .faults import FaultBook, Plan, http_error_body
from .machine import Blueprint, LifecycleError, ManualClock, ScenarioError, World
from .requestlog import RequestLog

__all__ = [
    "API_PREFIX",
    "DATA_OWNER",
    "DATA_SCIENTIST",
    "ENV_HOPSWORKS_VERSION",
    "ENV_LOAD_BALANCER",
    "MAX_BODY_BYTES",
    "ROLES",
    "SandboxApp",
    "serve",
]

log = logging.getLogger("hops_widgets.sandbox")

API_PREFIX = "/hopsworks-api/api"
MAX_BODY_BYTES = 1 << 20  # 1 MiB: serving bodies are a few kB
HOPSWORKS_VERSION = "5.2.0"  # reported when no hopsworks SDK is installed to match
ENV_HOPSWORKS_VERSION = "HOPS_WIDGETS_SANDBOX_HOPSWORKS_VERSION"
ENV_LOAD_BALANCER = "HOPS_WIDGETS_SANDBOX_LOAD_BALANCER"

# The two project roles the sandbox issues keys for (ServingService's @AllowedProjectRoles).
DATA_OWNER = "data_owner"
DATA_SCIENTIST = "data_scientist"
ROLES = (DATA_OWNER, DATA_SCIENTIST)
_TEAM_ROLE = {DATA_OWNER: "Data owner", DATA_SCIENTIST: "Data scientist"}
# what only a Data Owner may do: create/update (PUT), start/stop (POST ?action=) and delete
_OWNER_ONLY = frozenset({"serving_update", "serving_action", "serving_delete", "serving_rollback"})
# endpoints a backend has only from the version given (older ones answer 404: no such path)
_SINCE = {
    "serving_versions": (5, 2),
    "serving_rollback": (5, 2),
    "serving_schema": (5, 2),
    "dataset_download": (5, 2),
}
_SCHEMA_NOT_FOUND = 240037  # what the SDK reads as "this deployment has no schema"
_LOG_FIELDS_52 = ("podUid", "restartCount", "truncated", "readFailed", "skipped")
_ROLE_FORBIDDEN = 150068  # ProjectErrorCode.PROJECT_ROLE_FORBIDDEN, sent by the backend's ProjectAuthFilter
_ILLEGAL_ARGUMENT = 120001  # GenericErrorCode.ILLEGAL_ARGUMENT: an IllegalArgumentException, 422
_SERVING_NAME = re.compile(r"[a-zA-Z0-9]+")
# the fields a PUT answers without: its state is computed on reads only
_STATE_FIELDS = ("status", "condition", "availableInstances", "availableTransformerInstances")
# statuses in which a deployment has no pod to read logs from (KubeServingController.getLogs)
_NO_PODS = frozenset({"creating", "created", "idle", "stopped", "stopping"})

_A = API_PREFIX
_P = f"{API_PREFIX}/project/<int:pid>"
# (methods, path, endpoint): the routes the app answers
_ROUTES = (
    ("GET", f"{_A}/variables/versions", "versions"),
    ("GET", f"{_A}/variables/<name>", "variable"),
    ("GET", f"{_A}/project/getProjectInfo/<name>", "project_info"),
    ("GET", f"{_A}/project", "projects"),
    ("GET", f"{_P}/credentials", "credentials"),
    ("GET", f"{_P}/inference/endpoints", "inference_endpoints"),
    ("POST", f"{_P}/inference/models/<name>:predict", "predict"),
    ("GET", f"{_P}/dataset/<path:path>", "dataset"),
    ("GET", f"{_P}/serving", "serving_list"),
    ("PUT POST", f"{_P}/serving", "serving_update"),
    ("GET", f"{_P}/serving/<int:sid>", "serving_get"),
    ("POST", f"{_P}/serving/<int:sid>", "serving_action"),
    ("DELETE", f"{_P}/serving/<int:sid>", "serving_delete"),
    ("GET", f"{_P}/serving/<int:sid>/logs", "serving_logs"),
    ("GET", f"{_P}/serving/<int:sid>/versions", "serving_versions"),
    ("POST", f"{_P}/serving/<int:sid>/rollback", "serving_rollback"),
    ("GET", f"{_P}/serving/<int:sid>/schema", "serving_schema"),
    ("GET", f"{_P}/dataset/download/with_auth/<path:path>", "dataset_download"),
    # a vLLM deployment's OpenAI-compatible API, under the base path get_openai_url() builds
    ("POST", "/v1/<ns>/<name>/v1/chat/completions", "gateway_chat"),
    # what the SDK sends through the ingress gateway when an endpoint of type LOAD_BALANCER is listed
    ("POST", "/v1/<ns>/<name>/v1/models/<model>:predict", "gateway_predict"),
    ("GET", "/v1/<ns>/<name>/v1/models/<model>", "gateway_model"),
    # what SDKs 4.3-4.7 send to the ingress: the deployment is named by the Host header
    # ("{name}.{namespace}.{domain}"), the path only by the model server's own route
    ("POST", "/v1/models/<model>:predict", "ingress_predict"),
    ("GET POST", "/_sandbox/<op>", "admin"),
)
_URLS = Map(
    [
        *(Rule(path, endpoint=endpoint, methods=methods.split()) for methods, path, endpoint in _ROUTES),
        # how the SDK asks for an absolute path ("dataset/" + "/Projects/..."): answered, not redirected
        Rule(f"{_P}/dataset//<path:path>", endpoint="dataset", methods=["GET"], merge_slashes=False),
    ],
    strict_slashes=False,
)
_VARIABLES = {
    "enable_data_science_profile": "true",
    "kube_kserve_installed": "true",
    "kube_serving_min_num_instances": "-1",
    "kube_serving_max_num_instances": "-1",
    "kube_knative_domain_name": "",
    # read by older SDKs: the resource caps (4.1–4.2 and 3.7; -1 = no cap) and, at login,
    # the Python version of the project's base image (3.7)
    "kube_serving_max_cores_allocation": "-1",
    "kube_serving_max_memory_allocation": "-1",
    "kube_serving_max_gpus_allocation": "-1",
    "docker_base_image_python_version": "3.10",
}
_WWW_AUTHENTICATE = 'ApiKey realm="hops-widgets sandbox"'
_HTML_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>{status} {phrase}</title></head>\n"
    "<body><h1>{status} {phrase}</h1><p>The proxy in front of the API answered instead of the API.</p>"
    "<hr><p>sandbox-gateway</p></body></html>\n"
)
_SERVING_ENDPOINTS = frozenset({"serving_list", "serving_get", "serving_by_name", "serving_update"})


_STATES_KEY = "hops_widgets.sandbox.states"  # where an endpoint notes the states it computed (the cost)


class _ApiError(Exception):
    def __init__(self, status: int, code: int | None, message: str, user: str = "", headers=None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.user = user
        self.headers = headers or {}


def _json(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (log text, a scripted fault): its \uXXXX escape, valid JSON
        body = json.dumps(data, separators=(",", ":")).encode("ascii")
    return Response(body, status=status, headers=dict(headers or {}), content_type="application/json")


def _error(status: int, code: int | None, message: str, user: str = "", headers=None) -> Response:
    body: dict[str, Any] = {}
    if code is not None:
        body["errorCode"] = code
    body["errorMsg"] = message
    if user:
        body["usrMsg"] = user
    return _json(body, status, headers)


class SandboxApp:
    """The WSGI application. ``stopping`` interrupts injected delays when the server stops."""

    def __init__(
        self,
        world: World,
        faults: FaultBook,
        log_: RequestLog,
        admin: Admin,
        api_key: str,
        *,
        data_scientist_key: str | None = None,
        stopping: threading.Event | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        hopsworks_version: str | None = None,
        load_balancer: bool | None = None,
    ) -> None:
        # What GET variables/versions reports; settable at any time (``sb.app.hopsworks_version = "4.2.0"``).
        self.hopsworks_version = hopsworks_version or os.environ.get(ENV_HOPSWORKS_VERSION) or default_version()
        # Whether GET inference/endpoints lists a LOAD_BALANCER entry (this server, as the gateway).
        if load_balancer is None:
            choice = os.environ.get(ENV_LOAD_BALANCER, "").strip().lower()
            load_balancer = choice not in ("0", "false", "no") if choice else default_load_balancer()
        self.load_balancer = load_balancer
        self.world = world
        self.faults = faults
        self.log = log_
        self.admin = admin
        # role -> key; the Data Scientist's key may read and predict, not change anything
        self.api_keys: dict[str, str] = {DATA_OWNER: api_key}
        if data_scientist_key:
            self.api_keys[DATA_SCIENTIST] = data_scientist_key
        self.stopping = stopping or threading.Event()
        self.max_body_bytes = max_body_bytes

    def __repr__(self) -> str:
        return f"<SandboxApp project={self.world.project!r}>"

    # ----------------------------------------------------------------- WSGI
    def __call__(self, environ, start_response):
        started = time.perf_counter()
        request = Request(environ)
        # one byte of slack: a streamed (chunked) body is cut at this limit without an error,
        # so _read_json reads one byte more than allowed to tell "at the cap" from "over it"
        request.max_content_length = self.max_body_bytes + 1
        endpoint, deployment, role = "unknown", None, None
        environ[_STATES_KEY] = 0
        try:
            try:
                rule, args = _URLS.bind_to_environ(environ).match()
            except NotFound:
                raise _ApiError(404, 120001, "No such API path in the sandbox.") from None
            except MethodNotAllowed as exc:
                allow = ", ".join(exc.valid_methods or ())
                raise _ApiError(405, 120002, "Method not allowed here.", headers={"Allow": allow}) from None
            if rule == "admin":
                return self._admin(request, args["op"])(environ, start_response)
            endpoint = rule
            if request.content_length is not None and request.content_length > self.max_body_bytes:
                raise _ApiError(413, 120003, f"The request body is larger than {self.max_body_bytes} bytes.")
            role = self._authenticate(request)
            if "pid" in args and args["pid"] != self.world.project_id:
                raise _ApiError(404, 150004, "Project not found.", f"No project with id {args['pid']} in the sandbox.")
            if endpoint in _OWNER_ONLY and role != DATA_OWNER:
                raise _ApiError(
                    403,
                    _ROLE_FORBIDDEN,
                    "Your project role does not allow this action.",
                    "A Data Scientist can read deployments and their logs but cannot create, update, start, "
                    "stop or delete them; ask a Data Owner of the project.",
                )
            if endpoint in _SINCE and not self.since(*_SINCE[endpoint]):
                raise _ApiError(404, 120001, "No such API path in the sandbox.")
            if endpoint == "serving_list" and "name" in request.args:
                endpoint = "serving_by_name"
            # a playing scenario's due steps first, each as of its own time: every request sees them
            self.admin.catch_up()
            deployment = self._target(endpoint, args, request)
            plan = self.faults.plan(
                endpoint, request.path, request.method, deployment, has_servings=endpoint in _SERVING_ENDPOINTS
            )
            if plan.delay_s > 0 and self._pause(plan.delay_s):
                response = self._disconnect(environ)
            elif plan.respond is not None:
                response = self._injected(plan, environ)
            else:
                response = getattr(self, f"_ep_{endpoint}")(request, plan, **args)
        except _ApiError as exc:
            response = _error(exc.status, exc.code, exc.message, exc.user, exc.headers)
        except LifecycleError as exc:
            response = _error(exc.status_code, exc.error_code, exc.summary, str(exc))
        except ScenarioError as exc:
            response = _error(exc.status_code, exc.error_code, str(exc))
        except RequestEntityTooLarge:
            response = _error(413, 120003, f"The request body is larger than {self.max_body_bytes} bytes.")
        except HTTPException as exc:
            response = _error(exc.code or 500, 120000, exc.description or exc.name)
        except Exception:
            log.exception("sandbox request failed")
            response = _error(500, 120000, "The sandbox hit an internal error (see its log).")
        self.log.add(
            {
                "method": request.method,
                "path": request.path,
                "query": request.query_string.decode("latin-1"),
                "status": response.status_code,
                "endpoint": endpoint,
                "deployment": deployment,
                "role": role,
                "states": environ.get(_STATES_KEY, 0),
                "time": time.time(),
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            }
        )
        return response(environ, start_response)

    # --------------------------------------------------------------- pieces
    def _pause(self, seconds: float) -> bool:
        """Wait out an injected delay; True if it was cut short.

        Request threads are not daemons (``stop()`` joins them), so a delay must also end
        when the interpreter exits: otherwise a pending ``latency(60)`` would hold a kernel
        shutdown for a minute. The main thread is no longer alive once Python starts
        waiting for the other threads at exit.
        """
        deadline = time.monotonic() + seconds
        main = threading.main_thread()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self.stopping.wait(min(left, 0.05)) or not main.is_alive():
                return True

    def _authenticate(self, request: Request) -> str:
        """The role of the request's API key; 401 without a valid one."""
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.strip().partition(" ")
        if not header or scheme.lower() != "apikey":
            raise _ApiError(
                401,
                200003,
                "Authorization header not set or not an ApiKey.",
                headers={"WWW-Authenticate": _WWW_AUTHENTICATE},
            )
        given = value.strip().encode()
        found = None
        for role, key in self.api_keys.items():
            if hmac.compare_digest(given, key.encode()):
                found = role
        if found is None:
            raise _ApiError(
                401, 320012, "Invalid or incorrect API key.", headers={"WWW-Authenticate": _WWW_AUTHENTICATE}
            )
        return found

    def _target(self, endpoint: str, args: Mapping[str, Any], request: Request) -> str | None:
        """The deployment a request is about, for faults and the log."""
        if endpoint == "serving_by_name":
            return request.args.get("name")
        if endpoint in ("predict", "gateway_predict", "gateway_model", "gateway_chat"):
            return args.get("name")
        if endpoint == "ingress_predict":
            return self._ingress_target(request)
        if "sid" in args:
            return self.world.name_of(args["sid"])
        return None

    def _read_json(self, request: Request, *, required: bool) -> Any:
        raw = request.get_data(cache=False)
        if len(raw) > self.max_body_bytes:
            raise _ApiError(413, 120003, f"The request body is larger than {self.max_body_bytes} bytes.")
        if not raw:
            if required:
                raise _ApiError(400, 120004, "A JSON body is required.")
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise _ApiError(400, 120004, "The body is not valid JSON.") from None

    def _disconnect(self, environ) -> Response:
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return Response(b"", status=200)

    def _injected(self, plan: Plan, environ) -> Response:
        fault = plan.respond
        assert fault is not None
        params = fault.params
        if fault.kind == "http_error":
            status = params["status"]
            headers: dict[str, str] = {}
            if status == 401:
                headers["WWW-Authenticate"] = _WWW_AUTHENTICATE
            if params.get("retry_after") is not None:
                headers["Retry-After"] = str(max(0, math.ceil(float(params["retry_after"]))))
            return _json(http_error_body(status, params), status, headers)
        if fault.kind == "malformed_json":
            return Response(b'{"id": 1, "name": "half-sent", "status": "Runn', 200, content_type="application/json")
        if fault.kind == "html":
            status = params.get("status", 502)
            phrase = {200: "OK", 502: "Bad Gateway", 503: "Service Unavailable"}.get(status, "Error")
            page = _HTML_PAGE.format(status=status, phrase=phrase)
            return Response(page, status=status, content_type="text/html; charset=utf-8")
        if fault.kind == "empty_body":
            return Response(b"", 200)
        return self._disconnect(environ)

    # ------------------------------------------------------------- endpoints
    def _shaped(self, plan: Plan, serving: dict[str, Any]) -> Any:
        """A serving object in the shape of the reported backend version, then any injected change.

        Backends before 4.6 had no scaling configuration: a deployment that scales to zero
        asked for 0 instances, which is how SDKs of that age still read it.
        """
        version = _version_tuple(self.hopsworks_version)
        if version is not None and version < (5, 2) and isinstance(serving, dict):
            serving = dict(serving)
            serving.pop("predictorEnvVars", None)  # the schema id: schemas came with 5.2
            for key in ("predictorScalingConfig", "transformerScalingConfig"):
                scaling = serving.get(key)
                if isinstance(scaling, Mapping):
                    scaling = {k: v for k, v in scaling.items() if k not in rest.SCALING_52}
                    if scaling.get("scaleMetric") not in (None, *rest.METRICS_BEFORE_52):
                        scaling["scaleMetric"], scaling["target"] = "CONCURRENCY", 100
                    serving[key] = scaling
        if version is not None and version < (5, 0) and isinstance(serving, dict):
            serving.pop("missingMandatoryTags", None)
        if version is not None and version < (4, 6) and isinstance(serving, dict):
            serving = dict(serving)
            for key, count in (
                ("predictorScalingConfig", "requestedInstances"),
                ("transformerScalingConfig", "requestedTransformerInstances"),
            ):
                scaling = serving.pop(key, None)
                if isinstance(scaling, Mapping) and scaling.get("minInstances") == 0 and count in serving:
                    serving[count] = 0
        return plan.transform(serving)

    def since(self, major: int, minor: int) -> bool:
        """Whether the reported backend version is ``major.minor`` or later (an unreadable one is)."""
        version = _version_tuple(self.hopsworks_version)
        return version is None or version >= (major, minor)

    def _ep_versions(self, request, plan):
        return _json(
            [{"software": "hopsworks", "version": self.hopsworks_version}, {"software": "sandbox", "version": "1"}]
        )

    def _ep_variable(self, request, plan, name):
        if name not in _VARIABLES:
            raise _ApiError(404, 100050, f"Variable {name!r} is not set in the sandbox.")
        return _json({"successMessage": _VARIABLES[name]})

    def _ep_project_info(self, request, plan, name):
        w = self.world
        if name != w.project:
            raise _ApiError(400, 150004, "Project wasn't found.", f"No project named {name!r} in the sandbox.")
        return _json(
            {
                "projectId": w.project_id,
                "projectName": w.project,
                "owner": f"{w.username}@sandbox.local",
                "description": "Local hops-widgets sandbox project",
                "created": "2025-01-01T00:00:00.000Z",
                "dockerImage": "python311:sandbox",
                "isPreinstalledDockerImage": True,
                "isOldDockerImage": False,
                "creationStatus": "CREATED",
                "services": ["JUPYTER", "SERVING"],
            }
        )

    def _ep_projects(self, request, plan):
        w = self.world
        role = self._authenticate(request)
        user = {
            "email": f"{w.username}@sandbox.local",
            "username": w.username,
            "fname": "Sandbox",
            "lname": "User",
            "uid": 10000,
        }
        return _json(
            [
                {
                    "project": {
                        "id": w.project_id,
                        "name": w.project,
                        "owner": user,
                        "created": "2025-01-01T00:00:00.000Z",
                    },
                    "user": user,
                    "teamRole": _TEAM_ROLE.get(role, "Data owner"),
                    "timestamp": "2025-01-01T00:00:00.000Z",
                }
            ]
        )

    def _ep_credentials(self, request, plan, pid):
        # empty key material: the SDK writes these as files and never reads them for REST calls
        keys = ("kStore", "tStore", "password", "caChain", "clientCert", "clientKey")
        return _json({**dict.fromkeys(keys, ""), "fileExtension": "jks"})

    def _ep_inference_endpoints(self, request, plan, pid):
        if not self.load_balancer:
            return _json([])  # no gateway: the SDK sends inference through this API instead
        # SDKs 4.3–4.7 cannot log in without a LOAD_BALANCER entry; later ones use it when listed
        # (5.2 then waits, after a start that waited for Running, until the gateway routes the deployment).
        # The entry names this server itself, which also answers the gateway's paths.
        host, _, port = request.host.rpartition(":")
        if not host or not port.isdigit():
            host, port = request.host, "443" if request.scheme == "https" else "80"
        return _json(
            [
                {
                    "type": "LOAD_BALANCER",
                    "hosts": [host.strip("[]")],
                    "ports": [{"name": "HTTPS" if request.scheme == "https" else "HTTP", "number": int(port)}],
                }
            ]
        )

    def _archives(self, path: str) -> tuple[str, list[dict[str, Any]], str | None] | None:
        """For a path under ``Logs/Serving/<deployment>``: (deployment, its archives, file name or None)."""
        parts = path.strip("/").split("/")
        if parts[:2] != ["Logs", "Serving"] or len(parts) not in (3, 4) or not self.since(5, 2):
            return None
        name = parts[2]
        if self.world.find(name) is None:
            return None
        return name, self.world.archives(name), parts[3] if len(parts) == 4 else None

    def _ep_dataset(self, request, plan, pid, path):
        parts = path.strip("/").split("/")
        if parts[:2] == ["Projects", self.world.project] and len(parts) > 2:
            path = "/".join(parts[2:])  # an absolute path names the same file (the SDK checks scripts so)
        top = path.strip("/").split("/")[0]
        found = self._archives(path) if top == "Logs" else None
        if found is not None:
            return self._logs_dataset(request, path, *found)
        if top not in ("Models", "Resources"):
            raise _ApiError(404, 110008, f"No dataset {path!r} in the sandbox.")
        return _json(
            {
                "attributes": {
                    "name": path.strip("/").split("/")[-1],
                    "path": f"/Projects/{self.world.project}/{path}",
                    "dir": True,
                }
            }
        )

    def _logs_dataset(self, request, path, name, archives, file_name):
        """The Logs dataset's ``Serving/<name>`` folder: its metadata, its listing, or one archive's metadata."""
        base = f"/Projects/{self.world.project}/Logs/Serving/{name}"
        if file_name is None:
            if not archives:
                raise _ApiError(404, 110018, f"No dataset {path!r} in the sandbox.")  # nothing archived yet
            if (request.args.get("action") or "").lower() == "listing":
                items = [
                    {"attributes": _archive_attributes(a, base), "type": "inode"}
                    for a in sorted(archives, key=lambda a: a["name"], reverse=True)
                ]
                offset = _query_int(request.args.get("offset"), "offset", 0)
                limit = _query_int(request.args.get("limit"), "limit", 1000)
                return _json({"count": len(items), "items": items[offset : offset + limit]})
            return _json({"attributes": {"name": name, "path": base, "dir": True}})
        for archive in archives:
            if archive["name"] == file_name:
                return _json({"attributes": _archive_attributes(archive, base)})
        raise _ApiError(404, 110018, f"No file {path!r} in the sandbox.")

    def _ep_dataset_download(self, request, plan, pid, path):
        found = self._archives(path)
        if found is not None and found[2] is not None:
            for archive in found[1]:
                if archive["name"] == found[2]:
                    return Response(
                        archive["content"].encode("utf-8", "surrogateescape"),
                        200,
                        content_type="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{archive["name"]}"'},
                    )
        raise _ApiError(404, 110018, f"No file {path!r} to download in the sandbox.")

    def _ep_gateway_chat(self, request, plan, ns, name):
        """A vLLM deployment's OpenAI-compatible chat completions, whole or streamed (server-sent events)."""
        if ns != self.world.namespace or self.world.find(name) is None:
            return Response(b"", 404)
        if self.world.status_of(name) not in ("Running", "Idle", "Updating"):
            return Response(b"", 404)  # no route to a deployment that does not run
        if self.world.spec_of(name).model_server.upper() != "VLLM":
            return _json({"detail": "Not Found"}, 404)  # a KServe model server has no OpenAI routes
        body = self._read_json(request, required=True)
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list) or not messages:
            return _json(_openai_error("messages must be a non-empty list", "invalid_request_error"), 400)
        model = body.get("model")
        if model is not None and model != name:
            return _json(_openai_error(f"The model `{model}` does not exist.", "NotFoundError", 404), 404)
        if self.world.infer(name) == "cold_start":
            self._await_instance(name)
        last = next((m for m in reversed(messages) if isinstance(m, dict) and m.get("role") == "user"), {})
        asked = str(last.get("content") or "")[:200]
        words = f"Sandbox reply from {name}: you said {asked!r}.".split(" ")
        ident, created = f"chatcmpl-{self.world.project_id}{int(time.time() * 1000)}", int(time.time())
        usage = {"prompt_tokens": sum(len(str(m.get("content", "")).split()) for m in messages if isinstance(m, dict))}
        usage["completion_tokens"] = len(words)
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if not body.get("stream"):
            return _json(
                {
                    "id": ident,
                    "object": "chat.completion",
                    "created": created,
                    "model": name,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": " ".join(words)},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                }
            )

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            data = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": name,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return f"data: {json.dumps(data, separators=(',', ':'))}\n\n".encode()

        def events():
            yield chunk({"role": "assistant", "content": ""})
            for i, word in enumerate(words):
                yield chunk({"content": word if i == 0 else " " + word})
            yield chunk({}, "stop")
            yield b"data: [DONE]\n\n"

        return Response(events(), 200, content_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    @staticmethod
    def _cost(request: Request, states: int) -> None:
        """Note the deployment states this request made the backend compute (KubeServingController)."""
        request.environ[_STATES_KEY] = request.environ.get(_STATES_KEY, 0) + states

    def _ep_serving_list(self, request, plan, pid):
        # the backend filters by model (and version) in its database, computes the state of
        # every deployment left, then drops those of another status: the cost is before `status`
        model = request.args.get("model")
        version = request.args.get("modelVersion")
        status = request.args.get("status")
        if version and not model:
            raise _ApiError(422, _ILLEGAL_ARGUMENT, "A model version filter needs a model name filter too.")
        names = None
        if model:
            names = []
            for spec_name in self.world.names():
                spec = self.world.spec_of(spec_name)
                model_name = spec.model_name or spec.name.replace("-", "_")
                if model_name != model and spec.name != model:
                    continue
                if version and str(spec.model_version) != version:
                    continue
                names.append(spec_name)
        items = rest.servings(self.world, names)
        self._cost(request, len(items))
        if status:
            items = [s for s in items if str(s.get("status", "")).lower() == status.lower()]
        return _json([self._shaped(plan, s) for s in items])

    def _ep_serving_by_name(self, request, plan, pid):
        name = request.args.get("name", "")
        if self.world.find(name) is None:
            raise _ApiError(404, 240000, "Serving instance not found.", f"No deployment named {name!r}.")
        self._cost(request, 1)
        return _json(self._shaped(plan, rest.serving(self.world, name)))

    def _ep_serving_get(self, request, plan, pid, sid):
        if self.world.name_of(sid) is None:
            raise _ApiError(404, 240000, "Serving instance not found.", f"No deployment with id {sid}.")
        self._cost(request, 1)
        return _json(self._shaped(plan, rest.serving(self.world, sid)))

    def _ep_serving_action(self, request, plan, pid, sid):
        action = (request.args.get("action") or "").upper()
        if not action:
            raise _ApiError(
                422, _ILLEGAL_ARGUMENT, "No action given.", "Add ?action=START or ?action=STOP to the request."
            )
        if action not in ("START", "STOP"):
            raise _ApiError(400, 240007, f"Unknown action {action!r}.", "The action is START or STOP.")
        if self.world.name_of(sid) is None:
            raise _ApiError(404, 240000, "Serving instance not found.", f"No deployment with id {sid}.")
        self._cost(request, 1)  # the state is computed to decide, whatever the answer
        if action == "START":
            self.world.start(sid)
        else:
            self.world.stop(sid)
        return Response(b"", 200)

    def _busy(self, sid: int, status: int, code: int, what: str) -> None:
        """A deployment that is Starting or Updating cannot be updated or deleted (500, as the backend)."""
        state = self.world.status_of(sid)
        if str(state).lower() in ("starting", "updating"):
            verb = "starting" if str(state).lower() == "starting" else "rolling out an update"
            raise _ApiError(
                status,
                code,
                f"The deployment could not be {what}.",
                f"The deployment is {verb}; try again once it is Running.",
            )

    def _ep_serving_delete(self, request, plan, pid, sid):
        if self.world.name_of(sid) is None:
            raise _ApiError(404, 240000, "Serving instance not found.", f"No deployment with id {sid}.")
        if rest.serving(self.world, sid).get("deployed") is not None:
            self._cost(request, 1)  # only a deployed one has its state checked first
            self._busy(sid, 500, 240001, "deleted")
        self.world.delete(sid)
        return Response(b"", 200)

    def _ep_serving_update(self, request, plan, pid):
        body = self._read_json(request, required=True)
        if not isinstance(body, dict):
            raise _ApiError(400, 120004, "The body must be a serving object.")
        changes = _changes_from_body(body)
        ident = body.get("id")
        target = None
        if isinstance(ident, int) and not isinstance(ident, bool) and self.world.name_of(ident) is not None:
            target = ident
        elif isinstance(body.get("name"), str) and self.world.find(body["name"]) is not None:
            target = self.world.find(body["name"])
        if target is not None:
            self._cost(request, 1)
            self._busy(target, 500, 240002, "updated")
            new_version = (request.args.get("newVersion") or "").lower() == "true" and self.since(5, 2)
            if "scaling" in changes:  # what the body changes, over what the deployment has
                current = self.world.spec_of(target)
                shown = rest.scaling_json(self.world, current)
                changed = {k: v for k, v in changes.pop("scaling").items() if shown.get(k) != v}
                if changed:
                    changes["scaling"] = {**(current.scaling or {}), **changed}
            self.world.update(target, new_version=new_version, **changes)
            return _json(_without_state(self._shaped(plan, rest.serving(self.world, target))), 201)
        if ident is not None:
            raise _ApiError(404, 240000, "Serving instance not found.", f"No deployment with id {ident}.")
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise _ApiError(422, _ILLEGAL_ARGUMENT, "A new deployment needs a name.")
        if not _SERVING_NAME.fullmatch(name):
            # (the scenario API's add_deployment stays permissive, to play a server that sends odd names)
            raise _ApiError(
                422,
                _ILLEGAL_ARGUMENT,
                "The deployment name may only hold letters and digits.",
                f"{name!r} cannot be a deployment name: it becomes part of the inference URL, so only "
                "letters a-z, A-Z and digits 0-9 are allowed (no spaces, dashes or underscores).",
            )
        try:
            new_id = self.world.add(Blueprint(name=name, **changes), status="Creating")
        except TypeError as exc:
            raise _ApiError(400, 240001, f"Bad deployment fields: {exc}") from None
        return _json(_without_state(self._shaped(plan, rest.serving(self.world, new_id))), 201)

    def _ep_serving_logs(self, request, plan, pid, sid):
        if self.world.name_of(sid) is None:
            raise _ApiError(404, 240000, "Serving instance not found.", f"No deployment with id {sid}.")
        args = request.args
        component = args.get("component") or "predictor"
        if component not in ("predictor", "transformer"):
            raise _ApiError(422, _ILLEGAL_ARGUMENT, f"Unknown component {component!r}; use predictor or transformer.")
        source = (args.get("source") or "kubernetes").lower()
        tail = _log_tail(args.get("tail"))
        since = until = None
        if source == "opensearch":  # the live path has no history to bound
            since = _log_instant(args.get("since"), "since")
            until = _log_instant(args.get("until"), "until")
        timestamps = (args.get("timestamps") or "").lower() == "true"
        pod = args.get("pod") or None
        self._cost(request, 1)
        status = str(self.world.status_of(sid)).lower()
        if source == "kubernetes" and status in _NO_PODS:
            raise _ApiError(
                404,
                240027,
                "Server logs are not available.",
                f"The deployment is {status.capitalize()}: no instance runs, so there are no server logs to read. "
                "They appear once it is started and an instance is up.",
            )
        if component == "transformer" and not self.world.spec_of(sid).transformer:
            raise _ApiError(
                422,
                _ILLEGAL_ARGUMENT,
                "This deployment has no transformer.",
                "Only a deployment with a transformer has transformer logs; ask for the predictor's.",
            )
        entries = self.world.logs(
            sid, component, source=source, tail=tail, since=since, until=until, pod=pod, timestamps=timestamps
        )
        if source == "kubernetes":
            self._cost(request, len(entries))  # one read per pod
        if not self.since(5, 2):  # restart counts and pod uids came with 5.2
            entries = [{k: v for k, v in e.items() if k not in _LOG_FIELDS_52} for e in entries]
        return _json(entries)

    def _known(self, sid: int) -> None:
        if self.world.name_of(sid) is None:
            raise _ApiError(404, 240000, "Serving instance not found.", f"No deployment with id {sid}.")

    def _ep_serving_versions(self, request, plan, pid, sid):
        self._known(sid)
        offset = _query_int(request.args.get("offset"), "offset", 0)
        limit = _query_int(request.args.get("limit"), "limit", 100)
        report = self.world.report(sid)
        entries = self.world.versions(sid)
        items = [rest.version_json(self.world, report, e) for e in entries[offset : offset + limit]]
        return _json(plan.transform({"count": len(entries), "items": items}))

    def _ep_serving_rollback(self, request, plan, pid, sid):
        self._known(sid)
        body = self._read_json(request, required=True)
        version = body.get("version") if isinstance(body, dict) else None
        if isinstance(version, bool) or not isinstance(version, int):
            raise _ApiError(422, _ILLEGAL_ARGUMENT, 'The body must name a version: {"version": <number>}.')
        self._cost(request, 1)
        self.world.rollback(sid, version)
        return _json(self._shaped(plan, rest.serving(self.world, sid)))

    def _ep_serving_schema(self, request, plan, pid, sid):
        self._known(sid)
        fmt = (request.args.get("format") or "schema").lower()
        if fmt not in schemas.FORMATS:
            raise _ApiError(
                422, _ILLEGAL_ARGUMENT, f"Unknown schema format {fmt!r}; use schema, jsonschema or openapi."
            )
        spec = self.world.spec_of(sid)
        wanted = request.args.get("schemaId")
        if not spec.schema or (wanted and wanted != schemas.schema_id(spec.schema)):
            raise _ApiError(
                404,
                _SCHEMA_NOT_FOUND,
                "Deployment schema not found.",
                f"The deployment {spec.name} has no schema" + (f" with id {wanted}." if wanted else "."),
            )
        if fmt == "jsonschema":
            return _json(schemas.json_schema(spec.schema))
        if fmt == "openapi":
            return _json(schemas.openapi(spec.schema, spec.name))
        return _json(schemas.document(spec.schema))

    def _ep_gateway_model(self, request, plan, ns, name, model):
        # a gateway with no route for a deployment answers 404 with an empty body
        if ns != self.world.namespace or self.world.find(name) is None:
            return Response(b"", 404)
        if self.world.status_of(name) not in ("Running", "Idle", "Updating"):
            return Response(b"", 404)
        return _json({"name": model, "versions": ["1"], "platform": "sandbox"})

    def _ep_gateway_predict(self, request, plan, ns, name, model):
        if ns != self.world.namespace:
            return Response(b"", 404)
        return self._ep_predict(request, plan, self.world.project_id, name)

    def _ingress_target(self, request: Request) -> str | None:
        """The deployment a Host header such as ``frauddetector.demo.example.com`` names (any case)."""
        host = (request.headers.get("Host") or "").split(":")[0].strip().lower()
        label, _, rest = host.partition(".")
        namespace = rest.partition(".")[0]
        if not label or namespace != self.world.namespace.lower():
            return None
        for name in self.world.names():
            if name.lower() == label:
                return name
        return None

    def _ep_ingress_predict(self, request, plan, model):
        name = self._ingress_target(request)
        if name is None:
            return Response(b"", 404)  # no route for that host: the ingress answers 404, empty
        return self._ep_predict(request, plan, self.world.project_id, name)

    def _ep_predict(self, request, plan, pid, name):
        body = self._read_json(request, required=False)
        if self.world.find(name) is None:
            raise _ApiError(404, 250000, f"No deployment named {name!r} to send the request to.")
        if self.world.infer(name) == "cold_start":
            # as the serverless activator does: the request is held until an instance serves it
            self._await_instance(name)
        rows = 1
        if isinstance(body, dict):
            data = body.get("instances", body.get("inputs"))
            if isinstance(data, list):
                rows = max(1, len(data))
        return _json({"predictions": [0.5] * rows})

    def _await_instance(self, name: str, limit_s: float = 60.0) -> None:
        """Hold a request that woke an idle deployment until its cold start ends (real clocks only)."""
        if isinstance(self.world.clock, ManualClock):
            return  # a test moves this clock by hand: it would never move while the request waits
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            if self.world.find(name) is None or not self.world.waking(name):
                return
            if self._pause(0.05):
                return

    # ----------------------------------------------------------------- admin
    def _admin(self, request: Request, op: str) -> Response:
        try:
            if self._authenticate(request) != DATA_OWNER:
                raise _ApiError(
                    403,
                    _ROLE_FORBIDDEN,
                    "Your project role does not allow this action.",
                    "The sandbox's scenario operations need the Data Owner key.",
                )
            if request.method == "GET":
                kwargs: Any = {k: _maybe_number(v) for k, v in request.args.items()}
            else:
                kwargs = self._read_json(request, required=False) or {}
            if not isinstance(kwargs, dict):
                raise _ApiError(400, 120004, "Admin arguments must be a JSON object.")
            return _json({"result": self.admin.dispatch(op, kwargs)})
        except _ApiError as exc:
            return _error(exc.status, exc.code, exc.message, exc.user, exc.headers)
        except LifecycleError as exc:
            return _error(exc.status_code, exc.error_code, str(exc), exc.summary)
        except ScenarioError as exc:
            return _error(exc.status_code, exc.error_code, str(exc))
        except RequestEntityTooLarge:
            return _error(413, 120003, f"The request body is larger than {self.max_body_bytes} bytes.")


LOG_TAIL_DEFAULT = 5  # lines per instance when the request names no tail
LOG_TAIL_MAX = 10_000


def _log_tail(text: str | None) -> int:
    return min(_query_int(text, "tail", LOG_TAIL_DEFAULT), LOG_TAIL_MAX)


def _log_instant(text: str | None, name: str) -> float | None:
    """An ISO-8601 instant as epoch seconds (no zone means UTC)."""
    if not text:
        return None
    from datetime import datetime, timezone

    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise _ApiError(400, 240001, f"{name} must be an ISO-8601 time such as 2025-01-31T12:00:00Z.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _version_tuple(text: str) -> tuple[int, int] | None:
    match = re.match(r"\s*(\d+)\.(\d+)", text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def _installed_sdk() -> tuple[int, int] | None:
    try:
        from importlib.metadata import PackageNotFoundError, version

        return _version_tuple(version("hopsworks"))
    except (ImportError, PackageNotFoundError, ValueError):
        return None


def default_version() -> str:
    """The backend version to report: the installed hopsworks SDK's major.minor, so it does not warn."""
    installed = _installed_sdk()
    return f"{installed[0]}.{installed[1]}.0" if installed else HOPSWORKS_VERSION


def default_load_balancer() -> bool:
    """Whether to list a LOAD_BALANCER endpoint by default: only for the SDKs that need one.

    4.3–4.7 cannot log in without one. The others cope without it and then send inference
    through the API; 3.7–4.2 would read only the entry's plain-HTTP port, which this server
    does not have when it speaks TLS. ``load_balancer=True`` lists it for any version.
    """
    installed = _installed_sdk()
    return installed is not None and (4, 3) <= installed < (4, 8)


def _query_int(text: str | None, name: str, default: int) -> int:
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise _ApiError(400, 240001, f"{name} must be a whole number, not {text[:40]!r}.") from None
    if value < 0:
        raise _ApiError(400, 240001, f"{name} cannot be negative.")
    return value


def _archive_attributes(archive: Mapping[str, Any], base: str) -> dict[str, Any]:
    return {
        "name": archive["name"],
        "path": f"{base}/{archive['name']}",
        "dir": False,
        "size": len(archive["content"].encode("utf-8", "surrogateescape")),
        "modificationTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(archive["wall"])),
        "owner": "sandbox_user",
        "permission": "rw-r-----",
    }


def _openai_error(message: str, kind: str, code: int = 400) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _maybe_number(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _without_state(serving: Any) -> Any:
    """A PUT's answer: the serving as stored, without what only a read computes."""
    if isinstance(serving, dict):
        for key in _STATE_FIELDS:
            serving.pop(key, None)
    return serving


def _int_field(body: Mapping[str, Any], key: str) -> Any:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _ApiError(400, 240001, f"{key} must be a whole number.")
    return value


def _changes_from_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """Blueprint fields from a serving JSON body (camelCase, as the SDK sends it)."""
    changes: dict[str, Any] = {}
    for key, field_name in (
        ("requestedInstances", "requested_instances"),
        ("requestedTransformerInstances", "requested_transformer_instances"),
        ("modelVersion", "model_version"),
    ):
        value = _int_field(body, key)
        if value is not None:
            changes[field_name] = value
    scaling = body.get("predictorScalingConfig") or body.get("scalingConfiguration")
    if isinstance(scaling, Mapping):
        for key, field_name in (("minInstances", "min_instances"), ("maxInstances", "max_instances")):
            value = _int_field(scaling, key)
            if value is not None:
                changes[field_name] = value
        extra = {
            key: copy.deepcopy(scaling[key])
            for key in ("scaleMetric", "target", *rest.SCALING_52)
            if scaling.get(key) is not None
        }
        if extra:
            changes["scaling"] = extra
    tscaling = body.get("transformerScalingConfig")
    if isinstance(tscaling, Mapping):
        value = _int_field(tscaling, "minInstances")
        if value is not None:
            changes["transformer_min_instances"] = value
    for key, field_name in (
        ("description", "description"),
        ("modelName", "model_name"),
        ("modelServer", "model_server"),
    ):
        if isinstance(body.get(key), str):
            changes[field_name] = body[key]
    if "transformer" in body:
        changes["transformer"] = bool(body["transformer"])
    return changes


class _Handler(WSGIRequestHandler):
    """werkzeug's handler with Nagle off, the TLS handshake in the worker thread, and quiet logs."""

    timeout = 10  # seconds a client may take to send its request (or finish a TLS handshake)

    def setup(self) -> None:
        self._handshake_failed = False
        try:
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(self.timeout)
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError) as exc:
                log.debug("TLS handshake with %s failed: %s", self.client_address, exc)
                self._handshake_failed = True
        super().setup()

    def handle(self) -> None:
        if not self._handshake_failed:
            super().handle()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # the app keeps its own request log

    def log(self, type: str, message: str, *args: Any) -> None:
        log.debug("%s: " + message, type, *args)


def serve(
    app: SandboxApp, host: str, port: int, ssl_context: ssl.SSLContext | None
) -> tuple[BaseWSGIServer, threading.Thread]:
    """Bind, then serve in a background thread; the socket listens before this returns."""
    try:
        server = make_server(host, port, app, threaded=True, request_handler=_Handler)
    except SystemExit:  # werkzeug exits the process when it cannot bind; a library must not
        raise OSError(f"Cannot listen on {host}:{port} (in use, or not an address of this machine).") from None
    server.log = lambda type, message, *args: log.debug(message, *args)  # type: ignore[method-assign]
    # request threads are joined when the server closes (each is bounded by the handler timeout)
    server.daemon_threads = False
    server.block_on_close = True
    if ssl_context is not None:
        # wrap here rather than through make_server so that the handshake runs in the
        # request thread (see _Handler.setup) and a stalled client cannot block accept()
        server.socket = ssl_context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        server.ssl_context = ssl_context
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"hops-sandbox:{server.port}", daemon=True
    )
    thread.start()
    return server, thread
