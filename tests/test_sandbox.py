"""The sandbox OAuth 2 provider, attacked and used directly over real HTTP."""
from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from _connect_support import Dance, csrf_of, sandbox_config  # noqa: F401  (fixture)
from wizard.sandbox import CLIENT_ID, api_key_for
from wizard.sandbox.provider import client_secret


def _pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _authorize_url(live, challenge=None, scope="profile channels:read", redirect=None, state="st-1"):
    params = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": redirect or live + "/connect/callback",
              "scope": scope, "state": state}
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    return live + "/sandbox/oauth/authorize?" + urlencode(params)


def _code(live, challenge, granted=None, **kw):
    callback = Dance(live).consent(_authorize_url(live, challenge, **kw), granted=granted)
    query = parse_qs(urlsplit(callback).query)
    assert query["state"] == ["st-1"]
    return query["code"][0]


def _token(app, live, data, auth=True):
    basic = (CLIENT_ID, client_secret(app.config)) if auth else None
    return requests.post(live + "/sandbox/oauth/token", data=data, auth=basic, timeout=10)


def _exchange(app, live, code, verifier):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": live + "/connect/callback"}
    if verifier is not None:
        data["code_verifier"] = verifier
    return _token(app, live, data)


def test_code_exchange_with_the_right_verifier(app, live_server):
    verifier, challenge = _pkce()
    resp = _exchange(app, live_server, _code(live_server, challenge), verifier)
    assert resp.status_code == 200, resp.text
    token = resp.json()
    assert token["token_type"] == "Bearer" and token["refresh_token"] and token["expires_in"] > 0
    assert token["scope"] == "profile channels:read"
    me = requests.get(live_server + "/sandbox/api/me", headers={"Authorization": "Bearer " + token["access_token"]},
                      timeout=10)
    assert me.json() == {"id": "acme", "name": "Acme Corp", "workspace": "acme"}


def test_a_missing_or_wrong_verifier_is_refused(app, live_server):
    verifier, challenge = _pkce()
    code = _code(live_server, challenge)
    missing = _exchange(app, live_server, code, None)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    code = _code(live_server, challenge)
    wrong = _exchange(app, live_server, code, secrets.token_urlsafe(48))
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"


def test_a_code_is_used_once(app, live_server):
    verifier, challenge = _pkce()
    code = _code(live_server, challenge)
    assert _exchange(app, live_server, code, verifier).status_code == 200
    assert _exchange(app, live_server, code, verifier).json()["error"] == "invalid_grant"


def test_authorization_without_pkce_is_refused(live_server):
    resp = requests.get(_authorize_url(live_server, None), allow_redirects=False, timeout=10)
    assert resp.status_code == 302
    query = parse_qs(urlsplit(resp.headers["Location"]).query)
    assert query["error"] == ["invalid_request"] and query["state"] == ["st-1"]


def test_an_unregistered_redirect_uri_is_never_redirected_to(live_server):
    _, challenge = _pkce()
    resp = requests.get(_authorize_url(live_server, challenge, redirect="https://evil.example/cb"),
                        allow_redirects=False, timeout=10)
    assert resp.status_code == 400 and "evil.example" not in resp.headers.get("Location", "")


def test_the_consent_page_is_not_framable_and_needs_its_csrf_token(live_server, sandbox_config):
    _, challenge = _pkce()
    url = _authorize_url(live_server, challenge)
    http = requests.Session()
    page = http.get(url, timeout=10)
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "Cross-Origin-Opener-Policy" not in page.headers
    assert "Acme Corp" in page.text and "Globex" in page.text  # the workspaces to choose from
    forged = http.post(url, data={"workspace": "acme", "granted": ["profile"], "allow": "Allow"},
                       allow_redirects=False, timeout=10)
    assert forged.status_code == 400 and "Location" not in forged.headers
    csrf_of(page.text)
    sandbox_config(SANDBOX_CONSENT_COOP=True)
    assert http.get(url, timeout=10).headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_unticked_scopes_are_not_granted(app, live_server):
    verifier, challenge = _pkce()
    code = _code(live_server, challenge, granted=["profile"])
    token = _exchange(app, live_server, code, verifier).json()
    assert token["scope"] == "profile"
    channels = requests.get(live_server + "/sandbox/api/channels",
                            headers={"Authorization": "Bearer " + token["access_token"]}, timeout=10)
    assert channels.status_code == 403 and channels.json()["error"] == "insufficient_scope"


def test_refresh_rotates_and_the_old_refresh_token_dies(app, live_server):
    verifier, challenge = _pkce()
    first = _exchange(app, live_server, _code(live_server, challenge), verifier).json()
    data = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    second = _token(app, live_server, data)
    assert second.status_code == 200 and second.json()["access_token"] != first["access_token"]
    assert _token(app, live_server, data).json()["error"] == "invalid_grant"
    assert _token(app, live_server, {"grant_type": "refresh_token", "refresh_token": second.json()["refresh_token"]},
                  auth=False).status_code == 401  # a client must authenticate


def test_the_api_takes_a_bearer_token_an_api_key_or_basic(live_server):
    api = live_server + "/sandbox/api/channels"
    assert requests.get(api, timeout=10).status_code == 401
    assert requests.get(api, headers={"Authorization": "Bearer nope"}, timeout=10).status_code == 401
    key = requests.get(api, headers={"X-Api-Key": api_key_for("globex")}, timeout=10)
    assert key.json() == {"data": [{"id": "C1", "name": "#general"}, {"id": "C2", "name": "#ops"}]}
    assert requests.get(api, headers={"X-Api-Key": "sbk_wrong"}, timeout=10).status_code == 401
    assert requests.get(api, auth=("initech", api_key_for("initech")), timeout=10).status_code == 200
    assert requests.get(api, auth=("acme", api_key_for("initech")), timeout=10).status_code == 401


def test_faults_on_purpose(app, live_server, sandbox_config):
    key = {"X-Api-Key": api_key_for("acme")}
    sandbox_config(SANDBOX_FAULT="error")
    assert requests.get(live_server + "/sandbox/api/me", headers=key, timeout=10).status_code == 500
    sandbox_config(SANDBOX_FAULT="expired")
    verifier, challenge = _pkce()
    token = _exchange(app, live_server, _code(live_server, challenge), verifier).json()
    assert token["expires_in"] < 0
    resp = requests.get(live_server + "/sandbox/api/me", headers={"Authorization": "Bearer " + token["access_token"]},
                        timeout=10)
    assert resp.status_code == 401
    sandbox_config(SANDBOX_FAULT="slow", SANDBOX_SLOW_SECONDS=1.5)
    try:
        requests.get(live_server + "/sandbox/api/me", headers=key, timeout=0.5)
    except requests.Timeout:
        pass
    else:
        raise AssertionError("the slow sandbox answered in time")


def test_switched_off_the_sandbox_is_not_there(app, live_server, sandbox_config):
    from wizard.services import registry

    sandbox_config(WIZARD_SANDBOX=False)
    for path in ("/sandbox/oauth/authorize", "/sandbox/api/me", "/sandbox/keys"):
        assert requests.get(live_server + path, timeout=10).status_code == 404
    assert requests.post(live_server + "/sandbox/oauth/token", timeout=10).status_code == 404
    assert "sandbox" not in registry(app).names()
