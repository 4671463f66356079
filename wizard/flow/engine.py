"""The wizard engine: which screens exist, which are active, and what a screen's values are worth.

Plain Python (no Flask, no database), in the manner of django-formtools' WizardView:

- The steps are the definition's screens, in order. Which of them are *active* is worked out on
  every call from the current values and the options (`show`, upgrade mode, showIf), never
  stored, so a value changed on screen 2 can switch screen 4 on or off at once.
- `next`, `prev`, `count` and `first_unfinished` follow from the active list.
- The posted "current screen" field must match the screen of the URL (`check_current`): a
  mismatch is a 400, not a guess.
- Every value goes through `wizard.solutions.values` (one implementation of the type rules for
  the API, the core and the wizard). Before finishing, every active screen is validated again
  (`validate_all`) and the user is sent back to the first one that no longer holds.

The engine receives what it cannot know as plain callables: `load_options(spec)` for dynamic
options, `check_auth(slot_id, auth_id)` for an account choice and `check_scopes(slot, auth_id)`
for an account that an upgrade asks to allow more.

Upgrade mode (`upgrade_from`: the definition the instance runs) asks only for the slots the newer
version needs (wizard.solutions.versions.needing_input, kept in the store as `asked`); the others
stay as they are, listed on the review (`staying`), and a screen of them takes part again when
the user chooses to change it (`edit`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

from .. import slot_types
from ..texts import T, message
from ..solutions import all_slots
from ..solutions import versions
from ..solutions.values import (
    SlotValueError, check_value, drop_unshown, effective_values, is_empty, is_shown,
)


class BadScreen(Exception):
    """The posted current-screen field does not match the URL's screen (a 400)."""


class NeedsAuth(Exception):
    """Dynamic options need an account that is not chosen yet (`slot` is the auth slot)."""

    def __init__(self, slot: dict):
        super().__init__(T("Connect %(account)s first.", account=slot["title"]))
        self.slot = slot


class OptionsError(Exception):
    """Dynamic options could not be loaded right now: the service did not answer, or (code
    "needs_reconnect") the account has to be connected again."""

    def __init__(self, message: str = "not available", code: str = "options_unavailable"):
        super().__init__(message)
        self.code = code


@dataclass
class Options:
    """The entry's query parameters, parsed once (docs/api.md, "The wizard URL")."""

    custom_validation: bool = False
    start: int | None = None
    show: list[int] | None = None
    skip_title: bool = False
    lang: str | None = None
    upgrade: bool | None = None  # None: the default (upgrade when the new version needs input)

    @classmethod
    def from_args(cls, args) -> "Options":
        """Parse request args (any mapping of str -> str). Malformed values are ignored rather than
        refused: the ISV page built the URL and the user can still configure."""
        def flag(name):
            v = args.get(name)
            return None if v is None else str(v).lower() in ("1", "true", "yes")

        start = None
        try:
            start = int(args.get("start")) if args.get("start") not in (None, "") else None
        except (TypeError, ValueError):
            pass
        show = None
        raw = args.get("show")
        if raw:
            try:
                parsed = json.loads(raw)
                if isinstance(parsed, int) and not isinstance(parsed, bool):
                    parsed = [parsed]
                if isinstance(parsed, list) and all(isinstance(n, int) and not isinstance(n, bool) for n in parsed):
                    show = sorted(set(parsed))
            except (ValueError, RecursionError):
                # also accept show=1,2
                try:
                    show = sorted({int(p) for p in str(raw).strip("[]").split(",") if p.strip()})
                except ValueError:
                    show = None
        lang = (args.get("lang") or "").strip()[:20] or None
        return cls(custom_validation=bool(flag("customValidation")), start=start, show=show or None,
                   skip_title=bool(flag("skipTitleField")), lang=lang, upgrade=flag("upgrade"))

    def to_dict(self) -> dict:
        return {"custom_validation": self.custom_validation, "start": self.start, "show": self.show,
                "skip_title": self.skip_title, "lang": self.lang, "upgrade": self.upgrade}

    @classmethod
    def from_dict(cls, data: dict | None) -> "Options":
        data = data or {}
        return cls(**{k: data.get(k) for k in cls().to_dict()}) if data else cls()

    def query(self) -> dict:
        """Back to query parameters (for URLs that keep them)."""
        out = {}
        if self.custom_validation:
            out["customValidation"] = "true"
        if self.start:
            out["start"] = str(self.start)
        if self.show:
            out["show"] = json.dumps(self.show, separators=(",", ":"))
        if self.skip_title:
            out["skipTitleField"] = "true"
        if self.lang:
            out["lang"] = self.lang
        if self.upgrade is not None:
            out["upgrade"] = "true" if self.upgrade else "false"
        return out


