"""The wizard's CSRF token, signed once per session secret and kept by the process
(extensions.csrf_token, extensions.check_csrf), from the attacker's side: what is kept only
spares the signature check of the exact string already made or verified for that session's
secret; another session's token, a forged or altered one, or one past a time limit is still
refused, and a refused token is never kept."""
from __future__ import annotations

import time

from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from wizard import extensions
from wizard_support import Wizard, csrf_of, inst, wiz  # noqa: F401  (fixtures)

SALT = "wtf-csrf-token"  # Flask-WTF's


def _post(client, base: str, token: str | None, screen: int = 1):
    data = {"wizard_screen": str(screen), "wizard_action": "next", "channel": "x"}
    if token is not None:
        data["csrf_token"] = token
    return client.post(f"{base}/screen/{screen}", data=data)


def _secret_of(token: str) -> str:
    """The session secret a token carries (itsdangerous signs its payload, it does not hide it)."""
    return URLSafeTimedSerializer("any", salt=SALT).loads_unsafe(token)[1]


def _signed_at(key: str, secret: str, seconds_ago: int) -> str:
    class Earlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds_ago

    return URLSafeTimedSerializer(key, salt=SALT, signer=Earlier).dumps(secret)


def test_the_token_is_signed_once_shown_again_and_holds(wiz, inst, client):
    wiz.open(inst.id)
    token = csrf_of(wiz.page)
    wiz.get(f"{wiz.base}/screen/1")
    assert csrf_of(wiz.page) == token  # kept, not signed again
    assert wiz.post({"channel": "x"}).status_code == 200 and wiz.path.endswith("/screen/2")
    assert csrf_of(wiz.page) == token


def test_a_kept_token_holds_for_its_own_session_only(wiz, inst, client, app):
    wiz.open(inst.id)
    mine = csrf_of(wiz.page)
    browser = app.test_client()  # another browser, on another instance (a new session ends the last)
    other = Wizard(browser, wiz.core, wiz.owner)
    other.open(wiz.instance("notes").id)
    theirs = csrf_of(other.page)
    assert mine != theirs and _secret_of(mine) != _secret_of(theirs)
    # each one kept and each one verified once in its own session: neither holds in the other
    assert wiz.post({"channel": "x"}).status_code == 200
    wiz.get(f"{wiz.base}/screen/1")
    assert _post(browser, other.base, mine).status_code == 400
    assert _post(client, wiz.base, theirs).status_code == 400
    assert _post(browser, other.base, theirs).status_code == 303
    assert _post(client, wiz.base, mine).status_code == 303


def test_forged_and_altered_tokens_are_refused_and_not_kept(wiz, inst, client, app):
    wiz.open(inst.id)
    token = csrf_of(wiz.page)
    secret = _secret_of(token)
    payload, stamp, signature = token.split(".")
    forged = [
        URLSafeTimedSerializer("not-the-key", salt=SALT).dumps(secret),  # the secret, signed by someone else
        URLSafeTimedSerializer(app.secret_key, salt="another-salt").dumps(secret),
        f"{payload}.{stamp}.{signature[:-2]}{'AA' if not signature.endswith('AA') else 'BB'}",  # the signature altered
        f"{payload}.{_signed_at('x', secret, 5).split('.')[1]}.{signature}",  # another timestamp, same signature
        token + "x", token[:-1], token.swapcase(), " " + token, "", "forged",
    ]
    for bad in forged:
        assert bad != token
        assert _post(client, wiz.base, bad).status_code == 400, bad
        assert _post(client, wiz.base, None).status_code == 400
    wiz.get(f"{wiz.base}/screen/1")
    assert csrf_of(wiz.page) == token  # nothing refused took its place
    assert wiz.post({"channel": "x"}).status_code == 200 and wiz.path.endswith("/screen/2")


def test_a_token_signed_elsewhere_for_this_session_holds_and_is_kept(wiz, inst, client, app):
    """Another worker (or an earlier second) signs the same secret into another string: it is
    verified the full way once, then kept."""
    wiz.open(inst.id)
    elsewhere = _signed_at(app.secret_key, _secret_of(csrf_of(wiz.page)), 1000)
    assert elsewhere != csrf_of(wiz.page)
    assert _post(client, wiz.base, elsewhere).status_code == 303
    wiz.get(f"{wiz.base}/screen/2")
    assert csrf_of(wiz.page) == elsewhere


def test_a_new_secret_key_refuses_the_kept_token(wiz, inst, client, app, monkeypatch):
    wiz.open(inst.id)
    token = csrf_of(wiz.page)
    monkeypatch.setitem(app.config, "SECRET_KEY", "rotated-secret")
    assert _post(client, wiz.base, token).status_code == 400
    wiz.get(f"{wiz.base}/screen/1")
    renewed = csrf_of(wiz.page)
    assert renewed != token and _secret_of(renewed) == _secret_of(token)  # the session's secret, signed anew
    assert _post(client, wiz.base, renewed).status_code == 303


def test_with_a_time_limit_an_old_token_is_refused_even_if_kept(wiz, inst, client, app, monkeypatch):
    wiz.open(inst.id)
    old = _signed_at(app.secret_key, _secret_of(csrf_of(wiz.page)), 7200)
    assert _post(client, wiz.base, old).status_code == 303  # no time limit (config.py): it holds, and is kept
    monkeypatch.setitem(app.config, "WTF_CSRF_TIME_LIMIT", 3600)
    assert _post(client, wiz.base, old, screen=2).status_code == 400  # expired
    wiz.get(f"{wiz.base}/screen/2")
    assert csrf_of(wiz.page) != old


def test_the_kept_tokens_are_bounded(wiz, inst, app, monkeypatch):
    monkeypatch.setattr(extensions, "KNOWN_TOKENS", 2)
    extensions._known.clear()
    wizards = []
    for _ in range(3):
        w = Wizard(app.test_client(), wiz.core, wiz.owner)
        w.open(wiz.instance("notes").id)
        wizards.append(w)
        assert len(extensions._known) <= 2
    first = wizards[0]
    assert _post(first.client, first.base, csrf_of(first.page)).status_code == 303  # dropped, verified again
