"""A test solution with every slot type of docs/solution-format.md, for the accessibility tour."""

EVERY_TYPE = {
    "id": "every-type",
    "title": "Every slot type",
    "description": "One of each kind of field.",
    "autoEnable": True,
    "auth": [{"externalId": "sandbox_auth", "service": "sandbox", "title": "Your Sandbox workspace",
              "scopes": ["channels:read"]}],
    "screens": [
        {"title": "Connect", "description": "Connect the workspace.", "slots": ["sandbox_auth"]},
        {"title": "Text", "description": "Words and addresses.", "slots": [
            {"externalId": "team", "title": "Team name", "type": "string", "required": True,
             "help": "Shown in every message.", "placeholder": "Ops team", "maxLength": 40},
            {"externalId": "intro", "title": "Message", "type": "text", "help": "Sent before each alert."},
            {"externalId": "hook_secret", "title": "Webhook secret", "type": "secret", "required": True},
            {"externalId": "contact", "title": "Contact email", "type": "email", "required": True},
            {"externalId": "site", "title": "Status page", "type": "url", "help": "An https:// address."},
        ]},
        {"title": "Numbers and choices", "slots": [
            {"externalId": "ratio", "title": "Sampling ratio", "type": "number", "min": 0, "max": 1},
            {"externalId": "retries", "title": "Retries", "type": "integer", "required": True,
             "min": 1, "max": 10, "default": 3},
            {"externalId": "active", "title": "Send on weekends", "type": "boolean", "help": "Saturday and Sunday."},
            {"externalId": "start", "title": "Start date", "type": "date"},
            {"externalId": "quiet_from", "title": "Quiet from", "type": "time", "help": "24-hour clock."},
            {"externalId": "level", "title": "Level", "type": "select", "required": True,
             "options": [{"value": "low", "text": "Low"}, {"value": "high", "text": "High"}]},
            {"externalId": "topics", "title": "Topics", "type": "multiselect", "required": True,
             "options": [{"value": "deploy"}, {"value": "outage"}]},
            {"externalId": "channel", "title": "Channel", "type": "select", "required": True,
             "options": {"source": "sandbox.channels", "auth": "sandbox_auth"}},
        ]},
        {"title": "Structured", "slots": [
            {"externalId": "payload", "title": "Extra payload", "type": "json", "required": True,
             "help": "A JSON object with a source key.",
             "schema": {"type": "object", "required": ["source"]}},
            {"externalId": "field_map", "title": "Field mapping", "type": "mapping",
             "lhs": {"title": "Acme field", "options": [{"value": "title"}, {"value": "severity"}]},
             "rhs": {"title": "Sandbox field"}},
        ]},
    ],
}
