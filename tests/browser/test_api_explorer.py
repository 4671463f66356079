"""Issue 27: in development, GET /graphql in a browser is GraphiQL (Ariadne's explorer, served
from this origin), which runs queries against POST /graphql under the pages' strict CSP."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from support import MASTER

pytestmark = pytest.mark.browser


def test_graphiql_loads_from_this_origin_and_runs_a_query(page, live_server, demo_solution):
    seen, problems = [], []
    page.on("request", lambda r: seen.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    # What a person types in GraphiQL's Headers tab, added here to GraphiQL's own requests.
    def with_token(route):
        if route.request.method != "POST":
            return route.continue_()
        return route.continue_(headers={**route.request.headers, "authorization": f"Bearer {MASTER}"})
    page.route(f"{live_server}/graphql", with_token)
    page.goto(f"{live_server}/graphql")
    expect(page.locator(".graphiql-container")).to_be_visible()
    page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()
    expect(page.locator(".result-window")).to_contain_text('"title": "Sandbox alerts"')
    assert all(u.startswith(live_server) for u in seen), [u for u in seen if not u.startswith(live_server)]
    assert problems == [], problems  # no CSP violation, no script error
