"""Value validation by slot type: the one implementation the API, the wizard and the core share.

Values are JSON values (str, int/float, bool, list, dict, None). The API receives them as JSON
text (`parse_json_text`); the wizard's forms produce them already decoded.
"""
from __future__ import annotations

import json
import math
import re
from datetime import date
from urllib.parse import urlparse

import jsonschema

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ValueError_(ValueError):
    """A value that does not fit its slot. The message is for people and names no secret."""


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _check_options(slot_title, options, value):
    if isinstance(options, list) and options:
        allowed = [o["value"] for o in options]
        if value not in allowed:
            raise ValueError_(f"{value!r} is not one of the choices for {slot_title}")
    elif isinstance(value, (dict, list)):  # dynamic options are scalars
        raise ValueError_(f"{slot_title} takes a single choice")


def check_value(slot: dict, value, *, dynamic_ok: bool = True):
    """Check `value` against `slot` and return it normalised (e.g. 7.0 -> 7 for integers).

    Dynamic options cannot be checked here (they live at the service): `dynamic_ok` lets any
    scalar through; the wizard checks them against the options it fetched.
    """
    t, title = slot["type"], slot.get("title", slot["externalId"])
    if t in ("string", "text", "secret", "email", "url"):
        if not isinstance(value, str):
            raise ValueError_(f"{title} must be text")
        if "minLength" in slot and len(value) < slot["minLength"]:
            raise ValueError_(f"{title} must be at least {slot['minLength']} characters")
        if "maxLength" in slot and len(value) > slot["maxLength"]:
            raise ValueError_(f"{title} must be at most {slot['maxLength']} characters")
        if "pattern" in slot and not re.fullmatch(slot["pattern"], value):
            raise ValueError_(f"{title} is not in the expected format")
        if t == "email" and not EMAIL_RE.match(value):
            raise ValueError_(f"{title} must be an email address like name@example.com")
        if t == "url":
            parsed = urlparse(value)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise ValueError_(f"{title} must be a web address starting with https://")
        return value
    if t in ("number", "integer"):
        if not _is_number(value):
            raise ValueError_(f"{title} must be a number")
        if t == "integer":
            if isinstance(value, float):
                if not value.is_integer():
                    raise ValueError_(f"{title} must be a whole number")
                value = int(value)
        if "min" in slot and value < slot["min"]:
            raise ValueError_(f"{title} must be at least {slot['min']}")
        if "max" in slot and value > slot["max"]:
            raise ValueError_(f"{title} must be at most {slot['max']}")
        return value
    if t == "boolean":
        if not isinstance(value, bool):
            raise ValueError_(f"{title} must be true or false")
        return value
    if t == "date":
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError
            date.fromisoformat(value)
        except ValueError:
            raise ValueError_(f"{title} must be a date like 2026-01-31") from None
        return value
    if t == "select":
        if value is None or isinstance(value, (dict, list)):
            raise ValueError_(f"{title} takes a single choice")
        _check_options(title, slot.get("options"), value)
        return value
    if t == "multiselect":
        if not isinstance(value, list):
            raise ValueError_(f"{title} must be a list of choices")
        if len({json.dumps(v, sort_keys=True) for v in value}) != len(value):
            raise ValueError_(f"{title} lists a choice twice")
        for v in value:
            _check_options(title, slot.get("options"), v)
        return value
    if t == "json":
        if "schema" in slot:
            try:
                jsonschema.validate(value, slot["schema"])
            except jsonschema.ValidationError as exc:
                where = "/".join(str(p) for p in exc.absolute_path)
                raise ValueError_(f"{title} does not match its schema{' at ' + where if where else ''}: {exc.message}") from None
        return value
    if t == "mapping":
        if not isinstance(value, list):
            raise ValueError_(f"{title} must be a list of rows")
        for i, row in enumerate(value, 1):
            if not isinstance(row, dict) or set(row) != {"lhs", "rhs"}:
                raise ValueError_(f"{title}: row {i} must have exactly lhs and rhs")
            for side in ("lhs", "rhs"):
                if row[side] in (None, "") or isinstance(row[side], (dict, list)):
                    raise ValueError_(f"{title}: row {i} needs a value on both sides")
                _check_options(f"{title} row {i}", (slot.get(side) or {}).get("options"), row[side])
        return value
    raise ValueError_(f"{title} has an unknown type {t!r}")


def parse_json_text(external_id: str, text: str):
    """API values arrive as JSON text (as in Tray): '"#general"', '7', 'true'."""
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError, RecursionError):  # RecursionError: absurdly deep nesting
        raise ValueError_(f"configValues[{external_id}].value must be JSON text, e.g. \"\\\"text\\\"\" or \"7\"") from None


def is_empty(value) -> bool:
    return value is None or value == "" or value == []


def effective_values(definition: dict, values: dict) -> dict:
    """Defaults filled in where there is no value."""
    out = {s["externalId"]: s["default"] for s in definition["config"] if "default" in s}
    out.update({k: v for k, v in values.items() if not is_empty(v)})
    return out


def is_shown(slot: dict, values: dict, by_id: dict, _depth: int = 0) -> bool:
    """A slot is shown while its showIf holds, and the slots it depends on are shown too."""
    cond = slot.get("showIf")
    if not cond:
        return True
    if _depth > len(by_id):  # a cycle never shows
        return False
    for other, allowed in cond.items():
        dep = by_id.get(other)
        if dep is None or not is_shown(dep, values, by_id, _depth + 1):
            return False
        current = values.get(other, dep.get("default"))
        if isinstance(current, list):
            if not any(v in allowed for v in current):
                return False
        elif current not in allowed:
            return False
    return True


def drop_unshown(definition: dict, values: dict) -> dict:
    """A slot hidden by its condition keeps no stale value."""
    by_id = {s["externalId"]: s for s in definition["config"]}
    eff = effective_values(definition, values)
    return {k: v for k, v in values.items() if k not in by_id or is_shown(by_id[k], eff, by_id)}


def validate_config_values(definition: dict, values: dict) -> tuple[dict, dict[str, str]]:
    """Check every given value against its slot. Returns (normalised values, errors by externalId).
    Unknown externalIds are errors too: a typo must not be silently stored."""
    by_id = {s["externalId"]: s for s in definition["config"]}
    out, errors = {}, {}
    for sid, value in values.items():
        slot = by_id.get(sid)
        if slot is None:
            errors[sid] = f"{sid} is not a config slot of this solution"
            continue
        if value is None:
            out[sid] = None
            continue
        try:
            out[sid] = check_value(slot, value)
        except ValueError_ as exc:
            errors[sid] = str(exc)
    return out, errors


def missing_required(definition: dict, config_values: dict, auth_values: dict,
                     hidden: bool | None = None) -> list[str]:
    """Required slots that are shown and have neither a value nor a default.

    `hidden=None` counts every slot; True only hidden ones (values the ISV sets); False only
    visible ones (values the user sets)."""
    by_id = {s["externalId"]: s for s in definition["config"]}
    eff = effective_values(definition, config_values)
    missing = []
    for slot in definition["auth"]:
        if slot["required"] and hidden is not True and not auth_values.get(slot["externalId"]):
            missing.append(slot["externalId"])
    for slot in definition["config"]:
        if not slot["required"] or (hidden is not None and slot["hidden"] != hidden):
            continue
        if is_shown(slot, eff, by_id) and is_empty(eff.get(slot["externalId"])):
            missing.append(slot["externalId"])
    return missing
