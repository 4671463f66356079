"""The wizard's per-request context: the session's binding, the instance, its progress and the
engine over them. Views call `load(iid)` first; everything they need hangs off the result.

The session is bound to ONE user and ONE instance (set at entry): a URL naming another instance
is refused, and the instance must still belong to the session's user.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app, session, url_for
from werkzeug.routing import BuildError

from .. import i18n, slot_types
from ..texts import T, localize_definition, message
from ..connect import options as connect_options
from ..core import InstanceData
from ..core.embedded import carry_values
from .. import session_keys
from ..web import guard, user_accounts
from . import progress as progress_store
from .engine import OptionsError, Options, WizardEngine

def upgrade_mode(instance: InstanceData, options: Options) -> bool:
    """Upgrade when asked (upgrade=true) or, by default, when the newer version needs input."""
    has_newer = bool(instance.newest_definition) and (instance.newest_version or 0) > instance.version
    if not has_newer:
        return False
    if options.upgrade is not None:
        return options.upgrade
    return instance.flags.requiresUserInputToUpdateVersion


def fetch_dynamic_options(source: str, owner_id: str, auth_id: str) -> list[dict]:
    """The service's options (wizard.connect.options), as the engine's OptionsError when they
    cannot be had."""
    try:
        return list(connect_options.fetch_options(source, owner_id=owner_id, auth_id=auth_id))
    except connect_options.OptionsUnavailable as exc:
        raise OptionsError(message(exc) or T("not available"), exc.code) from None


@dataclass
class WizardContext:
    iid: str
    sid: str
    user_id: str
    external_user_id: str | None
    options: Options
    instance: InstanceData
    definition: dict
    version: int
    mode: str
    progress: progress_store.Progress
    engine: WizardEngine = None  # type: ignore[assignment]
    row: object = None  # the instance row loaded with the progress, kept for the progress save
    _options_cache: dict = field(default_factory=dict)

    # -- engine callables --------------------------------------------------------------------

    def load_options(self, spec: dict, extra: dict) -> list[dict]:
        key = (spec["source"], extra["auth_id"])
        if key not in self._options_cache:
            try:
                self._options_cache[key] = fetch_dynamic_options(spec["source"], self.user_id, extra["auth_id"])
            except OptionsError as exc:
                self._options_cache[key] = exc
        found = self._options_cache[key]
        if isinstance(found, Exception):
            raise found
        return found

    def check_auth(self, slot_id: str, auth_id: str) -> str | None:
        """core.check_auth_values semantics: the owner's account, of the slot's service."""
        if user_accounts.check_auth_value(self.user_id, self.definition, slot_id, auth_id):
            return None
        return T("This account cannot be used here. Choose another one or connect a new account.")

    def build_engine(self) -> WizardEngine:
        self.engine = WizardEngine(
            self.definition, store=self.progress, options=self.options,
            upgrade_from=self.instance.definition if self.mode == "upgrade" else None,
            load_options=self.load_options, check_auth=self.check_auth)
        return self.engine

    # -- helpers for views -------------------------------------------------------------------

    @property
    def secrets_kept(self) -> set[str]:
        """Secret slots with a value: saved in the instance, or typed earlier in this wizard."""
        secret_ids = slot_types.secret_ids(self.definition)
        return set(self.progress.secrets_saved) | {k for k in self.progress.config if k in secret_ids}

    def save(self) -> None:
        """Write the progress (the engine's store) back."""
        progress_store.save(self.progress, self.definition)

    def url(self, endpoint: str, **kw) -> str:
        return url_for(endpoint, iid=self.iid, sid=self.sid, **kw)

    def connect_urls(self, slot_id: str, reconnect: str | None = None) -> tuple[str | None, str | None]:
        """The connect popup's routes (wizard.connect), when they exist; `reconnect` names an
        account to re-authorise (the connect flow's `auth` parameter)."""
        # the popup's pages (the provider's consent, the result) speak the wizard's language
        extra = {"auth": reconnect, "lang": i18n.language()} if reconnect else {"lang": i18n.language()}
        try:
            start = url_for("connect.start", iid=self.iid, sid=self.sid, slot=slot_id, **extra)
        except BuildError:
            return None, None
        try:
            status = url_for("connect.status", iid=self.iid, sid=self.sid, slot=slot_id)
        except BuildError:
            status = None
        return start, status

    def accounts_for(self, slot: dict):
        engine = getattr(self, "engine", None)
        chosen = engine.auth.get(slot["externalId"]) if engine is not None else None
        return user_accounts.list_accounts(self.user_id, slot["service"], keep=chosen)

    def take_connected(self) -> dict:
        """Accounts connected in the popup since the last page (then forgotten)."""
        return session_keys.take_connected()


def load(iid: str, *, lock: bool = False) -> WizardContext:
    """Everything a wizard view needs, or a WizardError (403 / 404 / 503, from the guard)."""
    bound = guard.bound_user(iid)
    held = None  # the embedded core: instance and progress in one statement, held while used
    if not current_app.config.get("WIZARD_CORE_URL"):
        held = progress_store.prefetch(iid, lock=lock)
    instance = guard.owned_instance(iid, bound["user_id"])
    options = Options.from_dict(bound.get("options"))
    upgrade = upgrade_mode(instance, options)
    # the ISV's texts in the user's language (wizard.texts; English where none is given)
    definition = localize_definition(instance.newest_definition if upgrade else instance.definition,
                                     i18n.language(), i18n.localize)
    version = instance.newest_version if upgrade else instance.version
    prog = progress_store.load(iid, lock=lock)
    ctx = WizardContext(iid=iid, sid=session.sid, user_id=bound["user_id"],
                        external_user_id=bound.get("external_user_id"), options=options, instance=instance,
                        definition=definition, version=version, mode="upgrade" if upgrade else "edit", progress=prog,
                        row=held)
    if not prog.started or prog.mode != ctx.mode or prog.version != version:
        restart(ctx)
    ctx.build_engine()
    return ctx


def restart(ctx: WizardContext) -> None:
    """New progress from the instance's values (first visit, after a finish, or when the
    instance moved to another version since)."""
    config, auth = ctx.instance.config_values, ctx.instance.auth_values
    if ctx.mode == "upgrade":
        config, auth = carry_values(ctx.definition, config, auth)
    ctx.progress = progress_store.begin(ctx.instance, ctx.definition, mode=ctx.mode, version=ctx.version,
                                        config=config, auth=auth)
    progress_store.save(ctx.progress, ctx.definition)


def validation_timeout_ms() -> int:
    """How long the script waits for tray.configPopup.client.validation (config.py)."""
    return int(current_app.config["WIZARD_VALIDATION_TIMEOUT_MS"])