@dataclass
class Screen:
    """One screen of the definition. `number` is 1-based in the definition (the numbers of
    `show=[n,m]` and `start=n`); slots are the slot dicts, auth and config."""

    number: int
    title: str
    description: str
    slots: list[dict]

    @property
    def slot_ids(self) -> list[str]:
        return [s["externalId"] for s in self.slots]


@dataclass
class ScreenResult:
    """What `validate_screen` found: the values to keep and the errors by externalId."""

    config: dict = field(default_factory=dict)
    auth: dict = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    appeared: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.appeared


def _keep(memo: dict, key, value):
    """`value` kept in an engine's memo under `key`, bounded (a request sees a few sets of values)."""
    if len(memo) >= 32:
        memo.clear()
    memo[key] = value
    return value


def _hashable(value):
    """A config value as part of a key: a list (a multiselect's) as a tuple, marked as a list."""
    return (list, tuple(value)) if isinstance(value, list) else value


class State:
    """The smallest store the engine works with: values and finished screens, in memory. The
    wizard's own store is the saved progress (wizard.flow.progress.Progress), which has these
    attributes and more."""

    def __init__(self, config: dict | None = None, auth: dict | None = None, done: list[int] | None = None):
        self.config = dict(config or {})
        self.auth = dict(auth or {})
        self.done = list(done or [])
        self.asked: dict | None = None  # upgrade mode: slot -> why it is asked (versions.needing_input)
        self.editing: list[int] = []     # upgrade mode: screens the user opened to change anyway


@dataclass(frozen=True)
class Layout:
    """What the engine reads from a definition alone: its slots by externalId, its screens, and
    the config slots a showIf names (which slots are shown depends on their values alone). The
    same for every request of a definition, so a caller may make it once and keep it with the
    definition (flow.context does); nothing changes it."""

    slots: dict
    config_by_id: dict
    screens: tuple
    deciding: tuple
    secret_ids: frozenset  # the secret slots (slot_types.secret_ids)

    @classmethod
    def of(cls, definition: dict) -> "Layout":
        slots = all_slots(definition)
        return cls(slots=slots, config_by_id={s["externalId"]: s for s in definition["config"]},
                   screens=tuple(Screen(n, s["title"], s.get("description", ""), [slots[i] for i in s["slots"] if i in slots])
                                 for n, s in enumerate(definition["screens"], 1)),
                   deciding=tuple(sorted({other for s in definition["config"] for other in (s.get("showIf") or {})})),
                   secret_ids=frozenset(slot_types.secret_ids(definition)))


