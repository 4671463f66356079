"""Solution definitions (docs/solution-format.md): parse YAML or JSON, validate, normalise.

`parse_definition(text)` returns the normalised definition:

    {"id", "title", "description", "autoEnable",
     "tags":    [tag, ...]                  # for the ISV's marketplace (viewer.solutions criteria)
     "customFields": {key: string, ...}     # free key -> string pairs (Solution.customFields)
     "auth":    [auth slot, ...],
     "config":  [config slot, ...]           # every config slot, in screen order
     "screens": [{"title", "description", "slots": [externalId, ...]}]}

Errors are collected (not raised one by one) and each names the line and the slot at fault, so an
ISV fixes a definition in one go. Nothing is published unless the whole definition is valid.
"""
from __future__ import annotations

import json
import re

import yaml

from .. import slot_types
from .values import SlotValueError, check_value
from ..slot_types import safe
from ..textcheck import InputError, check_data
from ..texts import T, set_text

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
EXTERNAL_ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
AUTH_KEYS = {"externalId", "service", "title", "scopes", "required", "help"}
TOP_KEYS = {"id", "title", "description", "autoEnable", "tags", "customFields", "auth", "config", "screens",
            "validationUrl", "services"}
MAX_TAGS = 50
MAX_CUSTOM_FIELDS = 50


