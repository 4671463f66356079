"""End users and their accounts as a browser journey needs them, wherever the core keeps them.

With the embedded core these are wizard.identity and wizard.accounts on this database; with a
remote core (WIZARD_CORE_URL: this server is a front end) they are the core's API operations
(wizard.core.remote, docs/api.md "Front ends"), so that the front end's database never holds a
user, a code, an account or a credential. New credentials pass through the front end only in
memory, on their way from the OAuth callback or the credential form to the core.

Every function returns AccountData (never credentials) and raises CoreError subclasses: NotFound
for an account that is not the user's, CoreUnavailable when a remote core does not answer. Which
of the two keeps them is decided once, in `_keeper` (the Core interface's `remote`): `Here` and
`AtCore` each answer every function.
"""
from __future__ import annotations

from datetime import datetime

from .. import accounts, identity
from ..i18n import _, format_date
from ..core import AccountData, CoreError, InvalidValues, NotFound, embedded_core, get_core


class OtherAccount(CoreError):
    """Reconnecting signed in to another account at the service than the one being reconnected."""

    code = "other_account"


def _data(auth, updated: bool = False) -> AccountData:
    return AccountData(id=auth.id, owner_id=auth.owner_id, service=auth.service, auth_type=auth.auth_type,
                       name=auth.name, status=auth.status, scopes=list(auth.scopes or []), hidden=bool(auth.hidden),
                       identity_id=auth.identity_id, identity_name=auth.identity_name, connected_at=auth.connected_at or auth.created,
                       updated=updated, params=dict(auth.params or {}))


def account_words(account: AccountData) -> dict:
    """How an account is told apart from the user's others in a page: the name it goes by at the
    service (when the user gave it another label) and the day it was connected."""
    identity = account.identity_name if account.identity_name and account.identity_name != account.name else None
    connected = format_date(account.connected_at.date().isoformat()) if account.connected_at else None
    return {"identity": identity, "connected": connected}


def _as_import(service, credentials: dict, scopes, expires_at: datetime | None) -> dict:
    """Credentials as createUserAuthentication takes them (`data`): a token response's keys."""
    data = {k: v for k, v in credentials.items() if not k.startswith("_")}
    if service.auth == "oauth2":
        if expires_at is not None:
            data["expires_at"] = int(expires_at.timestamp())
        if scopes:
            data["scope"] = " ".join(scopes)
        if credentials.get("_api_base") and service.api_base_from:
            data[service.api_base_from] = credentials["_api_base"]
    return data


class Here:
    """Users and accounts on this database (the embedded core): wizard.identity and wizard.accounts."""

    def spend_code(self, code):
        user_id = identity.consume_code(code)
        return user_id, identity.get_user(user_id).external_user_id

    def list_accounts(self, owner_id, service, keep):
        return [_data(a) for a in accounts.list_accounts(owner_id, service, keep=keep)]

    def get_account(self, auth_id, owner_id):
        return _data(accounts.get(auth_id, owner_id=owner_id))

    def check_auth_value(self, owner_id, definition, slot_id, auth_id):
        try:
            embedded_core().check_auth_values(owner_id, definition, {slot_id: auth_id})
        except InvalidValues:
            return False
        return True

    def create_account(self, owner_id, service, credentials, *, name, scopes, expires_at, account, granted, params):
        same = accounts.same_identity(owner_id, service.name, account, params)
        if same is not None:
            return _data(accounts.connected_again(same, credentials, name=name, scopes=scopes, granted=granted,
                                                  expires_at=expires_at), updated=True)
        return _data(accounts.create(owner_id, service.name, service.auth, credentials, name=name, scopes=scopes,
                                     expires_at=expires_at, account=account, params=params))

    def reconnect_account(self, auth_id, owner_id, service, credentials, *, name, scopes, expires_at, account):
        current = self.get_account(auth_id, owner_id)
        auth = accounts.get(auth_id, owner_id=owner_id)
        if auth.account_ref and account and accounts.account_ref(account) != auth.account_ref:
            raise OtherAccount(_("That is another %(service)s account (%(name)s) than the one being reconnected "
                                 "(%(current)s). Sign in with that one, or connect the other as a new account.",
                                 service=service.title, name=name, current=current.name))
        return _data(accounts.update_credentials(auth, credentials, expires_at=expires_at, scopes=scopes,
                                                 account=account, name=name))

    def rename_account(self, auth_id, owner_id, name):
        return _data(accounts.rename(accounts.get(auth_id, owner_id=owner_id), name))


