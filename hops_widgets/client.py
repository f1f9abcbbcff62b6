"""A small Hopsworks Model Serving client built on ``requests``, shaped like the SDK.

    project = hops_widgets.client.login(host="my.cluster", project="demo", api_key="...")
    serving = project.get_model_serving()
    deployment = serving.get_deployment("frauddetector")
    deployment.get_state().describe()

It covers what the widgets need (reading state, start, stop) with one
``requests.Session``, a timeout on every call, a couple of quick retries for
idempotent GETs only, and one function that maps HTTP failures onto
:mod:`hops_widgets.errors`. The API key lives in the session headers and
nowhere else: no ``repr``, message or attached response shows it.

The code lives by concern: HTTP transport in :mod:`hops_widgets._transport`, the
SDK-shaped objects in :mod:`hops_widgets._models`, the log wire format in
:mod:`hops_widgets._logformat`; this module logs in and re-exports the public names.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import quote, urlsplit

from ._logformat import LOG_COMPONENTS, LOG_SOURCES, LogDeduper
from ._logformat import format_log_entries as format_log_entries
from ._models import Deployment, ModelServing, Project, Resources, ScalingConfiguration, Transformer, int_or_none
from ._transport import API_PREFIX, DEFAULT_RETRIES, DEFAULT_TIMEOUT_S, Client, InsecureConnectionWarning
from ._transport import NOT_FOUND_CODE as NOT_FOUND_CODE
from ._transport import PREDICT_TIMEOUT_S as PREDICT_TIMEOUT_S
from .errors import (
    HopsError,
    InvalidResponse,
)

__all__ = [
    "API_PREFIX",
    "DEFAULT_TIMEOUT_S",
    "LOG_COMPONENTS",
    "LOG_SOURCES",
    "Client",
    "Deployment",
    "InsecureConnectionWarning",
    "LogDeduper",
    "ModelServing",
    "Project",
    "Resources",
    "ScalingConfiguration",
    "Transformer",
    "login",
]


def _base_url(host: str, port: int | None, scheme: str, url: str | None) -> str:
    if url is None and "://" in host:
        url = host
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Not an http(s) URL: {url!r}")
        scheme = parts.scheme
        host = parts.hostname
        port = parts.port or (443 if scheme == "https" else 80)
    if scheme not in ("http", "https"):
        raise ValueError("scheme must be 'https' or 'http'")
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


def login(
    host: str = "127.0.0.1",
    port: int = 443,
    project: str | None = None,
    api_key: str | None = None,
    verify: bool | str = True,
    timeout: float = DEFAULT_TIMEOUT_S,
    scheme: str = "https",
    *,
    url: str | None = None,
    retries: int = DEFAULT_RETRIES,
) -> Project:
    """Log in to a Hopsworks cluster (or the sandbox) and open ``project``.

    ``url`` (or a ``host`` containing ``://``) replaces host, port and scheme.
    ``api_key`` defaults to ``$HOPSWORKS_API_KEY``, ``project`` to
    ``$HOPSWORKS_PROJECT`` and then to the first project of the key's user.
    ``verify`` is True (system CAs), a CA bundle path, or False (warns).
    """
    base = _base_url(host, port, scheme, url)
    api_key = api_key or os.environ.get("HOPSWORKS_API_KEY")
    if not api_key:
        raise ValueError("An API key is required: pass api_key=... or set HOPSWORKS_API_KEY.")
    project = project or os.environ.get("HOPSWORKS_PROJECT") or None
    client = Client(base, api_key, verify=verify, timeout=timeout, retries=retries)
    try:
        if project:
            info = client.get(f"/project/getProjectInfo/{quote(project, safe='')}")
            if not isinstance(info, Mapping) or int_or_none(info.get("projectId")) is None:
                raise InvalidResponse("The project information has no projectId.")
            return Project(client, info["projectId"], str(info.get("projectName") or project))
        teams = client.get("/project")
        if not isinstance(teams, list) or not teams:
            raise HopsError("This API key's user belongs to no project; pass project=...")
        first = teams[0].get("project") if isinstance(teams[0], Mapping) else None
        if not isinstance(first, Mapping) or int_or_none(first.get("id")) is None:
            raise InvalidResponse("The project list has no project id.")
        return Project(client, first["id"], str(first.get("name", "")))
    except HopsError as exc:
        client.close()
        if exc.status_code in (400, 404) and exc.error_code == 150004:
            raise HopsError(
                f"No project named {project!r} on {base}.", status_code=exc.status_code, error_code=exc.error_code
            ) from None
        raise
    except BaseException:
        client.close()
        raise
