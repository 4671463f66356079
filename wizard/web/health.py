"""Liveness and readiness for the operator's load balancer and dashboards.

`/healthz`: the process serves. `/readyz`: each dependency's state, `{"status", "database",
"redis", "core"}`; 503 only when the database does not answer (nothing works without it). Redis
down is "degraded" (rate limits count per process meanwhile, wizard.web.limits); a remote core
that does not answer is "degraded" too (wizard pages say "try again").
"""
import requests
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from ..extensions import db

bp = Blueprint("health", __name__)
CORE_CHECK_TIMEOUT = 2  # seconds


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


def database_state() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return "unavailable"
    return "ok"


def redis_state() -> str:
    """"ok", "unavailable" (rate limits in memory meanwhile) or "not configured"."""
    if not current_app.config.get("REDIS_URL"):
        return "not configured"
    limiter = current_app.extensions.get("wizard_limiter")
    try:
        return "ok" if limiter is not None and limiter.storage.check() else "unavailable"
    except Exception:
        return "unavailable"


def core_state() -> str:
    """"embedded", or whether the remote core (WIZARD_CORE_URL) says it is ready."""
    url = current_app.config.get("WIZARD_CORE_URL")
    if not url:
        return "embedded"
    base = url.rstrip("/").removesuffix("/graphql")
    try:
        ready = requests.get(base + "/readyz", timeout=CORE_CHECK_TIMEOUT).status_code == 200
    except requests.RequestException:
        ready = False
    return "ok" if ready else "unavailable"


@bp.get("/readyz")
def readyz():
    states = {"database": database_state(), "redis": redis_state(), "core": core_state()}
    if states["database"] != "ok":
        return jsonify(status="unavailable", **states), 503
    degraded = states["redis"] == "unavailable" or states["core"] == "unavailable"
    return jsonify(status="degraded" if degraded else "ready", **states)