class DefinitionError(ValueError):
    """An invalid definition; `errors` is a list of messages, each naming a line and a slot."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("invalid solution definition:\n" + "\n".join(f"- {e}" for e in errors))


def _line_map(text: str) -> dict[tuple, int]:
    """Map each path in the YAML document, e.g. ("screens", 1, "slots", 0), to its 1-based line."""
    lines: dict[tuple, int] = {}

    def walk(node, path):
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, path + (key.value,))
                lines[path + (key.value,)] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, path + (i,))

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if root is not None:
            walk(root, ())
    except (yaml.YAMLError, RecursionError):
        pass  # load_text reports it
    return lines


class _Collector:
    def __init__(self, lines: dict[tuple, int]):
        self.lines = lines
        self.errors: list[str] = []

    def add(self, path: tuple, message: str, slot: str | None = None):
        line = None
        for cut in range(len(path), -1, -1):  # nearest known ancestor
            if path[:cut] in self.lines:
                line = self.lines[path[:cut]]
                break
        where = f"line {line}: " if line else ""
        who = f"slot {slot!r}: " if slot else ""
        self.errors.append(f"{where}{who}{message}")


MAX_DEPTH = 64
# libyaml's parser when present: PyYAML's own scanner is quadratic in the nesting depth.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TOO_DEEP = f"nested too deeply (more than {MAX_DEPTH} levels)"


def _check_shape(text: str) -> None:
    """Refuse, before anything builds the document, what would keep the server busy for
    minutes: aliases (a few lines of nested `*name` expand to billions of nodes) and nesting
    deeper than MAX_DEPTH."""
    depth = 0
    for event in yaml.parse(text, Loader=_FAST_LOADER):
        if isinstance(event, yaml.AliasEvent):
            raise DefinitionError([f"line {event.start_mark.line + 1}: YAML aliases (*{event.anchor}) are not supported"])
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise DefinitionError([f"line {event.start_mark.line + 1}: {_TOO_DEEP}"])
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def load_text(text: str):
    """YAML or JSON text to Python data (JSON is YAML, but JSON errors read better as JSON)."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DefinitionError([f"line {exc.lineno}: invalid JSON: {exc.msg}"]) from None
        except RecursionError:
            raise DefinitionError([f"invalid JSON: {_TOO_DEEP}"]) from None
        except ValueError as exc:  # e.g. an integer of thousands of digits
            raise DefinitionError([f"invalid JSON: {exc}"]) from None
        try:
            _check_shape(text)  # the line map reads it as YAML next
        except yaml.YAMLError:
            pass  # valid JSON that YAML 1.1 reads otherwise: only the line numbers are lost
        return data
    try:
        _check_shape(text)
        return yaml.safe_load(text)
    except DefinitionError:
        raise
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise DefinitionError([f"invalid YAML: {exc}"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise DefinitionError([f"{where}invalid YAML: {getattr(exc, 'problem', exc)}"]) from None


def parse_definition(text: str, known_services: set[str] | None = None) -> dict:
    data = load_text(text)
    try:
        return validate_definition(data, known_services, _line_map(text))
    except RecursionError:  # e.g. a JSON Schema nested hundreds deep
        raise DefinitionError(["the definition is nested too deeply"]) from None


def _config_slot(c: _Collector, path: tuple, raw, auth_ids: set[str]) -> dict | None:
    if not isinstance(raw, dict):
        c.add(path, "a config slot must be a mapping with externalId, title and type")
        return None
    slot_id = raw.get("externalId")
    if not isinstance(slot_id, str) or not EXTERNAL_ID_RE.match(slot_id):
        c.add(path + ("externalId",), f"externalId must be a name like external_channel, not {slot_id!r}")
        return None
    for key in set(raw) - slot_types.slot_keys():
        c.add(path + (key,), f"unknown key {key!r}", slot_id)
    stype = raw.get("type", "string")
    if stype not in slot_types.names():
        c.add(path + ("type",), f"unknown type {stype!r} (one of {', '.join(slot_types.names())})", slot_id)
        return None
    slot = {
        "externalId": slot_id,
        "kind": "config",
        "type": stype,
        "required": bool(raw.get("required", False)),
        "hidden": bool(raw.get("hidden", False)),
    }
    _texts(c, path, raw, slot, {"title": slot_id, "help": "", "placeholder": ""}, slot_id)
    for key in ("minLength", "maxLength"):
        if key in raw:
            if not isinstance(raw[key], int) or isinstance(raw[key], bool) or raw[key] < 0:
                c.add(path + (key,), f"{key} must be a whole number >= 0", slot_id)
            else:
                slot[key] = raw[key]
    for key in ("min", "max"):
        if key in raw:
            if not isinstance(raw[key], (int, float)) or isinstance(raw[key], bool):
                c.add(path + (key,), f"{key} must be a number", slot_id)
            else:
                slot[key] = raw[key]
    if "pattern" in raw:
        try:
            safe.compile_pattern(str(raw["pattern"]))  # runs on RE2, so it must compile there
            slot["pattern"] = str(raw["pattern"])
        except safe.PatternError as exc:
            c.add(path + ("pattern",), f"pattern is not a valid regular expression: {exc}", slot_id)
    slot_types.get(stype).definition(slot_types.DefinitionRules(raw, slot, auth_ids,
                                                      lambda sub, message: c.add(path + sub, message, slot_id)))
    if "showIf" in raw:
        cond = raw["showIf"]
        if not isinstance(cond, dict) or not cond:
            c.add(path + ("showIf",), "showIf must map another slot's externalId to a value or list", slot_id)
        else:
            slot["showIf"] = {k: (v if isinstance(v, list) else [v]) for k, v in cond.items()}
    if "default" in raw and not slot_types.get(stype).secret:
        slot["default"] = raw["default"]
    if slot["hidden"] and slot["required"] and "default" not in raw:
        pass  # allowed: the ISV supplies it (requiresSystemInputToUpdateVersion)
    return slot


def _auth_slot(c: _Collector, path: tuple, raw, known_services) -> dict | None:
    if not isinstance(raw, dict):
        c.add(path, "an auth slot must be a mapping with externalId and service")
        return None
    slot_id = raw.get("externalId")
    if not isinstance(slot_id, str) or not EXTERNAL_ID_RE.match(slot_id):
        c.add(path + ("externalId",), f"externalId must be a name like external_slack_auth, not {slot_id!r}")
        return None
    for key in set(raw) - AUTH_KEYS:
        c.add(path + (key,), f"unknown key {key!r}", slot_id)
    service = raw.get("service")
    if not isinstance(service, str) or not service:
        c.add(path + ("service",), "service is required", slot_id)
        return None
    if known_services is not None and service not in known_services:
        c.add(path + ("service",), f"unknown service {service!r} (known: {', '.join(sorted(known_services))})", slot_id)
    scopes = raw.get("scopes") or []
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        c.add(path + ("scopes",), "scopes must be a list of strings", slot_id)
        scopes = []
    slot = {
        "externalId": slot_id,
        "kind": "auth",
        "service": service,
        "scopes": scopes,
        "required": bool(raw.get("required", True)),
        "hidden": False,
    }
    _texts(c, path, raw, slot, {"title": service, "help": ""}, slot_id)
    return slot


def _texts(c: _Collector, path: tuple, raw: dict, node: dict, defaults: dict, slot_id: str | None = None) -> None:
    """The node's texts, each one string or {language: text} (wizard.texts)."""
    for key, default in defaults.items():
        problem = set_text(node, key, raw.get(key), default)
        if problem:
            c.add(path + (key,), f"{key} {problem}", slot_id)


def _tags(c: _Collector, raw) -> list[str]:
    """tags: a list of short strings, kept in order without repeats."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(t, str) and t.strip() and len(t) <= 100 for t in raw):
        c.add(("tags",), "tags must be a list of non-empty strings of at most 100 characters")
        return []
    if len(raw) > MAX_TAGS:
        c.add(("tags",), f"at most {MAX_TAGS} tags")
        return []
    return list(dict.fromkeys(t.strip() for t in raw))


def _custom_fields(c: _Collector, raw) -> dict[str, str]:
    """customFields: a mapping of keys to strings (numbers and booleans are written as text,
    since Tray's CustomField.value is a string)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or len(raw) > MAX_CUSTOM_FIELDS:
        c.add(("customFields",), f"customFields must be a mapping of at most {MAX_CUSTOM_FIELDS} keys to strings")
        return {}
    out = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not key.strip() or len(key) > 100:
            c.add(("customFields", key), f"customFields key {key!r} must be a string of 1 to 100 characters")
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (str, int, float)) and len(str(value)) <= 2000:
            out[key] = str(value)
        else:
            c.add(("customFields", key), f"customFields.{key} must be a string (at most 2000 characters)")
    return out


# -- services declared beside the solution -------------------------------------------------------

QUALIFIER = ":"  # outside its solution, an own service is named <solution id>:<name>
SERVICE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


def qualified(solution_id: str, name: str) -> str:
    return f"{solution_id}{QUALIFIER}{name}"


class ServiceCatalog:
    """What validating a definition asks of the services, handed in by the caller (the services
    sit above this plain-Python format: wizard.services.authoring.catalog() is the one in use).
    It also answers `in` and iteration with the server's service names."""

    def __contains__(self, name) -> bool:
        raise NotImplementedError

    def __iter__(self):
        raise NotImplementedError

    def own_services(self, solution_id: str, block, add) -> dict:
        """Validate the definition's `services` block, reporting with add(path, message); return
        {name as declared: the service}."""
        raise NotImplementedError

    def check_sources(self, auth: list[dict], config: list[dict], own: dict, add) -> None:
        """Report, with add(slot, path, message), each dynamic options source that cannot work."""
        raise NotImplementedError


def _own_service_names(solution_id: str, block, add) -> dict:
    """Without a catalog: the names the `services` block declares (its shape only)."""
    if block is None:
        return {}
    if not isinstance(block, list):
        add(("services",), "services must be a list of services, in the format of the services file")
        return {}
    names = {}
    for i, raw in enumerate(block):
        name = raw.get("name") if isinstance(raw, dict) else None
        if not isinstance(name, str) or not SERVICE_NAME_RE.match(name):
            add(("services", i), "a service needs a name: lowercase letters, digits, - or _")
        else:
            names[name] = name
    return names


def dynamic_specs(slot: dict) -> list[tuple[tuple, dict]]:
    """(path inside the slot, {source, auth}) of each dynamic options list of a config slot (its
    slot type's `option_specs`)."""
    out = []
    for side, spec in slot_types.get(slot["type"]).option_specs(slot).items():
        if isinstance(spec, dict):
            out.append(((side,) if side == "options" else (side, "options"), spec))
    return out


def _qualify(solution_id: str, own: dict, auth: list[dict], config: list[dict]) -> None:
    """Name the solution's own services by their qualified name in the normalised definition."""
    if not own:
        return
    for slot in auth:
        if slot["service"] in own:
            slot["service"] = qualified(solution_id, slot["service"])
    for slot in config:
        for _, spec in dynamic_specs(slot):
            service_name, _, list_name = spec["source"].partition(".")
            if service_name in own:
                spec["source"] = f"{qualified(solution_id, service_name)}.{list_name}"


def validate_definition(data, known_services=None, lines: dict | None = None) -> dict:
    """`known_services`: a ServiceCatalog (names are checked, and so are the solution's own
    services, the options sources and their scopes), a set of service names, or None (nothing is
    checked against services)."""
    c = _Collector(lines or {})
    try:
        check_data(data)  # the text boundary: NUL, lone surrogates, numbers too long
    except InputError as exc:
        raise DefinitionError([str(exc)]) from None
    if not isinstance(data, dict):
        raise DefinitionError(["the definition must be a mapping (id, title, auth, screens)"])
    for key in set(data) - TOP_KEYS:
        c.add((key,), f"unknown top-level key {key!r}")
    sol_id = data.get("id")
    if not isinstance(sol_id, str) or not ID_RE.match(sol_id) or len(sol_id) > 100:
        c.add(("id",), f"id must match [a-z0-9-] (e.g. slack-alerts), not {sol_id!r}")
    top: dict = {}
    title = data.get("title")
    if not title or (isinstance(title, str) and not title.strip()):
        c.add(("title",), "title is required")
    else:
        _texts(c, (), data, top, {"title": "", "description": ""})

    tags = _tags(c, data.get("tags"))
    custom_fields = _custom_fields(c, data.get("customFields"))
    validation_url = data.get("validationUrl")
    if validation_url is not None and (not isinstance(validation_url, str)
                                       or not re.match(r"^https?://[^\s/?#]+\S*$", validation_url)):
        c.add(("validationUrl",), "validationUrl must be an http(s) URL (the ISV's validation webhook)")

    # The solution's own services (services.md), known to it alone.
    catalog = known_services if isinstance(known_services, ServiceCatalog) else None
    own_of = catalog.own_services if catalog else _own_service_names
    local = own_of(sol_id if isinstance(sol_id, str) else "", data.get("services"),
                   lambda path, message: c.add(path, message))
    known = set(known_services) | set(local) if known_services is not None else None
    auth_raw = data.get("auth") or []
    if not isinstance(auth_raw, list):
        c.add(("auth",), "auth must be a list of auth slots")
        auth_raw = []
    auth = [s for i, r in enumerate(auth_raw) if (s := _auth_slot(c, ("auth", i), r, known))]
    auth_ids = {s["externalId"] for s in auth}

    config: list[dict] = []
    screens: list[dict] = []
    top_config = data.get("config") or []
    if not isinstance(top_config, list):
        c.add(("config",), "config must be a list of config slots")
        top_config = []
    config += [s for i, r in enumerate(top_config) if (s := _config_slot(c, ("config", i), r, auth_ids))]

    screens_raw = data.get("screens")
    if screens_raw is None:
        screens = [{"title": s["title"], "description": "", "slots": [s["externalId"]],
                    **({"i18n": {"title": s["i18n"]["title"]}} if "title" in s.get("i18n", {}) else {})} for s in auth]
        if config:
            screens.append({"description": "", "slots": [s["externalId"] for s in config]})
            set_text(screens[-1], "title", None, T("Settings"))
    elif not isinstance(screens_raw, list):
        c.add(("screens",), "screens must be a list")
    else:
        top_ids = {s["externalId"] for s in config}
        for i, raw in enumerate(screens_raw):
            path = ("screens", i)
            if not isinstance(raw, dict):
                c.add(path, "a screen must be a mapping with title and slots")
                continue
            screen = {"slots": []}
            _texts(c, path, raw, screen, {"title": T("Step %(number)s", number=i + 1), "description": ""})
            slots = raw.get("slots") or []
            if not isinstance(slots, list) or not slots:
                c.add(path + ("slots",), "a screen needs a non-empty list of slots")
                slots = []
            for j, item in enumerate(slots):
                if isinstance(item, str):
                    if item not in auth_ids and item not in top_ids:
                        c.add(path + ("slots", j), f"screen slot {item!r} is neither an auth slot nor a config slot")
                        continue
                    screen["slots"].append(item)
                else:
                    slot = _config_slot(c, path + ("slots", j), item, auth_ids)
                    if slot:
                        slot["_path"] = path + ("slots", j)
                        config.append(slot)
                        screen["slots"].append(slot["externalId"])
            screens.append(screen)

    # Unique ids across auth and config slots.
    seen: dict[str, str] = {}
    for slot in auth + config:
        slot_id = slot["externalId"]
        if slot_id in seen:
            c.add(slot.get("_path", ()), f"externalId {slot_id!r} is used twice", slot_id)
        seen[slot_id] = slot["kind"]
    placed: dict[str, int] = {}
    for n, screen in enumerate(screens):
        for slot_id in screen["slots"]:
            if slot_id in placed:
                c.add(("screens", n), f"slot {slot_id!r} is on more than one screen", slot_id)
            placed[slot_id] = n
    for slot in auth + config:
        if slot["externalId"] not in placed and not slot.get("hidden"):
            c.add(slot.get("_path", ()), "this slot is on no screen", slot["externalId"])

    by_id = {s["externalId"]: s for s in config}
    for slot in config:
        path = slot.get("_path", ())
        for other, values in slot.get("showIf", {}).items():
            if other not in by_id:
                c.add(path + ("showIf",), f"showIf names unknown config slot {other!r}", slot["externalId"])
            elif other == slot["externalId"]:
                c.add(path + ("showIf",), "showIf cannot depend on the slot itself", slot["externalId"])
        if "default" in slot:
            try:
                slot["default"] = check_value(slot, slot["default"], dynamic_ok=True)
            except SlotValueError as exc:
                c.add(path + ("default",), f"default: {exc}", slot["externalId"])
    if catalog:
        catalog.check_sources(auth, config, local, lambda slot, sub, message: c.add(
            slot.get("_path", ()) + sub, message, slot["externalId"]))
    for slot in config:
        slot.pop("_path", None)

    if c.errors:
        raise DefinitionError(c.errors)
    _qualify(sol_id, local, auth, config)
    out = {
        "id": sol_id,
        "title": top["title"].strip(),
        "description": top["description"],
        **({"i18n": top["i18n"]} if "i18n" in top else {}),
        "autoEnable": bool(data.get("autoEnable", True)),
        "tags": tags,
        "customFields": custom_fields,
        **({"validationUrl": validation_url} if validation_url else {}),
        "auth": auth,
        "config": config,
        "screens": screens,
    }
    if data.get("services") is not None:  # as declared: env var names, never a secret
        out["services"] = data["services"]
    return out


def all_slots(definition: dict) -> dict[str, dict]:
    """externalId -> slot, auth and config slots alike."""
    return {s["externalId"]: s for s in definition["auth"] + definition["config"]}