class WizardEngine:
    """The screens of one instance's definition and the rules between them.

    The values known so far and the screens already submitted live in `store` (the saved
    progress, in the manner of formtools' storage): the engine reads them there on every call and
    `merge` writes accepted values there, so there is one owner and nothing to copy back.
    `config=`, `auth=`, `done=` build an in-memory store instead (tests, tools). `layout`: the
    definition's `Layout` when the caller keeps one (it is made here otherwise).
    """

    def __init__(self, definition: dict, *, store=None, config: dict | None = None, auth: dict | None = None,
                 done: list[int] | None = None, options: Options | None = None, upgrade_from: dict | None = None,
                 load_options: Callable[[dict, dict], list] | None = None,
                 check_auth: Callable[[str, str], str | None] | None = None,
                 check_scopes: Callable[[dict, str], str | None] | None = None, layout: "Layout | None" = None):
        self.definition = definition
        self.store = store if store is not None else State(config, auth, done)
        self.options = options or Options()
        self.upgrade_from = upgrade_from
        self._load_options = load_options
        self._check_auth = check_auth
        self._check_scopes = check_scopes
        layout = layout or Layout.of(definition)
        self.slots, self.config_by_id = layout.slots, layout.config_by_id
        self._screens, self._deciding = layout.screens, layout.deciding
        self.secret_ids = layout.secret_ids
        self._shown: dict = {}  # those values -> the shown slots of every screen (`shown_slots`)
        self._active: dict = {}  # those values and the screens opened to change -> `active()`
        if upgrade_from is not None and self.store.asked is None:
            self.store.asked = versions.needing_input(upgrade_from, definition, self.config, self.auth)
        self._upgrade_ids = set(self.store.asked) if upgrade_from is not None else None

    @property
    def config(self) -> dict:
        """The config values known so far (the store's)."""
        return self.store.config

    @property
    def auth(self) -> dict:
        """The chosen accounts by auth slot (the store's)."""
        return self.store.auth

    @property
    def done(self) -> list[int]:
        """The numbers of the screens submitted so far (the store's)."""
        return self.store.done

    # -- steps ---------------------------------------------------------------------------------

    def screens(self) -> tuple[Screen, ...]:
        """Every screen of the definition, active or not (the layout's: callers must not change them)."""
        return self._screens

    def shown_slots(self, screen: Screen, config: dict | None = None) -> list[dict]:
        """The slots of a screen that the values (default: the known ones) show: not `hidden`,
        showIf holding. In upgrade mode some of them are not asked (`asks`).
        A request asks this of every screen several times (the active list, the page, Next) with
        the same values: the answer for all screens is worked out once per values of the slots
        that conditions name (`_deciding`) and kept for the engine's life (one request)."""
        values = self.config if config is None else config
        key = self._values_key(values)
        if key is None:  # a value that cannot be a key (a mapping's rows): worked out each time
            return self._shown_now(values)[screen.number - 1]
        shown = self._shown.get(key)
        if shown is None:
            shown = _keep(self._shown, key, self._shown_now(values))
        return list(shown[screen.number - 1])

    def _values_key(self, values: dict) -> tuple | None:
        """The values of the slots conditions name (`_deciding`), as a key; None when one cannot be."""
        key = tuple(_hashable(values.get(k)) for k in self._deciding)
        try:
            hash(key)
        except TypeError:
            return None
        return key

    def _shown_now(self, values: dict) -> list[list[dict]]:
        """The shown slots of every screen (by position) for `values`."""
        eff = effective_values(self.definition, values)
        return [[slot for slot in screen.slots if not slot.get("hidden")
                 and (slot["kind"] != "config" or is_shown(slot, eff, self.config_by_id))]
                for screen in self._screens]

    def asks(self, screen: Screen, slot: dict) -> bool:
        """True when the user is asked for `slot` on `screen`: always, except in upgrade mode,
        where only the slots the newer version needs are, and every slot of a screen the user
        chose to change anyway (`edit`)."""
        return (self._upgrade_ids is None or slot["externalId"] in self._upgrade_ids
                or screen.number in self.store.editing)

    def visible_slots(self, screen: Screen, config: dict | None = None) -> list[dict]:
        """Hook: called for every screen on every request. Returns the slots the user sees with
        the given values (default: the known ones): shown (`shown_slots`) and asked (`asks`)."""
        return [s for s in self.shown_slots(screen, config) if self.asks(screen, s)]

    def condition(self, screen: Screen) -> bool:
        """Hook (formtools' condition_dict): called for every screen on every request; True when
        the screen takes part. A screen with no visible slot is skipped; `show=[n,m]` restricts
        the screens; upgrade mode keeps only screens with slots the new version needs (or that
        the user opened to change)."""
        if self.options.show and screen.number not in self.options.show:
            return False
        return bool(self.visible_slots(screen))

    def active(self) -> list[Screen]:
        """The active screens, in order; worked out from the values, never stored in the progress.
        Kept for the engine's life (one request) per the values conditions read and the screens
        opened to change (what `condition` depends on besides the engine's fixed options)."""
        key = self._values_key(self.config)
        if key is None:
            return [s for s in self._screens if self.condition(s)]
        key = (key, tuple(self.store.editing))
        found = self._active.get(key)
        if found is None:
            found = _keep(self._active, key, [s for s in self._screens if self.condition(s)])
        return list(found)

    @property
    def count(self) -> int:
        return len(self.active())

    def get(self, number: int) -> Screen | None:
        """The active screen with this number, or None."""
        return next((s for s in self.active() if s.number == number), None)

    def next(self, screen: Screen, active: list[Screen] | None = None) -> Screen | None:
        """The active screen after `screen` (None on the last: the review comes next). `active`:
        the active screens when the caller has them already (a page worked them out once)."""
        return next((s for s in self._given(active) if s.number > screen.number), None)

    def prev(self, screen: Screen, active: list[Screen] | None = None) -> Screen | None:
        before = [s for s in self._given(active) if s.number < screen.number]
        return before[-1] if before else None

    def position(self, screen: Screen, active: list[Screen] | None = None) -> int:
        """1-based position among the active screens (for "Step 2 of 3")."""
        return [s.number for s in self._given(active)].index(screen.number) + 1

    def _given(self, active: list[Screen] | None) -> list[Screen]:
        """The active screens the caller worked out already, else worked out now."""
        return self.active() if active is None else active

    def first_unfinished(self) -> Screen | None:
        """The first active screen not submitted yet; None when all are done (go to review)."""
        return next((s for s in self.active() if s.number not in self.done), None)

    def entry(self) -> Screen | None:
        """Hook: called when the wizard opens. `start=n` opens at screen n (or the next active
        one after it); otherwise the first unfinished screen; None means the review."""
        active = self.active()
        if self.options.start:
            at = next((s for s in active if s.number >= self.options.start), None)
            if at is not None:
                return at
        return self.first_unfinished()

    def check_current(self, posted: str | None, screen: Screen) -> None:
        """Called on every POST of a screen: the hidden current-screen field must name the URL's
        screen. Raises BadScreen otherwise (the view answers 400)."""
        if str(posted or "") != str(screen.number):
            raise BadScreen(f"posted for screen {posted!r}, not {screen.number}")

    def shows_name_field(self, screen: Screen) -> bool:
        """The optional instance-name field sits on the first active screen unless
        skipTitleField=true (and never in upgrade mode: the instance is named already)."""
        if self.options.skip_title or self._upgrade_ids is not None:
            return False
        active = self.active()
        return bool(active) and active[0].number == screen.number

    # -- upgrade mode --------------------------------------------------------------------------

    def in_upgrade(self) -> bool:
        return self._upgrade_ids is not None

    def upgrade_reason(self, slot_id: str) -> str | None:
        """Why upgrade mode asks for a slot (versions.ADDED, CHANGED, REQUIRED, RECONNECT), or None."""
        return (self.store.asked or {}).get(slot_id) if self._upgrade_ids is not None else None

    def staying(self) -> list[tuple[Screen, list[dict]]]:
        """Upgrade mode: per screen, the shown slots that are not asked and keep their values
        (the review lists them, each screen with an Edit link)."""
        if self._upgrade_ids is None:
            return []
        out = []
        for screen in self.screens():
            if self.options.show and screen.number not in self.options.show:
                continue
            kept = [s for s in self.shown_slots(screen) if not self.asks(screen, s)]
            if kept:
                out.append((screen, kept))
        return out

    def edit(self, number: int) -> Screen | None:
        """Upgrade mode: the user chose to change a screen that stays as it is; it takes part
        from now on, with all its slots. Returns it, or None when there is no such screen."""
        screen = next((s for s in self.screens() if s.number == number), None)
        if screen is None or (self.options.show and number not in self.options.show):
            return None
        if self._upgrade_ids is not None and number not in self.store.editing:
            self.store.editing = sorted({*self.store.editing, number})
            self.store.done = [d for d in self.store.done if d != number]
        return screen

    def reopen(self, slot_ids) -> None:
        """Upgrade mode: the screens holding any of these slots while they stay as they are take
        part again (`edit`), e.g. when the ISV's validation or the core refused one of them, so
        that its message is shown on its field."""
        named = set(slot_ids)
        for screen in self.screens():
            if any(s["externalId"] in named and not self.asks(screen, s) for s in self.shown_slots(screen)):
                self.edit(screen.number)

    # -- values --------------------------------------------------------------------------------

    def options_for(self, spec) -> list[dict]:
        """Static options as they are; dynamic ones ({source, auth}) through `load_options`.
        Raises NeedsAuth when the account they need is not chosen, OptionsError when the
        service does not answer."""
        if isinstance(spec, list):
            return spec
        if not isinstance(spec, dict):
            return []
        auth_slot = self.slots.get(spec.get("auth"))
        auth_id = self.auth.get(spec.get("auth"))
        if not auth_id:
            raise NeedsAuth(auth_slot or {"title": spec.get("auth"), "externalId": spec.get("auth")})
        if self._load_options is None:
            raise OptionsError("dynamic options are not available")
        return self._load_options(spec, {"auth_id": auth_id})

    def _with_fetched_options(self, slot: dict) -> dict:
        """The slot with dynamic options replaced by the fetched lists, so that check_value can
        check a submitted choice against them (the one rule for choices)."""
        stype = slot_types.get(slot["type"])
        fetched = {side: self.options_for(spec) for side, spec in stype.option_specs(slot).items()
                   if isinstance(spec, dict)}
        return stype.with_options(slot, fetched) if fetched else slot

    def validate_screen(self, screen: Screen, config: dict, auth: dict, *, keep_secret: set[str] = frozenset(),
                        rendered: list[str] | None = None, strict_options: bool = True) -> ScreenResult:
        """Hook: called when a screen is posted (Next) and again for every active screen before
        finishing. `config` / `auth` are this screen's converted values (None = empty); the
        result holds the values to store (slots hidden by their condition dropped) and the
        errors by externalId. `keep_secret` names secret slots left empty that keep a saved
        value. `rendered` (the slots the page showed) lets a slot that has just appeared be
        shown before moving on. With `strict_options=False` dynamic choices that cannot be
        fetched right now are not held against the user (they were checked when entered)."""
        result = ScreenResult()
        merged = {k: v for k, v in {**self.config, **config}.items() if v is not None}
        visible_ids = {s["externalId"] for s in self.shown_slots(screen, merged)}
        for slot in screen.slots:
            slot_id = slot["externalId"]
            if not self.asks(screen, slot):
                continue  # upgrade mode: it stays as it is
            if slot["kind"] == "auth":
                self._check_auth_slot(slot, auth, result)
            elif slot_id in visible_ids:
                value = config.get(slot_id)
                if rendered is not None and slot_id not in rendered and is_empty(value):
                    result.appeared.append(slot_id)
                self._check_config_slot(slot, value, result, keep_secret=keep_secret, strict_options=strict_options)
            elif not slot.get("hidden"):
                result.config[slot_id] = None  # hidden by its condition: keeps no stale value
        return result

    def _check_config_slot(self, slot: dict, value, result: ScreenResult, *, keep_secret, strict_options) -> None:
        """One shown config slot of a posted screen: required, the fetched choices, the value rules."""
        slot_id = slot["externalId"]
        if is_empty(value):
            if slot_types.get(slot["type"]).secret and slot_id in keep_secret:
                return  # the saved secret stays
            result.config[slot_id] = None
            if slot["required"] and "default" not in slot:
                result.errors[slot_id] = T("%(title)s is required.", title=slot["title"])
            return
        result.config[slot_id] = value  # kept as typed unless it passes
        try:
            checked_slot = self._with_fetched_options(slot)
        except NeedsAuth as exc:
            result.errors[slot_id] = T("Connect %(account)s first.", account=exc.slot["title"])
            return
        except OptionsError:
            if strict_options:
                result.errors[slot_id] = T("The choices could not be loaded. Try again.")
            return
        try:
            result.config[slot_id] = check_value(checked_slot, value, dynamic_ok=False)
        except SlotValueError as exc:
            result.errors[slot_id] = message(exc)

    def _check_auth_slot(self, slot: dict, auth: dict, result: ScreenResult) -> None:
        """One auth slot of a posted screen: a choice when required, an account that may be used."""
        slot_id = slot["externalId"]
        chosen = auth.get(slot_id)
        if not chosen:
            result.auth[slot_id] = None
            if slot["required"]:
                result.errors[slot_id] = T("Choose or connect %(account)s.", account=slot["title"])
            return
        problem = self._check_auth(slot_id, chosen) if self._check_auth else None
        if not problem and self._check_scopes and self.upgrade_reason(slot_id) == versions.RECONNECT:
            problem = self._check_scopes(slot, chosen)  # the account must now allow more
        if problem:
            result.errors[slot_id] = problem
        result.auth[slot_id] = None if problem else chosen

    def merge(self, result: ScreenResult) -> None:
        """Hook: called when a screen's values are accepted. Writes them into the store, then
        drops values of slots that the new values hide (on any screen)."""
        config, auth = self.store.config, self.store.auth
        for k, v in result.config.items():
            if v is None:
                config.pop(k, None)
            else:
                config[k] = v
        for k, v in result.auth.items():
            if v is None:
                auth.pop(k, None)
            else:
                auth[k] = v
        kept = drop_unshown(self.definition, config)
        for k in set(config) - set(kept):
            del config[k]

    def stored_values(self, screen: Screen) -> tuple[dict, dict]:
        """The known values of a screen's slots, as `validate_screen` takes them."""
        config = {s["externalId"]: self.config.get(s["externalId"]) for s in screen.slots if s["kind"] == "config"}
        auth = {s["externalId"]: self.auth.get(s["externalId"]) for s in screen.slots if s["kind"] == "auth"}
        return config, auth

    def validate_all(self, *, secrets_saved: set[str] = frozenset()) -> tuple[Screen | None, dict[str, str]]:
        """Hook (formtools' render_done): called on Finish. Validates every active screen again
        from the stored values; returns the first screen that fails and its errors, or
        (None, {}) when everything holds."""
        for screen in self.active():
            config, auth = self.stored_values(screen)
            result = self.validate_screen(screen, config, auth, keep_secret=secrets_saved, strict_options=False)
            if result.errors:
                return screen, result.errors
        return None, {}

    def final_values(self) -> tuple[dict, dict]:
        """The config and auth values to hand to the core on finish: every slot the user could
        set, with None removing a value the user cleared or a condition hid. Hidden slots are
        left alone (their values come from defaults or the ISV)."""
        config = {}
        for slot in self.definition["config"]:
            slot_id = slot["externalId"]
            if slot.get("hidden"):
                continue
            if slot_types.get(slot["type"]).secret and slot_id not in self.config:
                continue  # no new secret typed: keep the saved one
            config[slot_id] = self.config.get(slot_id)
        eff = effective_values(self.definition, {k: v for k, v in config.items() if v is not None})
        for slot_id, v in list(config.items()):
            if v is not None and not is_shown(self.config_by_id[slot_id], eff, self.config_by_id):
                config[slot_id] = None
        auth = {s["externalId"]: self.auth.get(s["externalId"]) for s in self.definition["auth"]}
        return config, auth
