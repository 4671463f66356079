"""Helpers for the console tests: sign an operator in with a single-use link, as a browser would."""
from __future__ import annotations

from urllib.parse import urlsplit

from wizard_support import csrf_of

from wizard.console.auth import create_sign_in_link


def sign_in(client, email: str = "ops@acme.test", role: str = "admin"):
    """Sign `email` in (made an operator with `role`) on this test client; returns the client."""
    path = urlsplit(create_sign_in_link(email, role)).path
    page = client.get(path)
    assert page.status_code == 200, page.data[:500]
    done = client.post(path, data={"csrf_token": csrf_of(page.get_data(as_text=True))})
    assert done.status_code == 200 and "Signed in" in done.get_data(as_text=True), done.data[:500]
    return client


def console_token(client, path: str = "/console/") -> str:
    """The CSRF token of the signed-in console session (from any console page)."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return csrf_of(page.get_data(as_text=True))
