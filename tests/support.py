"""Constants and helpers shared by test modules (imported as `support`; conftest files are not
importable unambiguously when several folders have one)."""
import json
import os

DEMO_SOLUTION = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "solutions", "slack-alerts.yaml")
MASTER = "mt_test_master_token_0123456789abcdef"


def gql_errors(body) -> list[str]:
    """The extensions.code of each GraphQL error of an answer."""
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


def dumps(value) -> str:
    return json.dumps(value)
