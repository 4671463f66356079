"""Rate limits (wizard.web.limits): code entry per client address, the API per token; 429 with
Retry-After; in memory, or in Redis with REDIS_URL."""
from __future__ import annotations

import uuid

import pytest
from support import MASTER

from wizard import create_app, identity

USERS = "{ users(first: 1) { edges { cursor } } }"


def limited_app(app, **config):
    """An app of its own with the limits on, on the suite's database."""
    return create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "WIZARD_MASTER_TOKEN": MASTER, "SECRET_KEY": "test-secret",
        "WIZARD_ENCRYPTION_KEYS": app.config["WIZARD_ENCRYPTION_KEYS"], "RATELIMIT_ENABLED": True,
        "WIZARD_RATE_LIMIT_CODES": "3 per minute", "WIZARD_RATE_LIMIT_API": "5 per minute", **config})


@pytest.fixture(params=["memory", "redis"])
def limited(request, app):
    if request.param == "memory":
        return limited_app(app)
    # a key prefix of its own per run, so that counters of another run never interfere
    return limited_app(app, REDIS_URL="redis://127.0.0.1:6379/0",
                       RATELIMIT_KEY_PREFIX=f"wizard-test-{uuid.uuid4().hex}")


def test_guessing_codes_is_limited_per_client_address(limited, user):
    client = limited.test_client()
    with limited.app_context():
        statuses = [client.get(f"/configure/x{i}?code=guess{i}").status_code for i in range(4)]
        assert statuses == [403, 403, 403, 429]
        resp = client.get("/configure/x?code=guess", headers={"Accept": "text/html"})
        assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
        assert b"Too many requests" in resp.data
        # the auth dialog's code entry shares the same counter
        assert client.get("/external/auth/create/e?code=guess").status_code == 429
        # another address has its own
        other = client.get("/configure/x?code=guess", environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert other.status_code == 403


def test_a_limited_view_answers_with_its_limit_and_other_pages_with_none(limited):
    client = limited.test_client()
    with limited.app_context():
        first = client.get("/configure/x?code=guess")
        assert (first.headers["X-RateLimit-Limit"], first.headers["X-RateLimit-Remaining"]) == ("3", "2")
        assert not [name for name in client.get("/healthz").headers.keys() if name.startswith("X-RateLimit")]
        for _ in range(3):
            refused = client.get("/configure/x?code=guess")
        assert refused.status_code == 429 and refused.headers["X-RateLimit-Remaining"] == "0"


def test_the_api_is_limited_per_token(limited, user):
    client = limited.test_client()
    with limited.app_context():
        token, other = identity.issue_user_token(user.id), identity.issue_user_token(user.id)
        query = "{ solutionInstances { edges { cursor } } }"
        answers = [client.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"})
                   for _ in range(6)]
        assert [r.status_code for r in answers] == [200] * 5 + [429]
        refused = answers[-1]
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.get_json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        # another token is counted on its own
        resp = client.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {other}"})
        assert resp.status_code == 200


def test_the_master_token_has_its_own_limit(app, user):
    """A front end of this core calls with the master token for every end user at once: it is
    not held to a user token's limit (5 here), only to its own (8)."""
    limited = limited_app(app, WIZARD_RATE_LIMIT_API_MASTER="8 per minute")
    client = limited.test_client()
    with limited.app_context():
        master = [client.post("/graphql", json={"query": USERS}, headers={"Authorization": f"Bearer {MASTER}"})
                  for _ in range(9)]
        assert [r.status_code for r in master] == [200] * 8 + [429]
        assert master[-1].get_json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        # a wrong token pretending to be the master is counted as an ordinary one
        wrong = [client.post("/graphql", json={"query": USERS}, headers={"Authorization": "Bearer mt_forged"})
                 for _ in range(6)]
        assert [r.status_code for r in wrong] == [401] * 5 + [429]


def test_limits_can_be_raised_and_turned_off(app):
    raised = limited_app(app, WIZARD_RATE_LIMIT_API_MASTER="1000 per minute")
    off = limited_app(app, RATELIMIT_ENABLED=False, WIZARD_RATE_LIMIT_API_MASTER="1 per minute")
    for one in (raised, off):
        client = one.test_client()
        with one.app_context():
            codes = {client.post("/graphql", json={"query": USERS},
                                 headers={"Authorization": f"Bearer {MASTER}"}).status_code for _ in range(8)}
        assert codes == {200}


def test_the_limits_read_their_settings_from_the_environment(tmp_path):
    from wizard.config import load_config

    cfg = load_config(str(tmp_path), {"WIZARD_RATE_LIMITS": "0", "REDIS_URL": "redis://127.0.0.1:6379/2",
                                      "WIZARD_RATE_LIMIT_API": "10 per second"})
    assert cfg["RATELIMIT_ENABLED"] is False and cfg["REDIS_URL"].endswith("/2")
    assert cfg["WIZARD_RATE_LIMIT_API"] == "10 per second" and cfg["WIZARD_RATE_LIMIT_CODES"] == "20 per minute"


def test_a_new_made_up_token_per_request_is_limited_per_client_address(limited):
    """Inventing tokens is guessing: each failed token counts against the client address (5 here),
    and leaves no counter of its own in Redis."""
    client = limited.test_client()
    with limited.app_context():
        answers = [client.post("/graphql", json={"query": USERS},
                               headers={"Authorization": f"Bearer mt_{uuid.uuid4().hex}"}) for _ in range(12)]
        assert [r.status_code for r in answers] == [401] * 5 + [429] * 7
        other = client.post("/graphql", json={"query": USERS}, environ_base={"REMOTE_ADDR": "10.0.0.7"},
                            headers={"Authorization": f"Bearer mt_{uuid.uuid4().hex}"})
        assert other.status_code == 401  # another address has its own count
        if limited.config.get("REDIS_URL"):
            import redis
            keys = redis.Redis.from_url(limited.config["REDIS_URL"]).keys("*" + limited.config["RATELIMIT_KEY_PREFIX"] + "/*")
            assert len(keys) == 2  # one per address, none per token


def test_redis_down_falls_back_to_memory_and_readyz_says_so(app, user, caplog):
    """Redis stopped (a closed port): nothing answers 500, the limits still count (in this
    process), the fallback is logged, /readyz names each dependency's state."""
    down = limited_app(app, REDIS_URL="redis://127.0.0.1:1/0", RATELIMIT_KEY_PREFIX=f"wizard-test-{uuid.uuid4().hex}")
    client = down.test_client()
    with down.app_context(), caplog.at_level("WARNING"):
        master = [client.post("/graphql", json={"query": USERS}, headers={"Authorization": f"Bearer {MASTER}"})
                  for _ in range(3)]
        assert [r.status_code for r in master] == [200] * 3
        token = identity.issue_user_token(user.id)
        api = [client.post("/graphql", json={"query": USERS}, headers={"Authorization": f"Bearer {token}"})
               for _ in range(6)]
        assert [r.status_code for r in api] == [200] * 5 + [429]
        codes = [client.get(f"/configure/x{i}?code=guess{i}").status_code for i in range(4)]
        assert codes == [403, 403, 403, 429]
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.get_json() == {"status": "degraded", "database": "ok", "redis": "unavailable", "core": "embedded"}
    assert any("falling back to in-memory" in r.getMessage() for r in caplog.records)
