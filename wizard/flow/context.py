"""The wizard's per-request context: the session's binding, the instance, its progress and the
engine over them. Views call `load(iid)` first; everything they need hangs off the result.

The session is bound to ONE user and ONE instance (set at entry): a URL naming another instance
is refused, and the instance must still belong to the session's user.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote

from flask import current_app, has_request_context, request, session, url_for
from werkzeug.routing import BuildError

from .. import i18n, slot_types
from ..texts import T, localize_definition, message
from ..connect import options as connect_options
from ..core import InstanceData, NotFound, get_core
from .. import session_keys
from ..solutions import versions
from ..solutions.versions import carry_values
from ..web import guard, user_accounts
from . import carry as carry_store
from . import cache, page_read
from . import progress as progress_store
from .engine import Layout, OptionsError, Options, WizardEngine

def upgrade_mode(instance: InstanceData, options: Options, progress: progress_store.Progress | None = None) -> bool:
    """Upgrade when asked (upgrade=true) or, by default, when the newer version needs input, or
    when this wizard is already upgrading to it (what the user answers, e.g. reconnecting an
    account, may make the flag false before Finish)."""
    has_newer = bool(instance.newest_definition) and (instance.newest_version or 0) > instance.version
    if not has_newer:
        return False
    if options.upgrade is not None:
        return options.upgrade
    if progress is not None and not progress.finished and progress.mode == "upgrade" \
            and progress.version == instance.newest_version:
        return True
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
    row: object = None  # Finish: the instance locked with its progress, held while used (weak identity map)
    definition_key: str | None = None  # the definition's name (InstanceData.definition_key), for the render cache
    _options_cache: dict = field(default_factory=dict)
    _routes: tuple | None = None  # url(): the script root, the render cache, the ids quoted

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

    def lacking_scopes(self, auth_id: str, scopes: list[str]) -> list[str]:
        """The scopes an account of the session's user was not granted (all, for no such account),
        wherever the core keeps the accounts."""
        try:
            granted = set(user_accounts.get_account(auth_id, self.user_id).scopes or [])
        except NotFound:
            return list(scopes)
        return [s for s in scopes if s not in granted]

    def check_scopes(self, slot: dict, auth_id: str) -> str | None:
        """Upgrade mode: the chosen account must allow what the newer version's slot asks for."""
        lacking = self.lacking_scopes(auth_id, slot.get("scopes") or [])
        if not lacking:
            return None
        return T("The integration now needs more from this account (%(scopes)s). Reconnect it and allow it.",
                 scopes=", ".join(lacking))

    def build_engine(self) -> WizardEngine:
        # what the engine reads from the definition alone (its slots, screens, conditions) is made
        # once per (definition, language), as the definition in that language is (`in_language`)
        layout = None if self.definition_key is None else cache.kept().get(
            ("layout", self.definition_key, i18n.language()), lambda: Layout.of(self.definition))
        self.engine = WizardEngine(
            self.definition, store=self.progress, options=self.options,
            upgrade_from=in_language(self.instance.definition_key, self.instance.definition)
            if self.mode == "upgrade" else None,
            load_options=self.load_options, check_auth=self.check_auth, check_scopes=self.check_scopes,
            layout=layout)
        return self.engine

    # -- helpers for views -------------------------------------------------------------------

    @property
    def secret_ids(self):
        """The definition's secret slots: the engine's layout keeps them."""
        return self.engine.secret_ids if self.engine is not None else slot_types.secret_ids(self.definition)

    @property
    def secrets_kept(self) -> set[str]:
        """Secret slots with a value: saved in the instance, or typed earlier in this wizard."""
        secret_ids = self.secret_ids
        return set(self.progress.secrets_saved) | {k for k in self.progress.config if k in secret_ids}

    def save(self) -> None:
        """Write the progress (the engine's store) back."""
        progress_store.save(self.progress, self.definition, secret_ids=self.secret_ids)

    def url(self, endpoint: str, **kw) -> str:
        """url_for of a wizard route: a screen links its action, Cancel and each step, and url_for
        builds every one through werkzeug's rules. The URL with the instance and session left
        open is built once per (script root, endpoint, arguments) and kept (flow.cache); the ids
        are then written in (quoted as url_for quotes a path segment). What that needs of the
        request (its script root, the app's cache, the ids quoted) is found on the first call:
        the context lives for one request."""
        if self._routes is None:
            if not has_request_context():
                return url_for(endpoint, iid=self.iid, sid=self.sid, **kw)
            self._routes = (request.script_root, cache.kept(), _quoted(self.iid), _quoted(self.sid))
        root, kept, iid, sid = self._routes
        pattern = kept.get(("url", root, endpoint, tuple(sorted(kw.items()))),
                           lambda: url_for(endpoint, iid=_IID, sid=_SID, **kw))
        return pattern.replace(_IID, iid).replace(_SID, sid)

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

    def take_news(self) -> dict | None:
        """What a version published mid-journey changed (wizard.flow.carry), for the page about to
        be shown: told once, so it is forgotten (and the progress saved) here."""
        news = self.progress.news
        if news:
            self.progress.news = None
            self.save()
        return news

    def take_connected(self) -> dict:
        """Accounts connected in the popup since the last page (then forgotten)."""
        return session_keys.take_connected()


