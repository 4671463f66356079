"""What a wizard front end asks of its core (frontend.graphql; docs/api.md, "Front ends").

Thin like the rest of the API: the code is spent by wizard.identity, the options are fetched by
wizard.connect.options and credentials are tested and stored here exactly as
createUserAuthentication does, so each rule stays in its one place.
"""
from __future__ import annotations

from .. import accounts, identity
from ..connect.options import OptionsUnavailable, fetch_options
from ..connect.tokens import ApiError as ServiceError
from ..connect.tokens import check_connection
from ..core import embedded_core
from ..extensions import db
from ..services.params import ParamError
from .access import operation, own_instance, principal
from .authentications import credentials_from_input, registry_service
from .errors import bad_input
from .root import mutation, query


def _own_account(info, auth_id: str):
    """The account, when the caller may act on it (a user token: its own); else not_found."""
    p = principal(info)
    return accounts.get(auth_id, owner_id=None if p.is_master else p.user_id)


@mutation.field("consumeAuthorizationCode")
@operation(master_only=True)
def consume_authorization_code(_, _info, input: dict) -> dict:
    user_id = identity.consume_code(input.get("authorizationCode"))
    return {"userId": user_id, "externalUserId": identity.get_user(user_id).external_user_id,
            "clientMutationId": input.get("clientMutationId")}


@mutation.field("updateUserAuthentication")
@operation()
def update_user_authentication(_, info, input: dict) -> dict:
    auth = _own_account(info, input["authenticationId"])
    if input.get("data") is not None:
        service = registry_service(auth.service)
        if service is None:
            raise bad_input("authenticationId", f"the service {auth.service!r} is not configured on this server",
                            reason="not_found")
        creds, scopes, expires_at = credentials_from_input(service, input["data"], input.get("scopes"))
        try:
            checked = check_connection(service.with_params(auth.params or {}), service.auth, creds)
        except ServiceError as exc:
            raise bad_input("data", f"{service.title} refused these credentials: {exc.message}") from None
        except ParamError as exc:
            raise bad_input("authenticationId", f"the account's connection parameters no longer fit "
                                                f"{service.title}: {exc}") from None
        if auth.account_ref and checked.account and accounts.account_ref(checked.account) != auth.account_ref:
            raise bad_input("data", f"That is another {service.title} account ({checked.name}) than the one being "
                                    f"reconnected ({auth.name}). Sign in with that one, or connect the other "
                                    "as a new account.", reason="other_account")
        accounts.update_credentials(auth, creds, expires_at=expires_at, scopes=scopes or None,
                                    account=checked.account, name=checked.name)
    if input.get("name") is not None:
        try:
            accounts.rename(auth, input["name"])
        except ValueError:
            raise bad_input("name", "must not be empty") from None
    return {"authentication": auth, "clientMutationId": input.get("clientMutationId")}


@mutation.field("reportSolutionInstanceConfigured")
@operation(master_only=True)
def report_solution_instance_configured(_, info, input: dict) -> dict:
    data = own_instance(info, input["solutionInstanceId"])
    embedded_core().configured(data)
    db.session.commit()
    return {"clientMutationId": input.get("clientMutationId")}


@query.field("authenticationOptions")
@operation()
def authentication_options(_, info, authenticationId: str, source: str) -> dict:
    auth = _own_account(info, authenticationId)
    try:
        options = fetch_options(source, owner_id=auth.owner_id, auth_id=auth.id)
    except OptionsUnavailable as exc:
        return {"options": [], "error": {"code": exc.code, "message": exc.message, "missing": exc.missing}}
    return {"options": options, "error": None}
