"""`POST /graphql`: the HTTP side of the API.

The body is checked before GraphQL sees it, the bearer token is resolved before anything runs,
and every answer is a GraphQL-style JSON document, never an HTML page or a stack trace:
- 413 body over MAX_CONTENT_LENGTH; 400 malformed JSON, a non-object body, no query;
- 401 missing, wrong or expired token (UNAUTHENTICATED; nothing is parsed or executed);
- 400 syntax errors, validation errors, variables of the wrong type (the operation never ran),
  a query over the cost limits (QUERY_TOO_COMPLEX, cost.py), text refused at the boundary;
- 200 otherwise, with per-field `errors` (FORBIDDEN, BAD_USER_INPUT, INTERNAL_SERVER_ERROR).
"""
from __future__ import annotations

import json

from ariadne import graphql_sync
from graphql import ArgumentNode, FieldNode, GraphQLError, ObjectFieldNode, Visitor, parse, visit
from graphql.language.location import get_location
from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import MethodNotAllowed, RequestEntityTooLarge

from .. import identity, textcheck
from ..extensions import db
from . import cost
from . import explorer as explorer_page
from .errors import BAD_USER_INPUT, UNAUTHENTICATED, ApiError, ErrorLog, error_name, format_error

bp = Blueprint("api", __name__)


def _errors(status: int, message: str, code: str, headers: dict | None = None):
    response = jsonify(errors=[{"message": message, "extensions": {"code": code, "name": error_name(code)}}])
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _request_error_code(error: dict) -> str:
    """A code for errors graphql-core raises before execution (they have none of their own)."""
    message = error.get("message", "")
    if message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if message.startswith("Variable '$"):
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


def _argument_at(query, location: dict) -> str | None:
    """The argument (and input fields) whose value is written at `location` of the query, e.g.
    `replayWebhookEvents.input.since`: what a refused literal's message names."""
    try:
        document = parse(query)
    except GraphQLError:
        return None
    found: list[str] = []

    class Finder(Visitor):
        def __init__(self):
            super().__init__()
            self.names: list[str] = []

        def enter(self, node, *_args):
            if isinstance(node, (FieldNode, ArgumentNode, ObjectFieldNode)):
                self.names.append((node.alias or node.name).value if isinstance(node, FieldNode) else node.name.value)
                value = getattr(node, "value", None)
                if value is not None and value.loc and not found:
                    at = get_location(value.loc.source, value.loc.start)
                    if (at.line, at.column) == (location.get("line"), location.get("column")):
                        found.append(".".join(self.names))

        def leave(self, node, *_args):
            if isinstance(node, (FieldNode, ArgumentNode, ObjectFieldNode)):
                self.names.pop()

    visit(document, Finder())
    return found[0] if found else None


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _read_body():
    """The decoded JSON body, or an error response."""
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        return None, _errors(413, f"The request body is larger than the server accepts ({limit} bytes).",
                             "PAYLOAD_TOO_LARGE")
    try:
        data = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError; so are NaN and 5,000 digits
        return None, _errors(400, 'The body must be JSON: {"query": "...", "variables": {...}}.', "BAD_REQUEST")
    try:
        textcheck.check_data(data)  # the text boundary, before GraphQL or a resolver sees anything
    except textcheck.InputError as exc:
        return None, _errors(400, str(exc), "BAD_USER_INPUT")
    if not isinstance(data, dict):
        return None, _errors(400, 'The body must be a JSON object: {"query": "...", "variables": {...}}.',
                             "BAD_REQUEST")
    if not isinstance(data.get("query"), str) or not data["query"].strip():
        return None, _errors(400, "query: a GraphQL document (string) is required.", "BAD_REQUEST")
    if data.get("variables") is not None and not isinstance(data["variables"], dict):
        return None, _errors(400, "variables: must be a JSON object.", "BAD_REQUEST")
    if data.get("operationName") is not None and not isinstance(data["operationName"], str):
        return None, _errors(400, "operationName: must be a string.", "BAD_REQUEST")
    return data, None


def checked_input(resolve, obj, info, **args):
    """graphql-core middleware, called around every field's resolver: its arguments pass the
    text boundary (literals in the query, which the body check cannot see, are decoded here),
    and a value the column guard refuses at flush becomes BAD_USER_INPUT, its session rolled
    back so that the next field of the request starts clean."""
    try:
        if args:
            textcheck.check_data(args)
        return resolve(obj, info, **args)
    except textcheck.InputError as exc:
        db.session.rollback()
        raise ApiError(str(exc), BAD_USER_INPUT, reason="invalid_input") from None


@bp.get("/graphql")
def explorer():
    """A browser in development gets the API explorer (explorer.py); anything else 405, as ever."""
    page = explorer_page.EXPLORER.html(request) if explorer_page.wants_explorer() else None
    if page is None:
        raise MethodNotAllowed(valid_methods=["POST"])
    return page


@bp.get("/graphql/explorer/<name>")
def explorer_asset(name: str):
    return explorer_page.asset(name)


@bp.post("/graphql")
def graphql():
    """Run one GraphQL operation for the bearer token's principal."""
    data, error = _read_body()
    if error is not None:
        return error
    principal = identity.request_principal()
    if principal is None:
        return _errors(401, "A valid bearer token is required (Authorization: Bearer <token>).", UNAUTHENTICATED,
                       {"WWW-Authenticate": 'Bearer realm="graphql"'})
    _, result = graphql_sync(
        current_app.extensions["wizard_graphql_schema"], data,
        context_value={"principal": principal, "request": request},
        debug=False, error_formatter=format_error, logger=ErrorLog(), middleware=[checked_input],
        query_parser=cost.parser(cost.Limits.from_config(current_app.config)),
    )
    status = 200
    errors = result.get("errors") or []
    # No data, or no data and no field errors: the operation never ran (parse, validation,
    # variable coercion). GraphQL over HTTP answers those with 400.
    if "data" not in result or (result["data"] is None and not any("path" in e for e in errors)):
        status = 400
        for e in errors:
            e.setdefault("extensions", {}).setdefault("code", _request_error_code(e))
            if e["extensions"]["code"] == "BAD_USER_INPUT" and e.get("locations") and not e["message"].startswith("Variable"):
                named = _argument_at(data.get("query"), e["locations"][0])
                e["message"] = f"{named}: {e['message']}" if named else e["message"]
    response = jsonify(result)
    response.status_code = status
    return response


@bp.after_request
def no_store(response):
    """Answers carry tokens and codes: never cache them."""
    response.headers["Cache-Control"] = "no-store"
    return response
