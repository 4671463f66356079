"""The remote core: the Core interface over another server's `POST /graphql` (docs/api.md).

Chosen by `get_core()` when WIZARD_CORE_URL is set; WIZARD_CORE_TOKEN is that server's master
token (the wizard acts for whichever user owns the instance; it checks ownership itself). This
server is then a front end: besides instances, the core owns users, codes and accounts, which
the methods below the interface reach (consume_code, accounts, options; docs/api.md "Front ends").

- Every call has a connect and a read timeout (WIZARD_CORE_TIMEOUT). Reads, and writes that give
  the same result when repeated (saving values, enabling), are tried again after a failed
  connection or a 502/503/504, twice, with a short pause (not after a read timeout: a slow core
  is not quicker the next time, and the user would wait three times as long); spending a code, storing an account and
  reporting a finished wizard are never repeated (a lost answer must not spend or store twice).

- Network failures, timeouts, 5xx answers, answers that are not the API's JSON, a refused token
  and the remote's INTERNAL_SERVER_ERROR all raise CoreUnavailable: the wizard says "try again"
  and keeps what the user entered.
- BAD_USER_INPUT errors come back as the same CoreError subclasses the embedded core raises,
  told apart by `extensions.reason` (not_found, invalid_values, missing_values).
- Values of `secret` slots come back masked ("********", as every API answer has them).
  Sending the mask back for a secret slot keeps the stored secret.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from datetime import datetime

import requests

from .base import (
    AccountData, CodeError, Core, CoreError, CoreUnavailable, Forbidden, InstanceData, InvalidValues,
    MissingValues, NotFound, VersionFlags,
)

log = logging.getLogger(__name__)
TIMEOUT = 10  # seconds, the read timeout (WIZARD_CORE_TIMEOUT)
CONNECT_TIMEOUT = 3  # seconds: a core that does not accept the connection is down, say so soon
RETRIES = 2  # further tries of a safe call
RETRY_PAUSE = 0.3  # seconds, doubling
RETRY_STATUSES = (502, 503, 504)
UNAVAILABLE = "The core service is unreachable. Try again in a moment."

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
ACCOUNT_FIELDS = "id name owner authType status scopes hidden identityId identityName connectedAt params service { name }"
CONSUME = ("mutation($input: ConsumeAuthorizationCodeInput!) { consumeAuthorizationCode(input: $input) "
           "{ userId externalUserId } }")
ACCOUNTS = ("query($owner: ID!, $service: String) { authentications(criteria: {owner: $owner, service: $service}, "
            "first: 100) { edges { node { %s } } } }" % ACCOUNT_FIELDS)
CREATE_ACCOUNT = ("mutation($input: CreateUserAuthenticationInput!) { createUserAuthentication(input: $input) "
                  "{ authenticationId } }")
UPDATE_ACCOUNT = ("mutation($input: UpdateUserAuthenticationInput!) { updateUserAuthentication(input: $input) "
                  "{ authentication { %s } } }" % ACCOUNT_FIELDS)
OPTIONS = ("query($id: ID!, $source: String!) { authenticationOptions(authenticationId: $id, source: $source) "
           "{ options { value text } error { code message missing } } }")
CONFIGURED = ("mutation($input: ReportSolutionInstanceConfiguredInput!) { reportSolutionInstanceConfigured(input: $input) "
              "{ clientMutationId } }")
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
        definition_key=_digest(node["definition"]),
        newest_definition_key=_digest(node["newestDefinition"]) if node.get("newestDefinition") else None,
    )


def _digest(text: str) -> str:
    """A definition's name: the digest of its JSON as the core sent it."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _account(node: dict) -> AccountData:
    connected = node.get("connectedAt")
    params = node.get("params")
    return AccountData(id=node["id"], owner_id=node["owner"], service=node["service"]["name"],
                       auth_type=node["authType"], name=node["name"], status=node["status"],
                       scopes=list(node["scopes"]), hidden=bool(node["hidden"]),
                       identity_id=node.get("identityId"), identity_name=node.get("identityName"),
                       connected_at=datetime.fromisoformat(connected.replace("Z", "+00:00")) if connected else None,
                       params=(json.loads(params) if isinstance(params, str) else params) or {})


def _core_error(error: dict) -> CoreError:
    """The CoreError for one GraphQL error of the remote API."""
    ext = error.get("extensions") or {}
    code, reason, message = ext.get("code"), ext.get("reason"), error.get("message") or "error"
    fields = ext.get("fields") or {}
    if code == "BAD_USER_INPUT":
        if reason in ("invalid_code", "expired_code"):
            return CodeError(reason, message)
        if reason == "missing_values":
            return MissingValues(list(ext.get("missing") or fields), message)
        if reason == "not_found":
            return NotFound(message, fields=fields)
        if reason == "invalid_values" or fields:
            return InvalidValues(message, fields=fields)
        error = CoreError(message, fields=fields)
        error.code = reason or error.code  # e.g. other_account (updateUserAuthentication)
        return error
    if code == "FORBIDDEN":
        return Forbidden(message)
    # UNAUTHENTICATED (a wrong WIZARD_CORE_TOKEN), INTERNAL_SERVER_ERROR, anything unknown: the
    # core cannot serve us now; the operator's log says why.
    log.error("the remote core answered %s: %s", code, message)
    return CoreUnavailable("The core service cannot be used right now. Try again in a moment.")


