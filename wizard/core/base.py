"""The core boundary: what the wizard and the API ask of the part that owns instances.

Two implementations: `EmbeddedCore` (same process, same database; the default) and `RemoteCore`
(another server's `/graphql`). Both raise the `CoreError`s below, whose `code` is the machine code
the wizard sends to the embedding page (docs/events.md) and the API maps to GraphQL error codes.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable
from datetime import datetime

from ..texts import T


class CoreError(Exception):
    code = "core_error"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(CoreError):
    code = "not_found"


class Forbidden(CoreError):
    code = "forbidden"


class InvalidValues(CoreError):
    """Values that do not fit their slots; `fields` maps externalId -> message."""

    code = "invalid_values"


class MissingValues(CoreError):
    """Required slots without a value; `fields` maps each externalId -> 'required'."""

    code = "missing_values"

    def __init__(self, missing: list[str], message: str | None = None):
        super().__init__(message or "missing values for required slots: " + ", ".join(missing),
                         fields={m: T("This is required.") for m in missing})
        self.missing = missing


class CoreUnavailable(CoreError):
    code = "core_unavailable"


class CodeError(CoreError):
    """An authorization code that cannot be used; `code` is the machine code for the embedding
    page (invalid_code, expired_code)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass
class VersionFlags:
    hasNewerVersion: bool = False
    requiresUserInputToUpdateVersion: bool = False
    requiresSystemInputToUpdateVersion: bool = False


@dataclass
class InstanceData:
    """An instance as the wizard sees it. `config_values` are decrypted: keep them server-side."""

    id: str
    solution_id: str
    owner_id: str
    name: str
    enabled: bool
    created: datetime | None
    version: int
    definition: dict
    config_values: dict
    auth_values: dict
    flags: VersionFlags = field(default_factory=VersionFlags)
    newest_version: int | None = None
    newest_definition: dict | None = None
    # Names of the two definitions' content, for what is made from a definition and kept (the
    # wizard's render cache): the same name, the same definition. The embedded core names a
    # version by its row (id and creation time), a remote core by a digest of its JSON.
    definition_key: str | None = None
    newest_definition_key: str | None = None


@dataclass
class AccountData:
    """A connected account as a front end sees it: never its credentials."""

    id: str
    owner_id: str
    service: str
    auth_type: str
    name: str
    status: str = "ok"
    scopes: list = field(default_factory=list)
    hidden: bool = False
    identity_id: str | None = None  # who the account is at the service (its id there)
    identity_name: str | None = None  # the name the account goes by at the service
    connected_at: datetime | None = None
    updated: bool = False  # a connection of an identity the user had: that account was updated
    params: dict = field(default_factory=dict)  # its connection parameters (not secret)


@dataclass(frozen=True)
class InstanceRead:
    """How a statement that reads something bound to an instance (a wizard session: flow.page_read)
    reads the instance, its running version and the wizard's progress of it too, in the same
    statement: the core's answer to `Core.instance_read` when its instances are in this database."""

    columns: tuple       # to select besides the caller's own columns
    outerjoin: Callable  # (a FROM, its column holding the instance id) -> that FROM LEFT JOIN the instance...
    by_id: Any           # the same columns for one instance, by id (bind parameter "iid")
    to_data: Callable    # a row with those columns -> (InstanceData, or None: no such instance; the progress's data or None)


class Core(ABC):
    """Implemented by EmbeddedCore and RemoteCore. Every method raises CoreError subclasses.
    Whether a core is embedded or remote is asked of this interface only (`remote`,
    `instance_read`); wizard.core.embedded is imported by no module outside core/ and the app
    factory (.importlinter)."""

    #: True when the core is another server (RemoteCore): users, codes and accounts live there.
    remote = False

    def version_definition(self, solution_id: str, number: int | None) -> dict | None:
        """The definition of any version of a solution (a wizard carrying answers over from a
        version that is neither the running nor the newest one); NotFound if there is none, None
        when the core cannot say (a remote core answers only an instance's two versions)."""
        return None

    def instance_read(self) -> InstanceRead | None:
        """Called by the wizard page's read (flow.page_read): how to read an instance and its
        progress with the session; None when the instances are elsewhere (a remote core)."""
        return None

    @abstractmethod
    def get_instance(self, instance_id: str) -> InstanceData:
        """The instance with its running definition and version flags; NotFound if none."""

    @abstractmethod
    def save_values(self, instance_id: str, *, name: str | None = None,
                    config_values: dict | None = None, auth_values: dict | None = None) -> InstanceData:
        """Merge the given values into the instance after checking them against the slot types
        (InvalidValues). A value of None removes it. Values of slots hidden by their condition
        are dropped."""

    def save_and_enable(self, instance_id: str, *, name: str | None = None, config_values: dict | None = None,
                        auth_values: dict | None = None, enable: bool = True, on_saved=None) -> InstanceData:
        """The wizard's Finish: `save_values`, then (with `enable`) `set_enabled(True)` raising
        MissingValues, then `on_saved(data)`. The embedded core does it all in one transaction."""
        data = self.save_values(instance_id, name=name, config_values=config_values, auth_values=auth_values)
        if enable:
            data = self.set_enabled(instance_id, True, error_on_missing=True)
        if on_saved is not None:
            on_saved(data)
        return data

    @abstractmethod
    def set_enabled(self, instance_id: str, enabled: bool, *, error_on_missing: bool = True) -> InstanceData:
        """Enable or disable. With `error_on_missing`, enabling with required values missing
        raises MissingValues naming them."""

    @abstractmethod
    def upgrade(self, instance_id: str, *, config_values: dict | None = None,
                auth_values: dict | None = None) -> InstanceData:
        """Move the instance to its newest applicable version with these values; MissingValues
        while required values are still missing."""

    def configured(self, data: InstanceData) -> None:
        """Called by Finish after saving and enabling: the core records `instance.configured`
        for the ISV's webhooks (the embedded core in the caller's transaction)."""
