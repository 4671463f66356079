"""GraphQL errors of the API: the codes of docs/api.md, how core errors map onto them, and the
formatter that keeps stack traces and exception texts out of every answer.

Codes (extensions.code): UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, INTERNAL_SERVER_ERROR.
BAD_USER_INPUT carries `extensions.reason` (the CoreError code: not_found, invalid_values,
missing_values, invalid_definition, invalid_input) so that machines (RemoteCore) can tell them
apart without parsing messages.
"""
from __future__ import annotations

import functools
import logging

from ariadne import unwrap_graphql_error
from graphql import GraphQLError

from ..core.base import CoreError, Forbidden, InvalidValues, MissingValues
from ..solutions import DefinitionError
from ..solutions.values import SlotValueError

log = logging.getLogger("wizard.api")

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL = "INTERNAL_SERVER_ERROR"
INTERNAL_MESSAGE = "Internal server error. The details are in the server's log."

# Tray's `extensions.name` beside our code: GraphQLError for a document that cannot run (it has
# no code of ours until the endpoint gives it one), PreconditionError for a refused state or
# argument, InternalError for a fault.
NAMES = {UNAUTHENTICATED: "PreconditionError", FORBIDDEN: "PreconditionError",
         BAD_USER_INPUT: "PreconditionError", INTERNAL: "InternalError"}


def error_name(code: str | None) -> str:
    return NAMES.get(code, "GraphQLError")


class ApiError(GraphQLError):
    """An expected error, answered as it is (never logged as a fault)."""

    def __init__(self, message: str, code: str, **extensions):
        super().__init__(message, extensions={"code": code, **extensions})


def bad_input(field: str, message: str, reason: str = "invalid_input", **extensions) -> ApiError:
    return ApiError(f"{field}: {message}", BAD_USER_INPUT, reason=reason, **extensions)


def field_errors(*error_types):
    """A caller of the rules whose refusals (`error_types`, each with `field`, `message` and
    `reason`) are answered as BAD_USER_INPUT naming the field."""

    def call(fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except error_types as exc:
            raise bad_input(exc.field, exc.message, exc.reason) from None

    return call


def from_core_error(exc: CoreError, prefixes: dict[str, str] | None = None) -> ApiError:
    """Map a CoreError to a GraphQL error whose message names the fields.

    `prefixes` maps an externalId to the input list it came in ("configValues" / "authValues"),
    so that `external_threshold: must be at most 10` reads `configValues.external_threshold: ...`.
    """
    prefixes = prefixes or {}
    if isinstance(exc, Forbidden):
        return ApiError(exc.message, FORBIDDEN)
    if isinstance(exc, MissingValues):
        return ApiError(exc.message, BAD_USER_INPUT, reason=exc.code, missing=list(exc.missing),
                        fields=exc.fields)
    if isinstance(exc, InvalidValues) and exc.fields:
        message = "; ".join(f"{_path(prefixes, k)}: {v}" for k, v in exc.fields.items())
        return ApiError(message, BAD_USER_INPUT, reason=exc.code, fields=exc.fields)
    message = exc.message
    named = next(iter(exc.fields), None)
    if named and not any(message.startswith(f) for f in exc.fields):
        message = f"{named}: {message}"  # name the field, e.g. "solutionInstanceId: no solution instance ..."
    return ApiError(message, BAD_USER_INPUT, reason=exc.code if exc.code != "core_error" else "invalid_input",
                    fields=exc.fields)


def _path(prefixes: dict[str, str], external_id: str) -> str:
    prefix = prefixes.get(external_id)
    return f"{prefix}.{external_id}" if prefix else external_id


def from_definition_error(exc: DefinitionError) -> ApiError:
    return ApiError("definition: " + "; ".join(exc.errors), BAD_USER_INPUT, reason="invalid_definition",
                    errors=list(exc.errors))


def maps_errors(fn):
    """Resolver decorator: expected errors of the layers below become BAD_USER_INPUT / FORBIDDEN.
    Anything else propagates to `format_error`, which hides it."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DefinitionError as exc:
            raise from_definition_error(exc) from None
        except SlotValueError as exc:
            raise ApiError(str(exc), BAD_USER_INPUT, reason="invalid_values") from None
        except CoreError as exc:
            raise from_core_error(exc) from None

    return wrapper


def is_unexpected(error: GraphQLError) -> bool:
    """A resolver raised something that is not a GraphQLError: a fault on our side."""
    original = unwrap_graphql_error(error)
    return original is not None and not isinstance(original, GraphQLError)


def format_error(error: GraphQLError, debug: bool = False) -> dict:
    """ariadne's error formatter: expected errors as they are; faults as a generic message with
    no exception text (which may hold values or SQL)."""
    if is_unexpected(error):
        out = {"message": INTERNAL_MESSAGE, "extensions": {"code": INTERNAL, "name": error_name(INTERNAL)}}
        if error.path:
            out["path"] = error.path
        return out
    out = dict(error.formatted)
    extensions = out["extensions"] = dict(out.get("extensions") or {})
    extensions.setdefault("name", error_name(extensions.get("code")))
    return out


class ErrorLog(logging.LoggerAdapter):
    """Given to ariadne, which logs every error of a request at ERROR: faults keep that level and
    their traceback; expected errors (bad input, a wrong token) go to DEBUG."""

    def __init__(self):
        super().__init__(log, {})

    def error(self, msg, *args, exc_info=None, **kwargs):
        if isinstance(exc_info, GraphQLError) and is_unexpected(exc_info):
            original = unwrap_graphql_error(exc_info)
            self.logger.error("unexpected error in GraphQL field %s", ".".join(map(str, exc_info.path or [])),
                              exc_info=(type(original), original, original.__traceback__))
        else:
            self.logger.debug("GraphQL error: %s", msg)
