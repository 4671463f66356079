"""`GET /graphql` from a browser in development: Ariadne's explorer, GraphiQL, to try the API in.

Ariadne's own GraphiQL page loads its scripts from a CDN (esm.sh), which this project never does;
this explorer is the same GraphiQL (npm `graphiql` with React, pinned in package.json, installed
by `make run`) served from this origin under `/graphql/explorer/`, under the pages' strict CSP.
Off in production (`WIZARD_GRAPHQL_EXPLORER` is ignored there): `GET /graphql` is then 405, as
for every client that does not ask for HTML."""
from __future__ import annotations

import os

from ariadne.explorer import Explorer
from flask import abort, current_app, render_template, request, send_file

from ..web.security import allow_data_fonts

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NODE_MODULES = os.path.join(ROOT, "node_modules")
# The only files served from node_modules, by the name the page asks for.
ASSETS = {
    "react.js": "react/umd/react.production.min.js",
    "react-dom.js": "react-dom/umd/react-dom.production.min.js",
    "graphiql.js": "graphiql/graphiql.min.js",
    "graphiql.css": "graphiql/graphiql.min.css",
}
DEFAULT_QUERY = """# The wizard server's API (docs/api.md). Put a token in Headers below:
#   {"Authorization": "Bearer <master token, or a user token from authorize>"}
# then run this with Ctrl-Enter.
{
  viewer {
    details { username name }
    solutions(first: 5) { edges { node { id title } } }
  }
}
"""


class LocalGraphiQL(Explorer):
    """Ariadne's Explorer interface: `html(request)` is the page, or None for 405."""

    def html(self, request) -> str | None:
        if not current_app.config.get("WIZARD_GRAPHQL_EXPLORER"):
            return None
        allow_data_fonts()  # GraphiQL's stylesheet carries its fonts as data: URLs
        return render_template("api/explorer.html", default_query=DEFAULT_QUERY,
                               missing=not os.path.isfile(os.path.join(NODE_MODULES, ASSETS["graphiql.js"])))


EXPLORER = LocalGraphiQL()


def wants_explorer() -> bool:
    """A browser's GET (HTML first in its Accept); API clients keep their JSON 405."""
    accept = request.accept_mimetypes
    return accept.quality("text/html") > accept.quality("application/json")


def asset(name: str):
    """One of the explorer's npm files, in development only."""
    path = ASSETS.get(name)
    if not current_app.config.get("WIZARD_GRAPHQL_EXPLORER") or path is None:
        abort(404)
    full = os.path.join(NODE_MODULES, path)
    if not os.path.isfile(full):
        abort(404)
    return send_file(full, max_age=0)
