"""Well-known OAuth 2 providers: their endpoints and defaults, so that an ISV only supplies the
client id and secret (through the environment variables named here). A YAML entry with the same
name overrides any of these keys."""
from __future__ import annotations

PRESETS: dict[str, dict] = {
    "slack": {
        "title": "Slack",
        "auth": "oauth2",
        "authorize_url": "https://slack.com/oauth/v2/authorize",
        "token_url": "https://slack.com/api/oauth.v2.access",
        "scopes": ["channels:read"],
        "check_scopes": True,  # Slack echoes the granted scopes as asked (comma-separated)
        "identity": {"from": "token", "id": "team.id", "name": "team.name"},
        "client_id_env": "SLACK_CLIENT_ID",
        "client_secret_env": "SLACK_CLIENT_SECRET",
        "api_base": "https://slack.com/api",
        "test": {"method": "GET", "path": "/auth.test"},
        "options": {"channels": {"path": "/conversations.list", "items": "channels", "value": "id", "text": "name",
                                "scopes": ["channels:read"]}},
    },
    "google": {
        "title": "Google",
        "auth": "oauth2",
        "server_metadata_url": "https://accounts.google.com/.well-known/openid-configuration",
        "scopes": ["openid", "email", "profile"],
        # Google hands out a refresh token only for offline access with a fresh consent.
        "authorize_params": {"access_type": "offline", "prompt": "consent"},
        "client_id_env": "GOOGLE_CLIENT_ID",
        "client_secret_env": "GOOGLE_CLIENT_SECRET",
        "api_base": "https://www.googleapis.com",
        "test": {"method": "GET", "path": "/oauth2/v3/userinfo"},
        "identity": {"from": "test", "id": "sub", "name": "email"},
        "options": {"calendars": {"path": "/calendar/v3/users/me/calendarList", "items": "items",
                                  "value": "id", "text": "summary",
                                  "scopes": ["https://www.googleapis.com/auth/calendar.readonly"]}},
    },
    "github": {
        "title": "GitHub",
        "auth": "oauth2",
        "authorize_url": "https://github.com/login/oauth/authorize",
        "token_url": "https://github.com/login/oauth/access_token",
        "token_auth": "client_secret_post",
        "scopes": ["read:user"],
        "client_id_env": "GITHUB_CLIENT_ID",
        "client_secret_env": "GITHUB_CLIENT_SECRET",
        "api_base": "https://api.github.com",
        "test": {"method": "GET", "path": "/user"},
        "options": {"repos": {"path": "/user/repos", "items": "", "value": "full_name", "text": "full_name"}},
    },
    "salesforce": {
        "title": "Salesforce",
        "auth": "oauth2",
        "authorize_url": "https://login.salesforce.com/services/oauth2/authorize",
        "token_url": "https://login.salesforce.com/services/oauth2/token",
        "scopes": ["api", "refresh_token"],
        "client_id_env": "SALESFORCE_CLIENT_ID",
        "client_secret_env": "SALESFORCE_CLIENT_SECRET",
        # The token response names the org's own API host (instance_url): that is where its
        # API calls go; login.salesforce.com only serves the sign-in and userinfo.
        "api_base": "https://login.salesforce.com",
        "api_base_from": "instance_url",
        "test": {"method": "GET", "path": "/services/oauth2/userinfo"},
    },
    "hubspot": {
        "title": "HubSpot",
        "auth": "oauth2",
        "authorize_url": "https://app.hubspot.com/oauth/authorize",
        "token_url": "https://api.hubapi.com/oauth/v1/token",
        "token_auth": "client_secret_post",
        "scopes": ["oauth", "crm.objects.contacts.read"],
        "client_id_env": "HUBSPOT_CLIENT_ID",
        "client_secret_env": "HUBSPOT_CLIENT_SECRET",
        "api_base": "https://api.hubapi.com",
        "test": {"method": "GET", "path": "/account-info/v3/details"},
        "options": {"pipelines": {"path": "/crm/v3/pipelines/deals", "items": "results", "value": "id",
                                  "text": "label"}},
    },
}
