"""Identity: tokens and single-use authorization codes, including two requests racing one code."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from support import MASTER
from sqlalchemy import update

from wizard import identity
from wizard.extensions import db
from wizard.identity import CodeError
from wizard.models import ApiToken, AuthorizationCode, utcnow


def test_a_code_works_once(user):
    code = identity.generate_code(user.id)
    assert identity.consume_code(code) == user.id
    with pytest.raises(CodeError) as exc:
        identity.consume_code(code)
    assert exc.value.code == "invalid_code" and "already been used" in exc.value.message


def test_an_expired_code_is_refused(user):
    code = identity.generate_code(user.id)
    db.session.execute(update(AuthorizationCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    with pytest.raises(CodeError) as exc:
        identity.consume_code(code)
    assert exc.value.code == "expired_code"
    # and it was not used up by the attempt
    assert db.session.scalar(db.select(AuthorizationCode.used_at)) is None


def test_codes_expire_after_the_configured_time(app, user):
    identity.generate_code(user.id)
    expires = db.session.scalar(db.select(AuthorizationCode.expires_at))
    ttl = app.config["WIZARD_CODE_TTL"]
    assert timedelta(seconds=ttl - 5) < expires - utcnow() <= timedelta(seconds=ttl)


@pytest.mark.parametrize("code", ["", None, "not-a-code", "x" * 500])
def test_unknown_codes_are_refused(user, code):
    identity.generate_code(user.id)
    with pytest.raises(CodeError) as exc:
        identity.consume_code(code)
    assert exc.value.code == "invalid_code"


def test_one_code_presented_by_two_requests_at_once_is_accepted_exactly_once(app, user):
    """On PostgreSQL two threads, each with its own app context and session, present the code at
    the same moment; SQLite allows one writer at a time, so there the same check runs serially."""
    code = identity.generate_code(user.id)
    concurrent = db.engine.dialect.name == "postgresql"
    barrier = threading.Barrier(2)
    outcomes, lock = [], threading.Lock()

    def present():
        with app.app_context():
            try:
                if concurrent:
                    barrier.wait(timeout=10)
                outcome = identity.consume_code(code)
            except CodeError as exc:
                outcome = exc.code
            finally:
                db.session.remove()
        with lock:
            outcomes.append(outcome)

    if concurrent:
        threads = [threading.Thread(target=present) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    else:
        present()
        present()
    assert sorted(outcomes) == sorted([user.id, "invalid_code"])
    assert db.session.scalar(db.select(AuthorizationCode.used_at)) is not None


def test_resolve_token(user):
    assert identity.resolve_token(MASTER).is_master
    token = identity.issue_user_token(user.id)
    principal = identity.resolve_token(token)
    assert (principal.is_master, principal.user_id) == (False, user.id)
    for wrong in (None, "", token + "x", MASTER[:-1], "mt_" + token):
        assert identity.resolve_token(wrong) is None
    db.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert identity.resolve_token(token) is None


def test_user_tokens_last_two_days(app, user):
    identity.issue_user_token(user.id)
    expires = db.session.scalar(db.select(ApiToken.expires_at))
    assert app.config["WIZARD_USER_TOKEN_TTL"] == 2 * 24 * 3600
    assert timedelta(days=2, seconds=-5) < expires - utcnow() <= timedelta(days=2)
