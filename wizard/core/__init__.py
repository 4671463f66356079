"""The core: `get_core()` is what the wizard calls; embedded by default, remote when
WIZARD_CORE_URL is set."""
from flask import current_app

from .base import (  # noqa: F401
    Core, CoreError, CoreUnavailable, Forbidden, InstanceData, InvalidValues, MissingValues, NotFound,
    VersionFlags,
)
from .embedded import EmbeddedCore
from .remote import RemoteCore


def get_core() -> Core:
    """The app's core, made once per app."""
    core = current_app.extensions.get("wizard_core")
    if core is None:
        url = current_app.config.get("WIZARD_CORE_URL")
        if url:
            core = RemoteCore(url, current_app.config.get("WIZARD_CORE_TOKEN") or "")
        else:
            core = EmbeddedCore()
        current_app.extensions["wizard_core"] = core
    return core


def embedded_core() -> EmbeddedCore:
    """The core on this app's database (API, CLI, demo): always embedded."""
    return current_app.extensions.setdefault("wizard_embedded_core", EmbeddedCore())
