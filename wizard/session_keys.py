"""The keys of the server-side session (wizard.web.session), in one place: each area reads and
writes the session only through these names and helpers, never through string literals.

  WIZARD      {"user_id", "instance_id", "options"}: the wizard session's binding (set at entry)
  CONNECTED   {slot: authId}: accounts connected in the popup, not yet shown by the wizard
  ERRORS      {"screen", "errors"}: why Finish sent the user back to a screen (shown once)
  INFO        {"screen", "text"}: a one-time note for the screen Finish sent the user back to
  SHOWN       {"screen", "errors", "info", "problem", "focus", "status"}: what a screen's POST had
              to say, shown once by the GET it redirects to (post/redirect/get, flow.actions)
  READY       True from entry until the first page has said tray.configPopup.ready
  AUTH_DIALOG {"user_id", "service", "scopes", "instance_id", "slot", "reauth_id"}: the
              auth-only dialog's binding
  THEME       the embeddedId of the Tray-style URL the session was opened with (whose theme it wears)
  ENDED       True once Finish succeeded: the session opens only its outcome (wizard.web.session)
  LANG        the language a `lang` parameter chose (wizard.i18n); an entry's `lang` survives `start`
"""
from __future__ import annotations

from flask import request, session

WIZARD = "wizard"
CONNECTED = "wizard_connected"
ERRORS = "wizard_errors"
INFO = "wizard_info"
SHOWN = "wizard_shown"
READY = "wizard_ready_pending"
AUTH_DIALOG = "auth_dialog"
ENDED = "session_ended"
LANG = "lang"
THEME = "theme"


def start(key: str, binding: dict) -> str:
    """A fresh session (never one the browser brought) holding only `binding` under `key`;
    returns the new session reference."""
    lang = session.get(LANG) if request.args.get("lang") else None  # chosen by this entry's `lang`
    session.clear()
    ref = session.regenerate()
    session[key] = binding
    if lang:
        session[LANG] = lang
    return ref


def binding(key: str = WIZARD) -> dict:
    return session._get_current_object().get(key) or {}  # (session.get through the proxy: ~5x the cost)


def add_connected(data, slot: str, auth_id: str) -> None:
    """Record an account connected for `slot` in a session's data (the live session, or the
    stored data of another request's session)."""
    data[CONNECTED] = {**(data.get(CONNECTED) or {}), slot: auth_id}


def connected_for(slot: str) -> str | None:
    return (session.get(CONNECTED) or {}).get(slot)


def take_connected() -> dict:
    """Accounts connected in the popup since the last page (then forgotten)."""
    state = session._get_current_object()  # the proxy looked up once (every page asks)
    connected = state.get(CONNECTED) or {}
    if connected:
        state.pop(CONNECTED, None)
    return dict(connected)
