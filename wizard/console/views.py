"""The console's pages (docs/console.md). Thin: each view checks the role (`require`), calls
wizard.manage (or the webhooks, themes and core modules the API calls too), writes the audit
row and renders. Every change is a POST (CSRF checked in auth.check_csrf) answered by a redirect
to a GET page carrying a fixed note code, never text from the request."""
from __future__ import annotations

from datetime import timezone
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, abort, current_app, g, make_response, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from .. import manage
from ..core.base import CoreError, MissingValues
from ..extensions import db
from ..flow.render import preview_page
from ..solutions import DefinitionError, parse_definition
from ..themes import rules as theme_rules
from ..themes import store as theme_store
from ..themes.rules import ThemeError
from ..themes.views import PageTheme, theme_of
from ..webhooks import endpoints
from ..webhooks.endpoints import EndpointError
from ..webhooks.models import WebhookDelivery
from . import audit, auth
from .auth import SignInError, require
from .forms import (
    ActionForm, AuditFilterForm, DefinitionForm, DeliveryFilterForm, EndpointForm, InstanceFilterForm, OperatorChangeForm,
    OperatorForm, ReplayForm, ThemeForm, UserSearchForm,
)
from .models import Operator

bp = Blueprint("console", __name__, url_prefix="/console")
SAMPLE = Path(__file__).with_name("theme_sample.yaml")  # the theme preview's screen before any is published
# Every way of signing in: rate-limited per client address (wizard.console.register).
RATE_LIMITED = ("console.sign_in_start", "console.sign_in_callback", "console.sign_in_link_use")

NOTES = {
    "enabled": "The instance is enabled.", "disabled": "The instance is disabled.",
    "upgraded": "The instance now runs its newest version.", "removed": "Removed.",
    "released": "The user-specific version is released. The instance keeps its live version until its user "
                "finishes the upgrade in the wizard.",
    "published": "The version is published.", "retried": "The delivery is queued again.",
    "retried_all": "Every dead delivery is queued again.", "replayed": "The events are queued again.",
    "endpoint_added": "The endpoint is added.", "rotated": "The endpoint has a new signing secret.",
    "endpoint_disabled": "The endpoint is disabled.", "endpoint_enabled": "The endpoint is enabled.",
    "theme_saved": "The theme is saved.", "operator_saved": "The operator is saved.",
    "signed_out": "You are signed out.", "account_removed": "The account is removed.",
}


# -- the frame -------------------------------------------------------------------------------

@bp.before_request
def frame():
    """Called before every console request: off unless WIZARD_CONSOLE; the default look (no
    ISV theme); CSRF checked for every POST (auth.check_csrf)."""
    for key in ("console_session", "console_binding", "console_framable"):  # g may outlive a request (tests)
        g.pop(key, None)
    if not current_app.config.get("WIZARD_CONSOLE"):
        abort(404)
    g.page_theme = theme_of(None)
    if request.endpoint not in RATE_LIMITED:  # those check it in the view, after their rate limit
        auth.check_csrf()


@bp.after_request
def headers(response):
    """Never framed, never cached, no referrer; the sign-in binding cookie where a sign-in page
    was shown."""
    if g.get("console_framable"):  # the theme preview, in the themes page only
        g.frame_ancestors = ["'self'"]
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    else:
        g.frame_ancestors = None  # security.set_security_headers: frame-ancestors 'none'
        response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    if g.get("console_binding"):
        auth.set_binding(response)
    return response


@bp.errorhandler(401)
def _signed_out(_exc):
    """No console session: to the sign-in page (a 303, so a refused POST is not repeated)."""
    return redirect(url_for("console.sign_in"), 303)


@bp.context_processor
def _globals():
    return {"operator": auth.current_operator(), "may": auth.may, "console_csrf": auth.csrf_token, "notes": NOTES}


def _note():
    return NOTES.get(request.args.get("note", ""))


def _tristate(value: str | None):
    return {"yes": True, "no": False}.get(value or "")


# -- signing in and out ----------------------------------------------------------------------

@bp.get("/sign-in")
def sign_in():
    if auth.current_operator() is not None:
        return redirect(url_for("console.overview"))
    if not auth.binding():
        g.console_binding = auth.new_secret()
    settings = auth.oidc_settings(current_app.config)
    return render_template("console/sign_in.html", form=ActionForm(), idp=settings["title"] if settings else None,
                           note=_note(), problem=None)