class RemoteCore(Core):
    remote = True

    def __init__(self, url: str, token: str, *, timeout: float = TIMEOUT, retries: int = RETRIES):
        url = url.rstrip("/")
        self.url = url if url.endswith("/graphql") else url + "/graphql"
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.http = requests.Session()  # keeps connections to the core open between calls

    def _call(self, query: str, variables: dict, *, safe: bool = False) -> dict:
        """POST one operation; the `data` of a successful answer, else the mapped CoreError. A
        `safe` operation (a read, or a write that repeating cannot change) is tried again when
        the core could not be reached or answered 502/503/504."""
        pause = RETRY_PAUSE
        for attempt in range(1 + (self.retries if safe else 0)):
            if attempt:
                time.sleep(pause)
                pause *= 2
            try:
                return self._post(query, variables)
            except _Transient as exc:
                last = exc
        log.warning("the remote core at %s did not answer: %s", self.url, last.detail)
        raise CoreUnavailable(UNAVAILABLE)

    def _post(self, query: str, variables: dict) -> dict:
        try:
            resp = self.http.post(self.url, json={"query": query, "variables": variables},
                                  timeout=(min(CONNECT_TIMEOUT, self.timeout), self.timeout),
                                  headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"})
        except requests.ReadTimeout:
            # a core this slow will not be quicker the next time: say so now, once
            log.warning("the remote core at %s did not answer within %s s", self.url, self.timeout)
            raise CoreUnavailable(UNAVAILABLE) from None
        except requests.RequestException as exc:
            raise _Transient(type(exc).__name__) from None
        if resp.status_code in RETRY_STATUSES:
            raise _Transient(f"HTTP {resp.status_code}")
        if resp.status_code == 429:
            log.error("the remote core at %s refused this front end's token for its rate limit "
                      "(WIZARD_RATE_LIMIT_API_MASTER on the core)", self.url)
            raise CoreUnavailable("The core service is busy. Try again in a moment.")
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
        edges = self._call(GET, {"id": instance_id}, safe=True)["solutionInstances"]["edges"]
        if not edges:
            raise NotFound(f"no solution instance with id {instance_id!r}", fields={"solutionInstanceId": "unknown"})
        return _instance(edges[0]["node"])

    def _update(self, instance_id: str, **fields) -> InstanceData:
        payload = {"solutionInstanceId": instance_id, **{k: v for k, v in fields.items() if v is not None}}
        # the same values (or enabled state) sent twice give the same instance: safe to repeat
        return _instance(self._call(UPDATE, {"input": payload}, safe=True)["updateSolutionInstance"]["solutionInstance"])

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

    def configured(self, data: InstanceData) -> None:
        self._call(CONFIGURED, {"input": {"solutionInstanceId": data.id}})

    # -- a front end's calls (docs/api.md, "Front ends") ------------------------------------------

    def consume_code(self, code: str | None) -> tuple[str, str]:
        """Spend the code on the core: (user id, external user id); CodeError when it cannot be used."""
        if not code:
            raise CodeError("invalid_code", "This link has no authorization code. Ask the application for a new one.")
        found = self._call(CONSUME, {"input": {"authorizationCode": code}})["consumeAuthorizationCode"]
        return found["userId"], found["externalUserId"]

    def list_accounts(self, owner_id: str, service: str | None = None) -> list[AccountData]:
        edges = self._call(ACCOUNTS, {"owner": owner_id, "service": service}, safe=True)["authentications"]["edges"]
        return [_account(e["node"]) for e in edges]

    def get_account(self, auth_id: str, owner_id: str) -> AccountData:
        """The owner's account; NotFound when it does not exist or is another user's."""
        for account in self.list_accounts(owner_id):
            if account.id == auth_id:
                return account
        raise NotFound(f"no authentication {auth_id!r}", fields={"authenticationId": "unknown"})

    def create_account(self, owner_id: str, service: str, data: dict, *, name: str = "",
                       scopes: list[str] | None = None, params: dict | None = None) -> str:
        """Store new credentials on the core (tested and encrypted there); the new account's id."""
        payload = {"userId": owner_id, "serviceId": service, "serviceEnvironmentId": service, "name": name or "",
                   "data": json.dumps(data), "scopes": list(scopes or [])}
        if params:  # the account's connection parameters (an addition of this API)
            payload["params"] = json.dumps(params)
        return self._call(CREATE_ACCOUNT, {"input": payload})["createUserAuthentication"]["authenticationId"]

    def update_account(self, auth_id: str, *, data: dict | None = None, scopes: list[str] | None = None,
                       name: str | None = None) -> AccountData:
        payload = {"authenticationId": auth_id}
        if data is not None:
            payload["data"] = json.dumps(data)
            payload["scopes"] = list(scopes or [])
        if name is not None:
            payload["name"] = name
        found = self._call(UPDATE_ACCOUNT, {"input": payload})["updateUserAuthentication"]["authentication"]
        return _account(found)

    def account_options(self, auth_id: str, source: str) -> tuple[list[dict], dict | None]:
        """(options, error): the core lists them with the account's token (which stays there)."""
        found = self._call(OPTIONS, {"id": auth_id, "source": source}, safe=True)["authenticationOptions"]
        return [{"value": json.loads(o["value"]), "text": o["text"]} for o in found["options"]], found["error"]


class _Transient(Exception):
    """The core could not be reached or said it is unavailable: worth another try when safe."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail
