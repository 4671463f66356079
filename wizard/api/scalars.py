"""Tray's custom scalars: `Json` (JSON text carried in a GraphQL string) and `DateTime`.

`Json` input is decoded where the slot is known (values.decode_json), not here: a string that is
not JSON text is the string itself only for string-like slots, and a value that does not fit is
a BAD_USER_INPUT naming the slot, which a scalar parser could only answer as a validation error
of the whole document. So the parser keeps what arrived as it is: a string (JSON text or a bare
string) or any other JSON value (a variable holding 7, true or {...}).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from ariadne import ScalarType

json_scalar = ScalarType("Json")
datetime_scalar = ScalarType("DateTime")


@json_scalar.serializer
def serialize_json(value) -> str:
    """Output is always JSON text."""
    return json.dumps(value)


@json_scalar.value_parser
def parse_json(value):
    return value


def iso_utc(value: datetime | None) -> str | None:
    """2026-11-25T21:11:09.456000Z: ISO 8601 in UTC, as Tray writes it."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


@datetime_scalar.serializer
def serialize_datetime(value) -> str:
    return iso_utc(value) if isinstance(value, datetime) else str(value)


@datetime_scalar.value_parser
def parse_datetime(value) -> datetime:
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


bindables = [json_scalar, datetime_scalar]