@bp.post("/sign-in")
def sign_in_start():
    """Leave for the IdP (Authlib makes state, nonce and the PKCE verifier)."""
    auth.check_csrf()
    client = auth.oidc_client()
    if client is None:
        abort(404)
    try:
        return client.authorize_redirect(auth.redirect_uri())
    except (OSError, ValueError, KeyError) as exc:  # the discovery document could not be read
        current_app.logger.warning("console sign-in: the identity provider did not answer (%s)", type(exc).__name__)
        return _sign_in_problem("The identity provider did not answer. Try again in a moment.")


@bp.get("/sign-in/callback")
def sign_in_callback():
    try:
        operator = auth.finish_oidc()
    except SignInError as exc:
        audit_refusal("sign_in_refused", str(exc))
        return _sign_in_problem(str(exc))
    return _signed_in(operator, "sign_in")


@bp.get("/sign-in/link/<token>")
def sign_in_link(token: str):
    """A link from `flask console sign-in-link`: opening it only shows a button (a mail
    scanner's GET must not use it up); the POST signs in."""
    if not auth.binding():
        g.console_binding = auth.new_secret()
    if not auth.link_is_usable(token):
        return _sign_in_problem("This sign-in link is not valid: it was used already, has expired, or was never "
                                "made. Ask for a new one.")
    return render_template("console/sign_in_link.html", form=ActionForm())


@bp.post("/sign-in/link/<token>")
def sign_in_link_use(token: str):
    auth.check_csrf()
    try:
        operator = auth.use_sign_in_link(token)
    except SignInError as exc:
        return _sign_in_problem(str(exc))
    return _signed_in(operator, "sign_in_link")


def audit_refusal(action: str, reason: str) -> None:
    audit.record(action, email="?", role="-", reason=reason[:200])


def _sign_in_problem(message: str):
    if not auth.binding():
        g.console_binding = auth.new_secret()
    settings = auth.oidc_settings(current_app.config)
    return render_template("console/sign_in.html", form=ActionForm(), idp=settings["title"] if settings else None,
                           note=None, problem=message), 403


def _signed_in(operator: Operator, action: str):
    """A page of our own that moves on to the console: the Strict cookie set here is sent by
    the next, same-site, navigation (a redirect chain that began at the IdP would not carry it)."""
    response = make_response(render_template("console/signed_in.html", operator=operator))
    auth.start_session(operator, response)
    audit.record(action, "operator", operator.id, email=operator.email, role=operator.role)
    return response


@bp.post("/sign-out")
@require("viewer")
def sign_out():
    audit.record("sign_out", "operator", auth.current_operator().id)
    response = redirect(url_for("console.sign_in", note="signed_out"), 303)
    auth.end_session(response)
    return response


# -- overview, users ---------------------------------------------------------------------------

@bp.get("/")
@require("viewer")
def overview():
    return render_template("console/overview.html", counts=manage.overview(), note=_note())


@bp.get("/users")
@require("viewer")
def users():
    form = UserSearchForm(request.args)
    try:
        page = manage.list_users(q=form.q.data or None, after=request.args.get("after"))
    except CoreError:
        abort(400)
    return render_template("console/users.html", form=form, page=page, note=_note())


@bp.get("/users/<user_id>")
@require("viewer")
def user(user_id: str):
    data = _or_404(manage.show_user, user_id)
    return render_template("console/user.html", user=data, form=ActionForm(), note=_note())


@bp.get("/users/<user_id>/remove")
@require("admin")
def user_remove_confirm(user_id: str):
    return render_template("console/user_remove.html", what=_or_404(manage.removal_of_user, user_id), form=ActionForm())


@bp.post("/users/<user_id>/remove")
@require("admin")
def user_remove(user_id: str):
    what = _or_404(manage.removal_of_user, user_id)
    external = what["user"].external_user_id
    manage.remove_user(user_id)
    audit.record("user.remove", "user", user_id, externalUserId=external, instances=len(what["instances"]),
                 accounts=len(what["accounts"]))
    return redirect(url_for("console.users", note="removed"), 303)


@bp.post("/accounts/<auth_id>/remove")
@require("admin")
def account_remove(auth_id: str):
    from ..models import Authentication

    row = db.session.get(Authentication, auth_id) or abort(404)
    owner = row.owner_id
    _or_404(manage.remove_account, auth_id)
    audit.record("account.remove", "account", auth_id, user=owner)
    return redirect(url_for("console.user", user_id=owner, note="account_removed"), 303)


# -- instances -------------------------------------------------------------------------------