def load(iid: str, *, lock: bool = False) -> WizardContext:
    """Everything a wizard view needs, or a WizardError (403 / 404 / 503, from the guard)."""
    bound = guard.bound_user(iid)
    held, found = None, None
    if not lock:  # the page's one read: with the session already, or now by id (flow.page_read)
        found = page_read.take(iid) or page_read.read(iid)
    elif get_core().instance_read() is not None:
        # Finish: the instance read again, locked, with its progress, held while used; the core's
        # own read of it below finds the locked row
        held = progress_store.locked_instance(iid)
        if held is not None:
            found = page_read.Found(None, held.progress.data if held.progress is not None else None)
    # (an instance the read did not find is asked of the core, whose NotFound the guard refuses)
    instance = guard.owned_instance(iid, bound["user_id"], read=found.instance if found is not None else None)
    options = Options.from_dict(bound.get("options"))
    prog = progress_store.load(iid, lock=lock, **({"data": found.progress} if found is not None else {}))
    upgrade = upgrade_mode(instance, options, prog)
    # the ISV's texts in the user's language (wizard.texts; English where none is given)
    version = instance.newest_version if upgrade else instance.version
    definition_key = instance.newest_definition_key if upgrade else instance.definition_key
    definition = in_language(definition_key, instance.newest_definition if upgrade else instance.definition)
    ctx = WizardContext(iid=iid, sid=session.sid, user_id=bound["user_id"],
                        external_user_id=bound.get("external_user_id"), options=options, instance=instance,
                        definition=definition, version=version, mode="upgrade" if upgrade else "edit", progress=prog,
                        row=held, definition_key=definition_key)
    if not prog.started:
        restart(ctx)
    elif not prog.finished and (prog.mode != ctx.mode or prog.version != version):
        carry_over(ctx)
    ctx.build_engine()
    return ctx


def _fresh(ctx: WizardContext) -> progress_store.Progress:
    """Progress from the instance's values, as a first visit makes it; in upgrade mode with the
    slots the newer version asks for (wizard.solutions.versions.needing_input)."""
    config, auth = ctx.instance.config_values, ctx.instance.auth_values
    asked = None
    if ctx.mode == "upgrade":
        asked = versions.needing_input(_definition_of(ctx, ctx.instance.version), ctx.definition, config, auth,
                                       lacking_scopes=ctx.lacking_scopes)
        config, auth = carry_values(ctx.definition, config, auth)
    progress = progress_store.begin(ctx.instance, ctx.definition, mode=ctx.mode, version=ctx.version,
                                    config=config, auth=auth)
    progress.asked = asked
    return progress


def restart(ctx: WizardContext) -> None:
    """New progress from the instance's values (first visit, or after a finish)."""
    ctx.progress = _fresh(ctx)
    progress_store.save(ctx.progress, ctx.definition)


def in_language(key: str | None, definition: dict | None) -> dict | None:
    """A definition with the ISV's texts in the user's language (wizard.texts; English where none
    is given). Definitions that are compared (upgrades, carrying answers over) must both be in it,
    or a title given per language would count as changed. With the definition's name `key`
    (InstanceData.definition_key) it is made once per (definition, language) and kept (flow.cache):
    callers must not change it."""
    if not definition:
        return definition
    lang = i18n.language()
    if key is None:
        return localize_definition(definition, lang, i18n.localize)
    return cache.kept().get(("definition", key, lang), lambda: localize_definition(definition, lang, i18n.localize))


def _definition_of(ctx: WizardContext, number: int | None) -> dict | None:
    """The definition of a version of the instance's solution, in the user's language: the
    running or newest one from the instance, any other from this database (None for a front end
    of a remote core)."""
    if number == ctx.instance.version:
        return in_language(ctx.instance.definition_key, ctx.instance.definition)
    if number == ctx.instance.newest_version:
        return in_language(ctx.instance.newest_definition_key, ctx.instance.newest_definition)
    try:
        return in_language(None, get_core().version_definition(ctx.instance.solution_id, number))
    except NotFound:
        return None


def carry_over(ctx: WizardContext) -> None:
    """A version was published (or the instance moved to one) while the user was in the wizard:
    keep what they entered (wizard.flow.carry) instead of starting again."""
    old = ctx.progress
    ctx.progress = carry_store.carry(old, _fresh(ctx), _definition_of(ctx, old.version), ctx.definition)
    progress_store.save(ctx.progress, ctx.definition)


def validation_timeout_ms() -> int:
    """How long the script waits for tray.configPopup.client.validation (config.py)."""
    return int(current_app.config["WIZARD_VALIDATION_TIMEOUT_MS"])


_IID, _SID = "wizardiidslot", "wizardsidslot"  # placeholders: letters only, which url_for leaves as they are


_SAFE = "!$&'()*+,/:;=@"  # as werkzeug's converters quote a path segment
_PLAIN = re.compile(r"[A-Za-z0-9_.~-]*")  # what quoting leaves as it is (ids and session references are)


def _quoted(value: str) -> str:
    return value if _PLAIN.fullmatch(value) else quote(value, safe=_SAFE)
