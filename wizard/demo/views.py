"""Thin views of the demo ISV page: the page, and its JSON backend under /demo/api/ (CSRF-protected
by Flask-WTF; the page sends the token as X-CSRFToken)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, jsonify, render_template, request

from ..core import CoreError, NotFound, embedded_core
from ..web.security import allow_frame_src
from . import isv

bp = Blueprint("demo", __name__, url_prefix="/demo")


@bp.before_request
def demo_enabled():
    """The whole area is a 404 when WIZARD_DEMO is off (production default)."""
    if not current_app.config.get("WIZARD_DEMO"):
        abort(404)


@bp.errorhandler(CoreError)
def core_error(exc: CoreError):
    status = 404 if isinstance(exc, NotFound) else 409
    return jsonify(error=exc.code, message=exc.message, fields=exc.fields), status


def _wizard_origin() -> str:
    parts = urlsplit(current_app.config["WIZARD_PUBLIC_URL"])
    return f"{parts.scheme}://{parts.netloc}"


@bp.get("")
def index():
    # The page frames the wizard (modal mode), which lives on WIZARD_PUBLIC_URL.
    allow_frame_src([_wizard_origin()])
    return render_template("demo/index.html", wizard_origin=_wizard_origin())


@bp.get("/api/state")
def state():
    user = isv.demo_user()
    return jsonify(user={"id": user.id, "externalUserId": user.external_user_id},
                   solutions=isv.solutions(), instances=isv.instances(user))


def _custom_validation() -> bool:
    return bool((request.get_json(silent=True) or {}).get("customValidation"))


@bp.post("/api/instances")
def create_instance():
    body = request.get_json(silent=True) or {}
    solution_id = str(body.get("solutionId") or "")
    user = isv.demo_user()
    inst, created = isv.configure(user, solution_id)
    return jsonify(instanceId=inst.id, reopened=not created,
                   url=isv.wizard_url(user, inst.id, _custom_validation())), 201 if created else 200


@bp.post("/api/instances/<instance_id>/wizard-url")
def edit_instance(instance_id: str):
    user = isv.demo_user()
    inst = isv.own_instance(user, instance_id)
    return jsonify(instanceId=inst.id, url=isv.wizard_url(user, inst.id, _custom_validation()))


@bp.post("/api/instances/<instance_id>/enable")
def enable(instance_id: str):
    inst = isv.own_instance(isv.demo_user(), instance_id)
    inst = embedded_core().set_enabled(inst.id, True, error_on_missing=True)
    return jsonify(instanceId=inst.id, enabled=inst.enabled)


@bp.post("/api/instances/<instance_id>/disable")
def disable(instance_id: str):
    inst = isv.own_instance(isv.demo_user(), instance_id)
    inst = embedded_core().set_enabled(inst.id, False)
    return jsonify(instanceId=inst.id, enabled=inst.enabled)


@bp.post("/api/instances/<instance_id>/delete")
def delete(instance_id: str):
    inst = isv.own_instance(isv.demo_user(), instance_id)
    embedded_core().delete_instance(inst.id)
    return jsonify(instanceId=inst.id, deleted=True)
