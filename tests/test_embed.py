"""The host SDK as served (its behaviour is driven in Chromium by tests/browser/test_embed_sdk.py)."""
from __future__ import annotations

import re


def test_embed_js_is_served_as_javascript_to_any_page(client):
    resp = client.get("/static/embed.js")
    assert resp.status_code == 200
    assert resp.mimetype in ("text/javascript", "application/javascript")
    assert "Content-Security-Policy" not in resp.headers  # a script, not a page


def test_embed_js_never_posts_to_any_origin(client):
    source = client.get("/static/embed.js").get_data(as_text=True)
    calls = re.findall(r"\.postMessage\(([^;]*)\)", source)
    assert calls, "the SDK answers the wizard with postMessage"
    assert all('"*"' not in c and "'*'" not in c for c in calls)
    assert "state.origin" in source  # the target origin is the wizard's, derived from its URL
    assert "ConfigWizard" in source and "openAuth" in source