@bp.get("/instances")
@require("viewer")
def instances():
    form = InstanceFilterForm(request.args)
    try:
        page = manage.list_instances(after=request.args.get("after"), solution_id=form.solution.data or None,
                                     enabled=_tristate(form.enabled.data), needs_upgrade=_tristate(form.needs_upgrade.data),
                                     user_specific=_tristate(form.user_specific.data))
    except CoreError:
        abort(400)
    args = {k: v for k, v in request.args.items() if k not in ("after", "note") and v}
    back = url_for("console.instances", after=request.args.get("after") or None, **args)
    return render_template("console/instances.html", form=form, page=page, action=ActionForm(), args=args,
                           back=back, note=_note())


@bp.get("/instances/<instance_id>")
@require("viewer")
def instance(instance_id: str):
    data = _or_404(manage.show_instance, instance_id)
    return render_template("console/instance.html", inst=data, timeline=manage.instance_timeline(instance_id),
                           form=ActionForm(), note=_note(), problem=None)


def _back(instance_id: str, note: str):
    """Back to the list when the button was on the list (its filters kept), else the detail."""
    back = request.form.get("back", "")
    if back.startswith("/console/instances") and "//" not in back:
        return redirect(back + ("&" if "?" in back else "?") + f"note={note}", 303)
    return redirect(url_for("console.instance", instance_id=instance_id, note=note), 303)


@bp.post("/instances/<instance_id>/enable")
@require("support")
def instance_enable(instance_id: str):
    try:
        manage.set_enabled(instance_id, True)
    except MissingValues as exc:
        return _instance_problem(instance_id, "It cannot be enabled: required values are missing: "
                                 + ", ".join(exc.missing) + ".")
    except CoreError as exc:
        return _core_problem(instance_id, exc)
    audit.record("instance.enable", "instance", instance_id)
    return _back(instance_id, "enabled")


@bp.post("/instances/<instance_id>/disable")
@require("support")
def instance_disable(instance_id: str):
    try:
        manage.set_enabled(instance_id, False)
    except CoreError as exc:
        return _core_problem(instance_id, exc)
    audit.record("instance.disable", "instance", instance_id)
    return _back(instance_id, "disabled")


@bp.post("/instances/<instance_id>/upgrade")
@require("support")
def instance_upgrade(instance_id: str):
    try:
        data = manage.upgrade(instance_id)
    except MissingValues as exc:
        return _instance_problem(instance_id, "The newest version needs the user's input ("
                                 + ", ".join(exc.missing) + "): they upgrade through the wizard.")
    except CoreError as exc:
        return _core_problem(instance_id, exc)
    audit.record("instance.upgrade", "instance", instance_id, version=data.version)
    return _back(instance_id, "upgraded")


@bp.get("/instances/<instance_id>/remove")
@require("admin")
def instance_remove_confirm(instance_id: str):
    return render_template("console/instance_remove.html", inst=_or_404(manage.show_instance, instance_id),
                           form=ActionForm())


@bp.post("/instances/<instance_id>/remove")
@require("admin")
def instance_remove(instance_id: str):
    _or_404(manage.remove_instance, instance_id)
    audit.record("instance.remove", "instance", instance_id)
    return redirect(url_for("console.instances", note="removed"), 303)


def _core_problem(instance_id: str, exc: CoreError):
    if exc.code == "not_found":
        abort(404)
    return _instance_problem(instance_id, exc.message)


def _instance_problem(instance_id: str, message: str):
    data = _or_404(manage.show_instance, instance_id)
    return render_template("console/instance.html", inst=data, timeline=manage.instance_timeline(instance_id),
                           form=ActionForm(), note=None, problem=message), 422


# -- the installation manager: a user-specific version of one instance ------------------------

@bp.route("/instances/<instance_id>/version", methods=["GET", "POST"])
@require("admin")
def instance_version(instance_id: str):
    data = _or_404(manage.show_instance, instance_id)
    form = DefinitionForm()
    checked = errors = None
    if request.method == "GET":
        form.definition.data = manage.instance_source(instance_id)
    else:
        text = _definition_text(form)
        try:
            new = manage.check_definition(text)
            if form.release.data:
                version = manage.publish(text, for_instance_id=instance_id)
                audit.record("version.release", "instance", instance_id, solution=version.solution_id,
                             version=version.version)
                return redirect(url_for("console.instance", instance_id=instance_id, note="released"), 303)
            from ..solutions import versions

            checked = versions.diff(data["definition"], new)
        except DefinitionError as exc:
            errors = exc.errors
        except CoreError as exc:
            errors = [exc.message]
    return render_template("console/version.html", inst=data, form=form, checked=checked, errors=errors), \
        (422 if errors else 200)


