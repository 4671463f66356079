"""Dynamic options and token refresh: fetched on the server with the user's token, over real HTTP
against the sandbox API."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from _connect_support import (  # noqa: F401  (fixtures)
    SLOT, connect_sandbox, dance, instance, sandbox_config, sid, start_path,
)
from wizard import accounts
from wizard.connect import NeedsReconnect, ensure_fresh
from wizard.extensions import db
from wizard.models import utcnow
from wizard.sandbox.models import SandboxToken
from wizard.connect.options import OptionsUnavailable, fetch_options


@pytest.fixture
def auth(live_server, start_path):
    _, msg = connect_sandbox(live_server, start_path)
    db.session.expire_all()
    return accounts.get(msg["authId"])


def test_options_come_from_the_service_with_the_users_token(auth, user, sandbox_config):
    options = fetch_options("sandbox.channels", owner_id=user.id, auth_id=auth.id)
    assert options == [{"value": "C1", "text": "#general"}, {"value": "C2", "text": "#alerts"},
                       {"value": "C3", "text": "#deploys"}]
    # cached briefly: a service failing right after is not asked again
    sandbox_config(SANDBOX_FAULT="error")
    assert fetch_options("sandbox.channels", owner_id=user.id, auth_id=auth.id) == options


def test_a_slow_service_times_out(auth, user, sandbox_config):
    sandbox_config(SANDBOX_FAULT="slow", WIZARD_API_TIMEOUT=0.5, SANDBOX_SLOW_SECONDS=1.5)
    with pytest.raises(OptionsUnavailable, match="did not answer in time"):
        fetch_options("sandbox.channels", owner_id=user.id, auth_id=auth.id)


def test_a_failing_service_is_a_message_not_a_crash(auth, user, sandbox_config):
    sandbox_config(SANDBOX_FAULT="error")
    with pytest.raises(OptionsUnavailable) as exc:
        fetch_options("sandbox.channels", owner_id=user.id, auth_id=auth.id)
    assert "Could not load the choices from Sandbox" in exc.value.message and "HTTP 500" in exc.value.message


def test_someone_elses_account_or_an_unknown_source_gives_nothing(auth, fred):
    with pytest.raises(OptionsUnavailable, match="not found"):
        fetch_options("sandbox.channels", owner_id=fred.id, auth_id=auth.id)
    with pytest.raises(OptionsUnavailable, match="no list called"):
        fetch_options("sandbox.users", owner_id=auth.owner_id, auth_id=auth.id)
    with pytest.raises(OptionsUnavailable, match="not available"):
        fetch_options("nowhere.channels", owner_id=auth.owner_id, auth_id=auth.id)
    other = accounts.create(auth.owner_id, "slack", "oauth2", {"access_token": "x"})
    with pytest.raises(OptionsUnavailable, match="not a Sandbox account"):
        fetch_options("sandbox.channels", owner_id=auth.owner_id, auth_id=other.id)


def test_an_expired_token_is_refreshed_before_the_test_call(live_server, start_path, user, sandbox_config):
    sandbox_config(SANDBOX_FAULT="expired")  # the code exchange hands out an already expired token
    _, msg = connect_sandbox(live_server, start_path)
    db.session.expire_all()
    auth = accounts.get(msg["authId"])
    assert auth.expires_at > utcnow() + timedelta(minutes=30)  # what was stored is the renewed token
    stored = accounts.credentials_of(auth)
    rows = db.session.scalars(select(SandboxToken).order_by(SandboxToken.id)).all()
    assert len(rows) == 2 and rows[0].is_expired() and rows[0].is_revoked()
    assert stored["access_token"] == rows[1].access_token and stored["refresh_token"] == rows[1].refresh_token


def test_an_expired_token_is_refreshed_before_an_options_call(auth, user):
    before = accounts.credentials_of(auth)
    # the token dies at the provider and the wizard knows it expired
    db.session.execute(update(SandboxToken).values(expires_in=-60))
    auth.expires_at = utcnow() - timedelta(seconds=5)
    db.session.commit()
    options = fetch_options("sandbox.channels", owner_id=user.id, auth_id=auth.id)
    assert [o["value"] for o in options] == ["C1", "C2", "C3"]
    db.session.expire_all()
    auth = accounts.get(auth.id)
    after = accounts.credentials_of(auth)
    assert after["access_token"] != before["access_token"] and after["refresh_token"] != before["refresh_token"]
    assert auth.expires_at > utcnow() + timedelta(minutes=30) and auth.status == "ok"


def test_a_token_expiring_within_a_minute_is_refreshed_and_a_fresh_one_is_not(auth):
    creds = accounts.credentials_of(auth)
    assert ensure_fresh(auth) == creds  # an hour left: used as it is
    auth.expires_at = utcnow() + timedelta(seconds=30)
    db.session.commit()
    assert ensure_fresh(auth)["access_token"] != creds["access_token"]


def test_a_refused_refresh_marks_the_account_for_reconnecting(auth, user):
    # the provider forgets the grant (revoked refresh token) and the access token expires
    db.session.execute(update(SandboxToken).values(refresh_token_revoked_at=1))
    auth.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(OptionsUnavailable) as exc:
        fetch_options("sandbox.channels", owner_id=user.id, auth_id=auth.id)
    assert exc.value.code == "needs_reconnect" and "needs reconnecting" in exc.value.message
    db.session.expire_all()
    assert accounts.get(auth.id).status == "needs_reconnect"
    with pytest.raises(NeedsReconnect):
        ensure_fresh(accounts.get(auth.id))


def test_a_reconnect_clears_needs_reconnect(live_server, start_path, auth, user):
    accounts.mark_needs_reconnect(auth)
    _, msg = connect_sandbox(live_server, start_path + f"?auth={auth.id}")
    db.session.expire_all()
    assert msg["authId"] == auth.id and accounts.get(auth.id).status == "ok"
    assert fetch_options("sandbox.channels", owner_id=user.id, auth_id=auth.id)


def test_a_token_the_provider_dropped_early_is_renewed_once(auth, user):
    # the access token dies at the provider before its announced expiry
    db.session.execute(update(SandboxToken).where(SandboxToken.refresh_token.is_not(None))
                       .values(access_token_revoked_at=1))
    db.session.commit()
    assert fetch_options("sandbox.channels", owner_id=user.id, auth_id=auth.id)
