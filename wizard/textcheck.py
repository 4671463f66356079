"""The one boundary where text and numbers from outside are checked, before the rules or the
database see them: API bodies and arguments, wizard forms and URLs, solution definitions.

What it refuses, and why:
- lone surrogates ("\\ud800"): not encodable as UTF-8, so a page or a PostgreSQL column holding
  one fails on every later read;
- NUL characters: PostgreSQL text cannot hold them;
- integers of more than MAX_INT_DIGITS digits and non-finite floats (NaN, Infinity): Python
  refuses to print integers past 4,300 digits, `math.isfinite` cannot take huge ones, and JSON
  has no NaN (PostgreSQL refuses it);
- nesting deeper than MAX_DEPTH;
- text longer than its column (checked at flush by wizard.dbsafety, with `check_length`).

Callers get `InputError`, a message that names the field and never echoes the value.
"""
from __future__ import annotations

import json
import math
import re
from datetime import date

from .texts import T

MAX_INT_DIGITS = 30
MAX_NUMBER_LITERAL = 64  # characters of one JSON number literal
MAX_DEPTH = 64
_SURROGATE = re.compile("[\ud800-\udfff]")
# Form keys and wizard actions encode row numbers: at most this many ASCII digits.
ROW_INDEX = re.compile(r"[0-9]{1,4}")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class InputError(ValueError):
    """Input refused at the boundary. `field` names where it was (e.g. `input.name`)."""

    def __init__(self, field: str, problem: str):
        self.field = field
        self.problem = problem
        super().__init__(T("%(field)s: %(problem)s", field=field, problem=problem) if field else problem)


class NotJSON(InputError):
    """The text is not JSON at all (as opposed to JSON whose content is refused)."""


def text_problem(value: str) -> str | None:
    """Why this text cannot be taken, or None."""
    if "\x00" in value:
        return T("must not contain NUL characters")
    if _SURROGATE.search(value):
        return T("must be valid Unicode text (it contains a lone surrogate)")
    return None


def check_text(value: str, field: str, *, max_length: int | None = None) -> str:
    problem = text_problem(value)
    if problem:
        raise InputError(field, problem)
    check_length(value, field, max_length)
    return value


def check_length(value: str, field: str, max_length: int | None) -> None:
    if max_length is not None and len(value) > max_length:
        raise InputError(field, T("must be at most %(max)s characters (got %(length)s)", max=max_length, length=len(value)))


def number_problem(value) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        # bit_length first: str() of a 5,000-digit int raises before we could count its digits
        if value.bit_length() > MAX_INT_DIGITS * 4 or len(str(abs(value))) > MAX_INT_DIGITS:
            return T("numbers may have at most %(max)s digits", max=MAX_INT_DIGITS)
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number (not NaN or Infinity)"
    return None


def check_data(value, field: str = "", _depth: int = 0):
    """Walk a JSON-like value (dicts, lists, str, numbers, bools, None); return it unchanged or
    raise InputError naming the path of the first bad part."""
    if _depth > MAX_DEPTH:
        raise InputError(field, T("is nested too deeply (more than %(max)s levels)", max=MAX_DEPTH))
    if isinstance(value, str):
        return check_text(value, field)
    if isinstance(value, (int, float)):
        problem = number_problem(value)
        if problem:
            raise InputError(field, problem)
        return value
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, str):
                check_text(k, _join(field, "<key>"))
            check_data(v, _join(field, k), _depth + 1)
        return value
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            check_data(v, _join(field, i), _depth + 1)
        return value
    return value


def _join(field: str, part) -> str:
    part = str(part) if not isinstance(part, str) or not text_problem(part) else "?"
    if len(part) > 60:
        part = part[:57] + "..."
    return f"{field}.{part}" if field else part


def _refuse_constant(name: str):
    raise NotJSON("", f"{name} is not a JSON number")


def _parse_int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INT_DIGITS:
        raise InputError("", T("numbers may have at most %(max)s digits", max=MAX_INT_DIGITS))
    return int(literal)


def _parse_float(literal: str) -> float:
    if len(literal) > MAX_NUMBER_LITERAL:
        raise InputError("", T("a number may be at most %(max)s characters long", max=MAX_NUMBER_LITERAL))
    value = float(literal)
    if not math.isfinite(value):
        raise InputError("", T("numbers must be finite (1e999 is not)"))
    return value


def loads(text: str | bytes, field: str = ""):
    """json.loads with limits: no NaN/Infinity, bounded number literals and depth, and no NUL or
    lone surrogate in any string. Raises NotJSON for text that is not JSON (NaN included), and
    InputError for JSON whose content is refused."""
    try:
        value = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_refuse_constant)
    except InputError as exc:
        raise type(exc)(field, exc.problem) from None
    except json.JSONDecodeError as exc:
        raise NotJSON(field, f"is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except (ValueError, TypeError):  # undecodable bytes, not text at all
        raise NotJSON(field, "is not valid JSON text") from None
    except RecursionError:
        raise InputError(field, T("is nested too deeply")) from None
    return check_data(value, field)


def strict_date(value) -> bool:
    """True for an ISO calendar date YYYY-MM-DD and nothing else (Python's fromisoformat also
    takes 20260101, week dates 2026-W01-1 and, with `\\d`, non-ASCII digits)."""
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def form_problem(key: str, values: list[str]) -> str | None:
    """Why one submitted form or query field cannot be taken: NUL or lone surrogates anywhere,
    or a row number (the digits between dashes of a key, e.g. `map-3-lhs`, and between colons of
    the wizard's `remove_row:<slot>:<n>`) that is not 1 to 4 ASCII digits."""
    for text in [key, *values]:
        problem = text_problem(text)
        if problem:
            return problem
    numbered = key.split("-")
    if key == "wizard_action":
        numbered += [part for v in values for part in v.split(":")]
    for part in numbered:
        if part.isdigit() and not ROW_INDEX.fullmatch(part):
            return "has a row number that is not a small number"
    return None