def _definition_text(form) -> str:
    upload = request.files.get("upload")
    if upload is not None and upload.filename:
        return upload.read(200_001).decode("utf-8", errors="replace")
    return form.definition.data or ""


# -- solutions -------------------------------------------------------------------------------

@bp.get("/solutions")
@require("viewer")
def solutions():
    return render_template("console/solutions.html", solutions=manage.list_solutions(), form=DefinitionForm(),
                           note=_note(), errors=None)


@bp.post("/solutions")
@require("admin")
def solutions_publish():
    form = DefinitionForm()
    text = _definition_text(form)
    try:
        if form.release.data:
            version = manage.publish(text)
            audit.record("version.publish", "solution", version.solution_id, version=version.version)
            return redirect(url_for("console.solution", solution_id=version.solution_id, note="published"), 303)
        manage.check_definition(text)
        errors = []
    except DefinitionError as exc:
        errors = exc.errors
    except CoreError as exc:
        errors = [exc.message]
    return render_template("console/solutions.html", solutions=manage.list_solutions(), form=form, note=None,
                           errors=errors, checked=not errors), (422 if errors else 200)


@bp.get("/solutions/<solution_id>")
@require("viewer")
def solution(solution_id: str):
    versions = _or_404(manage.solution_versions, solution_id)
    numbers = [v["version"] for v in versions]
    diff = None
    try:
        a, b = int(request.args.get("from", 0)), int(request.args.get("to", 0))
    except ValueError:
        a = b = 0
    if a in numbers and b in numbers:
        diff = manage.version_diff(solution_id, a, b)
    return render_template("console/solution.html", solution_id=solution_id, versions=versions, diff=diff,
                           a=a, b=b, note=_note())


# -- webhooks --------------------------------------------------------------------------------

@bp.get("/webhooks")
@require("viewer")
def webhooks():
    form = DeliveryFilterForm(request.args)
    stmt = endpoints.deliveries_query(endpoint_id=form.endpoint.data or None, status=form.status.data or None,
                                      event_type=form.event_type.data or None, subject=form.subject.data or None)
    before = request.args.get("before", "")
    if before.isdigit():
        stmt = stmt.where(WebhookDelivery.id < int(before))
    rows = db.session.scalars(stmt.order_by(WebhookDelivery.id.desc()).limit(51)).all()
    more = rows[49].id if len(rows) > 50 else None
    args = {k: v for k, v in request.args.items() if k not in ("before", "note") and v}
    return render_template("console/webhooks.html", form=form, deliveries=rows[:50], more=more, args=args,
                           endpoints=endpoints.list_endpoints(), action=ActionForm(), add=EndpointForm(),
                           replay=ReplayForm(), note=_note(), secret=None, problem=None)


@bp.get("/webhooks/deliveries/<int:delivery_id>")
@require("viewer")
def delivery(delivery_id: str):
    try:
        row = endpoints.get_delivery(delivery_id)
    except EndpointError:
        abort(404)
    return render_template("console/delivery.html", d=row, attempts=endpoints.attempts_of(row.id), form=ActionForm(),
                           note=_note())


@bp.post("/webhooks/deliveries/<int:delivery_id>/retry")
@require("support")
def delivery_retry(delivery_id: int):
    try:
        endpoints.retry(delivery_id)
    except EndpointError as exc:
        if exc.reason == "not_found":
            abort(404)
        abort(409, exc.message)
    audit.record("delivery.retry", "delivery", delivery_id)
    return redirect(url_for("console.delivery", delivery_id=delivery_id, note="retried"), 303)


@bp.post("/webhooks/retry-dead")
@require("support")
def deliveries_retry_dead():
    count = endpoints.retry_dead()
    audit.record("delivery.retry_dead", "delivery", "", count=count)
    return redirect(url_for("console.webhooks", note="retried_all"), 303)


@bp.post("/webhooks/replay")
@require("support")
def deliveries_replay():
    form = ReplayForm()
    if not form.validate():
        abort(400)
    since = form.since.data.replace(tzinfo=timezone.utc)
    try:
        out = endpoints.replay(since=since, endpoint_id=form.endpoint.data or None)
    except EndpointError as exc:
        abort(404 if exc.reason == "not_found" else 400, exc.message)
    audit.record("events.replay", "endpoint", form.endpoint.data or "", since=since.isoformat(), deliveries=len(out))
    return redirect(url_for("console.webhooks", note="replayed"), 303)


