"""The remote core: the Core interface over another server's `POST /graphql` (docs/api.md).

Chosen by `get_core()` when WIZARD_CORE_URL is set; WIZARD_CORE_TOKEN is that server's master
token (the wizard acts for whichever user owns the instance; it checks ownership itself).

- Network failures, timeouts, 5xx answers, answers that are not the API's JSON, a refused token
  and the remote's INTERNAL_SERVER_ERROR all raise CoreUnavailable: the wizard says "try again"
  and keeps what the user entered.
- BAD_USER_INPUT errors come back as the same CoreError subclasses the embedded core raises,
  told apart by `extensions.reason` (not_found, invalid_values, missing_values).
- Values of `secret` slots come back masked ("********", as every API answer has them).
  Sending the mask back for a secret slot keeps the stored secret.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime

import requests

from .base import (
    Core, CoreError, CoreUnavailable, Forbidden, InstanceData, InvalidValues, MissingValues, NotFound,
    VersionFlags,
)

log = logging.getLogger(__name__)
TIMEOUT = 10  # seconds, connect and read each

INSTANCE_FIELDS = """
  id name enabled owner created version definition newestVersion newestDefinition
  solution { id }
  solutionVersionFlags { hasNewerVersion requiresUserInputToUpdateVersion requiresSystemInputToUpdateVersion }
  authValues { externalId authId }
  configValues { externalId value }
"""

GET = "query($id: ID!) { solutionInstances(criteria: {id: $id}, first: 1) { edges { node { %s } } } }" % INSTANCE_FIELDS
UPDATE = ("mutation($input: UpdateSolutionInstanceInput!) { updateSolutionInstance(input: $input) "
          "{ solutionInstance { %s } } }" % INSTANCE_FIELDS)
UPGRADE = ("mutation($input: UpgradeSolutionInstanceInput!) { upgradeSolutionInstance(input: $input) "
           "{ solutionInstance { %s } } }" % INSTANCE_FIELDS)


def _config_list(values: dict | None) -> list[dict] | None:
    """{externalId: value} -> [{externalId, value: JSON text}]; None removes a value ("null")."""
    if values is None:
        return None
    return [{"externalId": k, "value": json.dumps(v)} for k, v in values.items()]


def _auth_list(values: dict | None) -> list[dict] | None:
    if values is None:
        return None
    return [{"externalId": k, "authId": v or ""} for k, v in values.items()]


def _instance(node: dict) -> InstanceData:
    return InstanceData(
        id=node["id"], solution_id=node["solution"]["id"], owner_id=node["owner"], name=node["name"],
        enabled=node["enabled"],
        created=datetime.fromisoformat(node["created"]) if node.get("created") else None,
        version=node["version"], definition=json.loads(node["definition"]),
        config_values={v["externalId"]: json.loads(v["value"]) for v in node["configValues"]},
        auth_values={v["externalId"]: v["authId"] for v in node["authValues"]},
        flags=VersionFlags(**node["solutionVersionFlags"]),
        newest_version=node.get("newestVersion"),
        newest_definition=json.loads(node["newestDefinition"]) if node.get("newestDefinition") else None,
    )


def _core_error(error: dict) -> CoreError:
    """The CoreError for one GraphQL error of the remote API."""
    ext = error.get("extensions") or {}
    code, reason, message = ext.get("code"), ext.get("reason"), error.get("message") or "error"
    fields = ext.get("fields") or {}
    if code == "BAD_USER_INPUT":
        if reason == "missing_values":
            return MissingValues(list(ext.get("missing") or fields), message)
        if reason == "not_found":
            return NotFound(message, fields=fields)
        if reason == "invalid_values" or fields:
            return InvalidValues(message, fields=fields)
        return CoreError(message, fields=fields)
    if code == "FORBIDDEN":
        return Forbidden(message)
    # UNAUTHENTICATED (a wrong WIZARD_CORE_TOKEN), INTERNAL_SERVER_ERROR, anything unknown: the
    # core cannot serve us now; the operator's log says why.
    log.error("the remote core answered %s: %s", code, message)
    return CoreUnavailable("The core service cannot be used right now. Try again in a moment.")


class RemoteCore(Core):
    def __init__(self, url: str, token: str, *, timeout: float = TIMEOUT):
        url = url.rstrip("/")
        self.url = url if url.endswith("/graphql") else url + "/graphql"
        self.token = token
        self.timeout = timeout

    def _call(self, query: str, variables: dict) -> dict:
        """POST one operation; the `data` of a successful answer, else the mapped CoreError."""
        try:
            resp = requests.post(self.url, json={"query": query, "variables": variables}, timeout=self.timeout,
                                 headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"})
        except requests.RequestException as exc:
            log.warning("the remote core at %s is unreachable: %s", self.url, type(exc).__name__)
            raise CoreUnavailable("The core service is unreachable. Try again in a moment.") from None
        if resp.status_code >= 500:
            log.warning("the remote core at %s answered HTTP %s", self.url, resp.status_code)
            raise CoreUnavailable("The core service is unavailable. Try again in a moment.")
        try:
            body = resp.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            log.error("the remote core at %s answered HTTP %s without GraphQL JSON", self.url, resp.status_code)
            raise CoreUnavailable("The core service gave an answer that is not its API's. Try again later.")
        if body.get("errors"):
            raise _core_error(body["errors"][0])
        if resp.status_code != 200 or not isinstance(body.get("data"), dict):
            raise CoreUnavailable("The core service gave an answer that is not its API's. Try again later.")
        return body["data"]

    def get_instance(self, instance_id: str) -> InstanceData:
        edges = self._call(GET, {"id": instance_id})["solutionInstances"]["edges"]
        if not edges:
            raise NotFound(f"no solution instance with id {instance_id!r}", fields={"solutionInstanceId": "unknown"})
        return _instance(edges[0]["node"])

    def _update(self, instance_id: str, **fields) -> InstanceData:
        payload = {"solutionInstanceId": instance_id, **{k: v for k, v in fields.items() if v is not None}}
        return _instance(self._call(UPDATE, {"input": payload})["updateSolutionInstance"]["solutionInstance"])

    def save_values(self, instance_id, *, name=None, config_values=None, auth_values=None) -> InstanceData:
        return self._update(instance_id, instanceName=name, configValues=_config_list(config_values),
                            authValues=_auth_list(auth_values))

    def set_enabled(self, instance_id, enabled, *, error_on_missing=True) -> InstanceData:
        return self._update(instance_id, enabled=bool(enabled), errorOnEnablingWithMissingValues=bool(error_on_missing))

    def upgrade(self, instance_id, *, config_values=None, auth_values=None) -> InstanceData:
        payload = {"solutionInstanceId": instance_id}
        if config_values is not None:
            payload["configValues"] = _config_list(config_values)
        if auth_values is not None:
            payload["authValues"] = _auth_list(auth_values)
        return _instance(self._call(UPGRADE, {"input": payload})["upgradeSolutionInstance"]["solutionInstance"])
