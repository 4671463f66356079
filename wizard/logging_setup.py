"""Logging that never writes a secret: session references, codes and tokens are redacted from
every record (the request log prints URLs, which carry them)."""
from __future__ import annotations

import logging
import re

REDACT = [
    (re.compile(r"/s/[A-Za-z0-9_-]{20,}"), "/s/[redacted]"),
    (re.compile(r"/console/sign-in/link/[A-Za-z0-9_-]+"), "/console/sign-in/link/[redacted]"),  # single-use links
    (re.compile(r"(?i)\b(code|token|access_token|refresh_token|state|nonce|code_verifier|client_secret|api_key|password)=([^&\s\"']+)"),
     r"\1=[redacted]"),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1[redacted]"),
    # dict / JSON reprs and "name: value" (Authlib logs issued tokens and PKCE verifiers at DEBUG)
    (re.compile(r"(?i)(\b(?:access_token|refresh_token|id_token|code_verifier|client_secret|api_key|password)"
                r"['\"]?\s*[:=]\s*['\"]?)[^\s'\"&,}]+"), r"\1[redacted]"),
]


def redact(text: str) -> str:
    for pattern, repl in REDACT:
        text = pattern.sub(repl, text)
    return text


class RedactingFormatter(logging.Formatter):
    """The whole line, traceback included (an exception's text may quote a URL with a code)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:
            return True
        record.msg, record.args = redact(msg), None
        return True


def _install_record_factory() -> None:
    """Redact every record where it is made, whatever logger made it and whatever handler
    (added now or later: Sentry, a dictConfig) receives it; filters alone miss records of child
    loggers (Authlib's) on handlers added after start-up."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacting", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        try:
            record.msg, record.args = redact(record.getMessage()), None
        except Exception:  # a broken format string: leave it for logging to report
            pass
        return record

    factory.redacting = True
    logging.setLogRecordFactory(factory)


def configure_logging(app) -> None:
    level = getattr(logging, str(app.config.get("LOG_LEVEL", "INFO")).upper(), logging.INFO)
    _install_record_factory()
    flt = RedactingFilter()
    for name in ("", "werkzeug", "gunicorn.access", "gunicorn.error", app.logger.name):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(flt)
    # Handlers too: records from child loggers skip parents' filters but not handlers'.
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    for handler in root.handlers + app.logger.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(flt)
    root.setLevel(min(root.level or level, level))
    app.logger.setLevel(level)
