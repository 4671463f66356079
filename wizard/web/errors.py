"""Error pages: a clear page with a 4xx status for the people, JSON for API clients, never a
stack trace. Wizard views raise `WizardError` to also tell the embedding page
(docs/events.md); `refusal` holds the one message and code of each way "this instance, this
user" can fail (wizard.web.guard)."""
from __future__ import annotations

from flask import Response, current_app, jsonify, render_template, request, session
from markupsafe import escape
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError

from ..core.base import CoreUnavailable
from ..texts import T

MESSAGES = {
    400: T("The request could not be understood. Reload the wizard from the application."),
    403: T("You are not allowed to open this page."),
    404: T("This page does not exist."),
    405: T("This page does not accept that kind of request."),
    413: T("What was sent is too large."),
    429: T("Too many requests. Wait a moment and try again."),
    500: T("Something went wrong on our side. Nothing you entered was lost; try again."),
}


class WizardError(HTTPException):
    """An error the wizard shows as a page and reports as `tray.configPopup.error`."""

    def __init__(self, status: int, machine_code: str, message: str, instance_id: str | None = None):
        super().__init__(description=message)
        self.code = status
        self.machine_code = machine_code
        self.instance_id = instance_id


# kind -> (HTTP status, event code, message): the guard's refusals, the same in every area.
REFUSALS = {
    "session_expired": (403, "session_expired",
                        T("This wizard session has ended: the wizard was opened again in another window, "
                          "or this one was left unused too long. Close this window; the newest wizard "
                          "window holds your work (or open the wizard again from the application).")),
    "other_instance": (403, "forbidden", T("This wizard session belongs to another integration.")),
    "not_owner": (403, "forbidden", T("You are not allowed to configure this integration.")),
    "not_found": (404, "not_found", T("This integration no longer exists.")),
    "core_unavailable": (503, "core_unavailable",
                         T("The service is not reachable right now. Nothing you entered was lost; try again in a moment.")),
    "unknown_address": (404, "not_found", T("This wizard address is not known here.")),
    "not_your_account": (404, "not_found", T("That account does not exist or is not yours.")),
    "no_account_step": (404, "not_found", T("This step has no account to connect.")),
    "dialog_expired": (403, "forbidden", T("This dialog has expired. Open it again from the application.")),
    "other_screen": (400, "bad_request", T("This form does not belong to this step. Reload the page.")),
}


def refusal(kind: str, instance_id: str | None = None) -> WizardError:
    status, code, message = REFUSALS[kind]
    return WizardError(status, code, message, instance_id)


def _wants_json() -> bool:
    return request.path.startswith(("/graphql", "/sandbox/api", "/sandbox/oauth/token")) or (
        request.accept_mimetypes.best == "application/json")


def render_error(status: int, message: str, machine_code: str | None = None, instance_id: str | None = None):
    if _wants_json():
        return jsonify(error=machine_code or "error", message=message), status
    try:
        return render_template("error.html", status=status, message=message,
                               machine_code=machine_code or "error", instance_id=instance_id,
                               retry_url=_retry_url(machine_code)), status
    except Exception:  # the page itself failed (no database, no session): a bare page, still ours
        current_app.logger.exception("the error page could not be rendered")
        return Response(BARE_PAGE.format(status=status, message=escape(str(message)),
                                         code=escape(machine_code or "error")), status, mimetype="text/html"), status


BARE_PAGE = ('<!doctype html><html lang="en"><meta charset="utf-8"><title>{status}</title>'
             '<body data-wizard-page="error" data-error-code="{code}"><h1>Something is not right</h1>'
             '<p>{message}</p><p>Error code: <code>{code}</code> · status {status}</p></body></html>')


def _retry_url(machine_code: str | None) -> str | None:
    """Where "Try again" leads when the core did not answer: the same page (a screen's POST: the
    screen again, with what was typed kept as its draft; Finish: the review)."""
    if machine_code != "core_unavailable" or not request.path.startswith(("/configure/", "/external/")) \
            or "code" in request.args:  # an entry: its code may be spent; the application opens it anew
        return None
    return request.full_path.rstrip("?") if request.method == "GET" else request.path


def register_error_handlers(app) -> None:
    @app.errorhandler(WizardError)
    def wizard_error(exc: WizardError):
        return render_error(exc.code, exc.description, exc.machine_code, exc.instance_id)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if isinstance(exc, SecurityError):
            # A Host outside TRUSTED_HOSTS: no URL can be built for it, so no page either.
            return Response("400 Bad Request: this server does not answer for that host name.\n", 400,
                            mimetype="text/plain")
        code = exc.code or 500
        message = MESSAGES.get(code) or exc.description
        # a session-bound route (its URL carries /s/<sid>) whose session did not load
        if isinstance(exc, CSRFError) and (request.view_args or {}).get("sid") and not getattr(session, "sid", None):
            # A form of a session that has ended (a newer code opened the instance in another tab,
            # or it timed out): its CSRF secret went with it, but the truth is "session ended".
            status, code, message = REFUSALS["session_expired"]
            return render_error(status, message, code, (request.view_args or {}).get("iid"))
        if isinstance(exc, CSRFError):
            message = T("This form has expired or was not sent by the wizard. Reload the page and try again.")
        return render_error(code, message, "forbidden" if code == 403 else None)

    @app.errorhandler(CoreUnavailable)
    def core_unavailable(exc: CoreUnavailable):
        """A remote core that did not answer in the middle of a page (the guard turns the same
        failure at the start of a request into this refusal too): nothing was lost, try again."""
        app.logger.warning("the core did not answer on %s %s", request.method, request.path)
        status, code, message = REFUSALS["core_unavailable"]
        return render_error(status, message, code, (request.view_args or {}).get("iid"))

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500, MESSAGES[500], "server_error")