class AtCore:
    """Users and accounts at a remote core (this server is its front end): its API operations."""

    def __init__(self, core):
        self.core = core

    def spend_code(self, code):
        return self.core.consume_code(code)

    def list_accounts(self, owner_id, service, keep):
        found = [a for a in self.core.list_accounts(owner_id, service) if not a.hidden or a.id == keep]
        return list(reversed(found))  # the API lists oldest first

    def get_account(self, auth_id, owner_id):
        return self.core.get_account(auth_id, owner_id)

    def check_auth_value(self, owner_id, definition, slot_id, auth_id):
        slot = next((s for s in definition["auth"] if s["externalId"] == slot_id), None)
        try:
            account = self.core.get_account(auth_id, owner_id)
        except NotFound:
            return False
        return slot is not None and account.service == slot["service"]

    def create_account(self, owner_id, service, credentials, *, name, scopes, expires_at, account, granted, params):
        if account:  # the same identity at the service: that account is updated on the core
            same = [a for a in self.core.list_accounts(owner_id, service.name)
                    if a.identity_id == account and not a.hidden and (a.params or {}) == (params or {})]
            if same:
                updated = self.core.update_account(same[0].id, scopes=scopes,
                                                   data=_as_import(service, credentials, scopes, expires_at))
                updated.updated = True
                return updated
        auth_id = self.core.create_account(owner_id, service.name, _as_import(service, credentials, scopes, expires_at),
                                           name=name, scopes=scopes, params=params)
        return self.core.get_account(auth_id, owner_id)

    def reconnect_account(self, auth_id, owner_id, service, credentials, *, name, scopes, expires_at, account):
        self.get_account(auth_id, owner_id)  # the owner's own, first
        try:
            return self.core.update_account(auth_id, data=_as_import(service, credentials, scopes, expires_at),
                                            scopes=scopes)
        except CoreError as exc:
            if exc.code == "other_account":
                raise OtherAccount(exc.message) from None
            raise

    def rename_account(self, auth_id, owner_id, name):
        self.get_account(auth_id, owner_id)
        return self.core.update_account(auth_id, name=name)


def _keeper():
    """Where the users and accounts are: the one place this module asks the core."""
    core = get_core()
    return AtCore(core) if core.remote else Here()


def spend_code(code: str | None) -> tuple[str, str | None]:
    """Use up an authorization code (single use): (user id, the ISV's external user id).
    CodeError when it cannot be used."""
    return _keeper().spend_code(code)


def list_accounts(owner_id: str, service: str | None = None, *, keep: str | None = None) -> list[AccountData]:
    """The owner's accounts of the service for a picker, newest first: hidden (imported) ones only
    when it is the one already chosen (`keep`)."""
    return _keeper().list_accounts(owner_id, service, keep)


def get_account(auth_id: str, owner_id: str) -> AccountData:
    return _keeper().get_account(auth_id, owner_id)


def check_auth_value(owner_id: str, definition: dict, slot_id: str, auth_id: str) -> bool:
    """Whether the account may fill the auth slot: the owner's own, of the slot's service."""
    return _keeper().check_auth_value(owner_id, definition, slot_id, auth_id)


def create_account(owner_id: str, service, credentials: dict, *, name: str, scopes=None, expires_at=None,
                   account: str | None = None, granted: bool = False, params: dict | None = None) -> AccountData:
    """Store a tested connection as a new account of the owner (encrypted where it is kept); or,
    when the owner already has that identity at the service (with the same connection
    parameters), update that account (`updated`). `granted`: the scopes are those the provider
    said it granted."""
    return _keeper().create_account(owner_id, service, credentials, name=name, scopes=scopes,
                                    expires_at=expires_at, account=account, granted=granted, params=params)


def reconnect_account(auth_id: str, owner_id: str, service, credentials: dict, *, name: str, scopes=None,
                      expires_at=None, account: str | None = None) -> AccountData:
    """New credentials for one of the owner's accounts; OtherAccount when they sign in to another
    account at the service (every integration using it would quietly switch)."""
    return _keeper().reconnect_account(auth_id, owner_id, service, credentials, name=name, scopes=scopes,
                                       expires_at=expires_at, account=account)


def rename_account(auth_id: str, owner_id: str, name: str) -> AccountData:
    """ValueError for an empty name; NotFound for an account that is not the owner's."""
    if not (name or "").strip():
        raise ValueError("a name is required")
    return _keeper().rename_account(auth_id, owner_id, name)