@bp.post("/webhooks/endpoints")
@require("admin")
def endpoint_add():
    form = EndpointForm()
    try:
        if not form.validate():
            raise EndpointError("url", "must be an http(s) URL")
        endpoint, secret = endpoints.create(form.url.data, description=form.description.data or "")
    except EndpointError as exc:
        return _webhooks_problem(exc.message)
    audit.record("endpoint.add", "endpoint", endpoint.id, url=endpoint.url)
    return _webhooks_secret(endpoint, secret)


@bp.post("/webhooks/endpoints/<endpoint_id>/rotate")
@require("admin")
def endpoint_rotate(endpoint_id: str):
    try:
        endpoint, secret = endpoints.rotate_secret(endpoint_id)
    except EndpointError:
        abort(404)
    audit.record("endpoint.rotate", "endpoint", endpoint_id)
    return _webhooks_secret(endpoint, secret)


@bp.post("/webhooks/endpoints/<endpoint_id>/<any(enable, disable):change>")
@require("admin")
def endpoint_toggle(endpoint_id: str, change: str):
    try:
        endpoints.update(endpoint_id, enabled=change == "enable")
    except EndpointError:
        abort(404)
    audit.record(f"endpoint.{change}", "endpoint", endpoint_id)
    return redirect(url_for("console.webhooks", note=f"endpoint_{change}d"), 303)


def _webhooks_secret(endpoint, secret: str):
    """The new signing secret, shown once on this page (no-store), never logged or audited."""
    return render_template("console/endpoint_secret.html", endpoint=endpoint, secret=secret, problem=None)


def _webhooks_problem(message: str):
    return render_template("console/endpoint_secret.html", endpoint=None, secret=None, problem=message), 422


# -- themes ----------------------------------------------------------------------------------

def _preview_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="console-theme-preview")


def _verdicts(colors: dict) -> list[dict]:
    out = []
    for fg, bg, minimum in theme_rules.PAIRS:
        value = theme_rules.contrast(colors[fg], colors[bg])
        out.append({"fg": fg, "bg": bg, "ratio": theme_rules.ratio_text(value), "minimum": f"{minimum:g}",
                    "ok": value >= minimum})
    return out


@bp.get("/themes")
@require("viewer")
def themes():
    eid = request.args.get("embedded", "").strip()
    form = ThemeForm()
    described = None
    if eid:
        try:
            described = theme_store.describe(eid)
        except ThemeError:
            abort(404)
        form.embedded_id.data = eid
        form.product_name.data = described["productName"]
        for name, value in described["colors"].items():
            getattr(form, name).data = value
        form.corner_radius.data = described["cornerRadius"]
        form.custom_css.data = described["customCss"]
    colors = described["colors"] if described else dict(theme_rules.DEFAULT_COLORS)
    if not described:  # a new theme starts from the default look
        for name, value in colors.items():
            getattr(form, name).data = value
        form.corner_radius.data = theme_rules.DEFAULT.corner_radius
    return render_template("console/themes.html", themes=theme_store.all_themes(), form=form, eid=eid,
                           verdicts=_verdicts(colors), preview=None, problem=None, note=_note())


@bp.post("/themes")
@require("admin")
def theme_save():
    form = ThemeForm()
    eid = (form.embedded_id.data or "").strip()
    colors = {name: (getattr(form, name).data or "").strip() for name in theme_rules.COLOR_NAMES}
    upload = request.files.get("logo")
    logo = upload.read(512 * 1024 + 1) if upload is not None and upload.filename else None
    try:
        theme_store.check_embedded_id(eid)
        theme = theme_rules.check(theme_rules.DEFAULT, product_name=form.product_name.data or "", colors=colors,
                                  corner_radius=form.corner_radius.data if form.corner_radius.data is not None else 8,
                                  custom_css=form.custom_css.data or "")
        if logo is not None:
            theme_rules.check_logo(logo)
    except ThemeError as exc:
        shown = {n: c for n, c in colors.items() if theme_rules.HEX.fullmatch(c or "")}
        return render_template("console/themes.html", themes=theme_store.all_themes(), form=form, eid=eid,
                               verdicts=_verdicts({**theme_rules.DEFAULT_COLORS, **shown}), preview=None,
                               problem=f"{exc.field}: {exc.message}", note=None), 422
    if form.save.data:
        theme_store.update(eid, reset=True, product_name=theme.product_name, colors=dict(theme.colors),
                           corner_radius=theme.corner_radius, custom_css=theme.custom_css, logo=logo)
        audit.record("theme.save", "theme", eid)
        return redirect(url_for("console.themes", embedded=eid, note="theme_saved"), 303)
    token = _preview_serializer().dumps({"e": eid, "p": theme.product_name, "c": theme.colors,
                                         "r": theme.corner_radius, "s": theme.custom_css})
    return render_template("console/themes.html", themes=theme_store.all_themes(), form=form, eid=eid,
                           verdicts=_verdicts(theme.colors), preview=url_for("console.theme_preview", t=token),
                           problem=None, note=None)


