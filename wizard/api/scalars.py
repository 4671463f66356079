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
from graphql import GraphQLError, StringValueNode, print_ast

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


class InvalidDateTime(GraphQLError):
    """A DateTime input that is not ISO 8601: BAD_USER_INPUT (the endpoint names the argument)."""

    def __init__(self, value, node=None):
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        super().__init__(f"{shown} is not a date and time in ISO 8601 (e.g. 2026-11-25T21:11:09Z)", node,
                         extensions={"code": "BAD_USER_INPUT", "reason": "invalid_input"})


@datetime_scalar.value_parser
def parse_datetime(value) -> datetime:
    """ISO 8601 text (a time without a zone is UTC); anything else is InvalidDateTime, whether it
    came as a variable or a literal."""
    if not isinstance(value, str):
        raise InvalidDateTime(value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidDateTime(value) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@datetime_scalar.literal_parser
def parse_datetime_literal(node, _variables=None) -> datetime:
    """A DateTime written in the query: as a variable's, with the node (the endpoint names the
    argument from its location)."""
    value = node.value if isinstance(node, StringValueNode) else print_ast(node)
    try:
        return parse_datetime(value)
    except InvalidDateTime:
        raise InvalidDateTime(value, node) from None


bindables = [json_scalar, datetime_scalar]
