"""The data model, one module per area."""
from ._base import utcnow, new_id  # noqa: F401
from .users import ExternalUser, ApiToken, AuthorizationCode  # noqa: F401
from .solutions import Solution, SolutionVersion  # noqa: F401
from .instances import SolutionInstance, WizardProgress  # noqa: F401
from .authentications import Authentication  # noqa: F401
from .sessions import BrowserSession  # noqa: F401
from .connections import ConnectFlow, OAuthCacheEntry  # noqa: F401
