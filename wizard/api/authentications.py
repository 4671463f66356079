"""Connected accounts: list, import (createUserAuthentication) and remove. A user token reaches
only its own."""
from __future__ import annotations

from ariadne import ObjectType
from sqlalchemy import select

from .. import accounts
from ..connect.tokens import ApiError as ServiceError
from ..connect.tokens import check_connection, provider_api_base
from ..models import Authentication
from ..i18n import localize
from ..services import registry
from ..services.params import ParamError, check_values
from .access import operation, owner_filter, owner_of_new, principal
from .errors import ApiError, bad_input
from .pagination import connection, keyset
from .root import mutation, query
from .values import decode_json

authentication_type = ObjectType("Authentication")


def registry_service(name: str):
    """The registry's service of that name, or None."""
    try:
        return registry().get(name)
    except (KeyError, LookupError):
        return None


def environment_id(name: str) -> str:
    """A service's single environment has an id too (docs/api.md: createUserAuthentication)."""
    return f"{name}-default"


def service_title(name: str) -> str:
    """The service's title from the registry when it knows it, else its name."""
    service = registry_service(name)
    return getattr(service, "title", None) or name


def service_node(name: str) -> dict:
    service = registry_service(name)
    return {"id": name, "name": name, "version": "1", "title": service_title(name),
            "icon": (getattr(service, "icon", None) or "")}


@authentication_type.field("service")
def resolve_service(auth: Authentication, _info) -> dict:
    return service_node(auth.service)


@authentication_type.field("serviceEnvironment")
def resolve_service_environment(auth: Authentication, _info) -> dict:
    return {"id": environment_id(auth.service), "name": "default", "title": service_title(auth.service)}


@authentication_type.field("customFields")
def resolve_custom_fields(_auth: Authentication, _info):
    return None


@authentication_type.field("owner")
def resolve_owner(auth: Authentication, _info) -> str:
    return auth.owner_id


@authentication_type.field("hidden")
def resolve_hidden(auth: Authentication, _info) -> bool:
    return bool(auth.hidden)


@authentication_type.field("identityId")
def resolve_identity_id(auth: Authentication, _info):
    return auth.identity_id


@authentication_type.field("identityName")
def resolve_identity_name(auth: Authentication, _info):
    return auth.identity_name


@authentication_type.field("connectedAt")
def resolve_connected_at(auth: Authentication, _info):
    return auth.connected_at or auth.created


@authentication_type.field("params")
def resolve_params(auth: Authentication, _info) -> dict:
    return dict(auth.params or {})


@query.field("authentications")
@operation()
def resolve_authentications(_, info, criteria=None, first=None, after=None, last=None, before=None) -> dict:
    """Authentications, oldest first: a user token's own, or (master) everyone's / one owner's."""
    criteria = criteria or {}
    stmt = select(Authentication)
    owner = owner_filter(info, criteria.get("owner"))
    if owner:
        stmt = stmt.where(Authentication.owner_id == owner)
    if criteria.get("service"):
        stmt = stmt.where(Authentication.service == criteria["service"])
    return connection(keyset(stmt, Authentication, first, after, last, before))


def viewer_authentications(_, info) -> dict:
    """viewer.authentications: the user token's own, the master token's everyone's (whole list)."""
    return resolve_authentications(None, info)


def credentials_from_input(service, data, scopes) -> tuple[dict, list, object]:
    """`data` of createUserAuthentication / updateUserAuthentication as stored credentials:
    (credentials, scopes, expires_at). An OAuth 2 service's account API host comes as its token
    response names it (`api_base_from`, e.g. instance_url) and is checked as at a callback."""
    if isinstance(data, str):
        try:
            data = decode_json("data", data, None)
        except ApiError:
            raise bad_input("data", "must be JSON text of an object of credentials") from None
    try:
        creds, scopes, expires_at = accounts.imported_credentials(service, data, scopes)
        if service.auth == "oauth2" and service.api_base_from:
            creds.update(provider_api_base(service, data))
    except accounts.ImportError_ as exc:
        raise bad_input("data", str(exc).removeprefix("data.").removeprefix("data ")) from None
    except ServiceError as exc:
        raise bad_input("data", exc.message) from None
    return creds, scopes, expires_at


def params_from_input(service, raw) -> dict:
    """`params` of createUserAuthentication: every parameter of the service, checked like typed
    ones (the URLs built from them must keep the service's host)."""
    if not service.params:
        if raw not in (None, "", "{}"):
            raise bad_input("params", f"{service.name} takes no connection parameters")
        return {}
    try:
        values = decode_json("params", raw, None) if isinstance(raw, str) else raw
        if not isinstance(values, dict):
            raise bad_input("params", "must be JSON text of an object, e.g. {\"subdomain\": \"acme\"}")
        values = check_values(service.params, values)
        service.with_params(values)
    except ApiError:
        raise bad_input("params", "must be JSON text of an object, e.g. {\"subdomain\": \"acme\"}") from None
    except ParamError as exc:
        raise bad_input("params", f"{exc.param or 'params'}: {localize(exc.message)}") from None
    return values


@authentication_type.field("authType")
def resolve_auth_type(auth: Authentication, _info) -> str:
    return auth.auth_type


@authentication_type.field("scopes")
def resolve_scopes(auth: Authentication, _info) -> list:
    return list(auth.scopes or [])


@mutation.field("createUserAuthentication")
@operation()
def create_user_authentication(_, info, input: dict) -> dict:
    """Import an account the ISV already holds: checked against the service (its test call when
    it defines one), stored encrypted like any other; `hidden` keeps it out of the wizard."""
    owner = owner_of_new(info, input.get("userId"), "accounts")
    service = registry_service(input["serviceId"])
    if service is None:
        raise bad_input("serviceId", f"no service {input['serviceId']!r} is configured on this server",
                        reason="not_found")
    if input["serviceEnvironmentId"] not in (environment_id(service.name), service.name, "default"):
        raise bad_input("serviceEnvironmentId", f"{service.name} has one environment, {environment_id(service.name)!r}")
    creds, scopes, expires_at = credentials_from_input(service, input["data"], input.get("scopes"))
    params = params_from_input(service, input.get("params"))
    try:
        checked = check_connection(service.with_params(params), service.auth, creds)
    except ServiceError as exc:
        raise bad_input("data", f"{service.title} refused these credentials: {exc.message}") from None
    name = (input.get("name") or "").strip() or checked.name
    auth = accounts.create(owner, service.name, service.auth, creds, name=name, scopes=scopes,
                           expires_at=expires_at, account=checked.account, hidden=bool(input.get("hidden")),
                           params=params)
    return {"authenticationId": auth.id, "clientMutationId": input.get("clientMutationId")}


@mutation.field("removeAuthentication")
@mutation.field("deleteAuthentication")
@operation()
def delete_authentication(_, info, input: dict) -> dict:
    """Delete the account and unlink it from its owner's instances. Another user's id answers
    as an unknown one."""
    p = principal(info)
    auth = accounts.get(input["authenticationId"], owner_id=None if p.is_master else p.user_id)
    accounts.delete(auth)
    return {"clientMutationId": input.get("clientMutationId")}


bindables = [authentication_type]