@lru_cache(maxsize=1)
def _sample_definition() -> dict:
    """The built-in screen of the preview (theme_sample.yaml), checked by the solution format's
    own rules; parsed once (one object, as a published version's definition is)."""
    return parse_definition(SAMPLE.read_text(encoding="utf-8"))


@bp.get("/themes/preview")
@require("viewer")
def theme_preview():
    """A real wizard screen in the theme being edited (not saved yet), framed by the themes page:
    the first screen of the solution version published last (else the built-in sample) rendered
    by the wizard's own templates (flow.render.preview_page), under the unsaved theme's stylesheet.
    Nothing is created for it: no user, instance, session or progress."""
    try:
        data = _preview_serializer().loads(request.args.get("t", ""))
    except BadSignature:
        abort(400)
    g.console_framable = True
    saved = theme_of(theme_store.get(data.get("e")))  # an unsaved logo is not in the token: the saved one
    g.page_theme = PageTheme(product_name=data["p"] or saved.product_name, custom=True, logo_url=saved.logo_url,
                             stylesheet_url=url_for("console.theme_preview_css", t=request.args["t"]))
    definition = manage.newest_definition() or _sample_definition()
    body, status = preview_page(definition, example_error="An example of an error message.")
    return make_response(body, status)


@bp.get("/themes/preview.css")
@require("viewer")
def theme_preview_css():
    try:
        data = _preview_serializer().loads(request.args.get("t", ""))
    except BadSignature:
        abort(400)
    theme = theme_rules.Theme(product_name=data["p"], colors=data["c"], corner_radius=data["r"], custom_css=data["s"])
    response = make_response(theme_rules.stylesheet(theme))
    response.mimetype = "text/css"
    return response


# -- operators and the audit log -------------------------------------------------------------

@bp.get("/operators")
@require("admin")
def operators():
    rows = db.session.scalars(db.select(Operator).order_by(Operator.email)).all()
    return render_template("console/operators.html", operators=rows, form=OperatorForm(), note=_note())


@bp.post("/operators")
@require("admin")
def operator_add():
    form = OperatorForm()
    if not form.validate():
        abort(400)
    email = form.email.data.strip().lower()
    row = db.session.scalar(db.select(Operator).where(Operator.email == email))
    if row is None:
        row = Operator(email=email, role=form.role.data)
        db.session.add(row)
    row.role = form.role.data
    db.session.commit()
    audit.record("operator.save", "operator", row.id, email_of=email, new_role=row.role)
    return redirect(url_for("console.operators", note="operator_saved"), 303)


@bp.post("/operators/<operator_id>")
@require("admin")
def operator_change(operator_id: str):
    row = db.session.get(Operator, operator_id) or abort(404)
    form = OperatorChangeForm()
    if not form.validate():
        abort(400)
    if row.id == auth.current_operator().id and (form.disabled.data or form.role.data != "admin"):
        abort(409, "You cannot take away your own admin role.")
    row.role, row.disabled = form.role.data, bool(form.disabled.data)
    db.session.commit()
    audit.record("operator.change", "operator", row.id, email_of=row.email, new_role=row.role, disabled=row.disabled)
    return redirect(url_for("console.operators", note="operator_saved"), 303)


@bp.get("/audit")
@require("viewer")
def audit_log():
    form = AuditFilterForm(request.args)
    before = request.args.get("before", "")
    rows, more = audit.entries(before=int(before) if before.isdigit() else None, operator=form.operator.data or None,
                               action=form.action.data or None, object_id=form.object_id.data or None)
    args = {k: v for k, v in request.args.items() if k != "before" and v}
    return render_template("console/audit.html", form=form, entries=rows, more=more, args=args)


# -- helpers ---------------------------------------------------------------------------------

def _or_404(fn, *args):
    try:
        return fn(*args)
    except CoreError as exc:
        if exc.code == "not_found":
            abort(404)
        raise
