"""The core: `get_core()` is what the wizard calls; embedded by default, remote when
WIZARD_CORE_URL is set. Whether it is one or the other is asked of the `Core` interface only;
no module outside this package and the app factory imports wizard.core.embedded (.importlinter).
The core's own API (api/, the CLI, the demo ISV) works on this database: `embedded_core()`."""
from flask import current_app

from ..extensions import per_app
from .base import (  # noqa: F401
    AccountData, CodeError, Core, CoreError, CoreUnavailable, Forbidden, InstanceData, InstanceRead, InvalidValues,
    MissingValues, NotFound, VersionFlags,
)
from .embedded import (  # noqa: F401  (the embedded core's reads for its own API: api/, demo/)
    EmbeddedCore, cursor_for, decode_cursor, latest_shared_version, latest_shared_versions, preload, version_definition,
)
from .remote import RemoteCore


def get_core() -> Core:
    """The app's core, made once per app."""
    app = current_app._get_current_object()  # the proxy looked up once (twice a page)
    cfg = app.config
    url = cfg.get("WIZARD_CORE_URL")
    return per_app("wizard_core", lambda: RemoteCore(url, cfg.get("WIZARD_CORE_TOKEN") or "",
                                                     timeout=float(cfg.get("WIZARD_CORE_TIMEOUT") or 10))
                   if url else EmbeddedCore(), app=app)


def embedded_core() -> EmbeddedCore:
    """The core on this app's database (API, CLI, demo): always embedded."""
    return per_app("wizard_embedded_core", EmbeddedCore)
