"""The ISV API: `POST /graphql` (docs/api.md), schema-first with Ariadne.

The schema is wizard/api/schema.graphql; resolvers live per area (users, solutions, instances,
authentications) and stay thin: convert the input, call wizard.identity / the embedded core /
wizard.accounts, map errors (errors.py).
"""
from __future__ import annotations

import os

from ariadne import load_schema_from_path, make_executable_schema

from ..extensions import csrf
from . import frontend  # noqa: F401  (its resolvers register on query and mutation)
from . import authentications, instances, scalars, solutions, themes, users, viewer, webhooks
from .endpoint import bp
from .root import mutation, query

SCHEMA_FILE = os.path.join(os.path.dirname(__file__), "schema.graphql")
WEBHOOKS_SCHEMA_FILE = os.path.join(os.path.dirname(__file__), "webhooks.graphql")
FRONTEND_SCHEMA_FILE = os.path.join(os.path.dirname(__file__), "frontend.graphql")
THEMES_SCHEMA_FILE = os.path.join(os.path.dirname(__file__), "themes.graphql")


def build_schema():
    return make_executable_schema(
        [load_schema_from_path(SCHEMA_FILE), load_schema_from_path(WEBHOOKS_SCHEMA_FILE),
         load_schema_from_path(FRONTEND_SCHEMA_FILE), load_schema_from_path(THEMES_SCHEMA_FILE)], query, mutation,
        *scalars.bindables, *users.bindables, *solutions.bindables, *instances.bindables,
        *authentications.bindables, *viewer.bindables, *webhooks.bindables, *themes.bindables,
    )


def register(app) -> None:
    """Serve the API at POST /graphql. It authenticates with bearer tokens, not cookies, so it
    is exempt from CSRF protection."""
    app.extensions["wizard_graphql_schema"] = build_schema()
    csrf.exempt(bp)
    app.register_blueprint(bp)
