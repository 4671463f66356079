"""One complete wizard journey over HTTP, as a browser makes it (the bench and the Locust file
share it). `http` is a requests.Session or Locust's HttpSession; paths are relative to its base.
Each step's answer is kept with its name, so the bench can read the statements header
(X-Bench-Statements, bench/benchapp.py) and bytes of each."""
from __future__ import annotations

import re

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SOLUTION_ID = "bench"

# Three screens, the slot types a real solution mixes: text, choices, numbers, a secret.
DEFINITION = {
    "id": SOLUTION_ID, "title": "Bench alerts", "description": "The benchmark's solution.",
    "screens": [
        {"title": "Basics", "slots": [
            {"externalId": "channel", "title": "Channel", "type": "string", "required": True},
            {"externalId": "level", "title": "Level", "type": "select", "default": "errors",
             "options": [{"value": "all", "text": "Everything"}, {"value": "errors", "text": "Errors only"}]},
            {"externalId": "keywords", "title": "Keywords", "type": "multiselect",
             "options": [{"value": "deploy"}, {"value": "outage"}, {"value": "billing"}], "showIf": {"level": "all"}},
        ]},
        {"title": "Limits", "slots": [
            {"externalId": "threshold", "title": "Threshold", "type": "integer", "min": 1, "max": 100, "default": 5},
            {"externalId": "email", "title": "Digest email", "type": "email"},
            {"externalId": "digest", "title": "Daily digest", "type": "boolean"},
        ]},
        {"title": "Secrets", "slots": [
            {"externalId": "notes", "title": "Notes", "type": "text"},
            {"externalId": "api_key", "title": "API key", "type": "secret"},
        ]},
    ],
}


def screens_for(n: int) -> list[dict]:
    """What journey number `n` types on each screen (different per journey, so that a value that
    lands in another instance is caught)."""
    return [
        {"channel": f"#alerts-{n}", "level": "all", "keywords": ["deploy", "outage"]},
        {"threshold": str(n % 100 + 1), "email": f"ops{n}@example.com", "digest": "y"},
        {"notes": f"journey {n}", "api_key": f"key-{n}"},
    ]


def expected_values(n: int) -> dict:
    """The instance's config values after journey `n` finished (the secret is checked decrypted)."""
    return {"channel": f"#alerts-{n}", "level": "all", "keywords": ["deploy", "outage"],
            "threshold": n % 100 + 1, "email": f"ops{n}@example.com", "digest": True,
            "notes": f"journey {n}", "api_key": f"key-{n}"}


# GraphQL pages with every field (the bench, and tests/test_statement_counts.py)
INSTANCES_QUERY = """query($first: Int, $after: String) { solutionInstances(first: $first, after: $after) {
  edges { cursor node { id name enabled created owner version newestVersion definition newestDefinition
    configValues { externalId value } authValues { externalId authId }
    solutionVersionFlags { hasNewerVersion requiresUserInputToUpdateVersion requiresSystemInputToUpdateVersion }
    workflows { edges { node { id } } }
    solution { id title description tags customFields { key value } version
      configSlots { externalId title type required hidden defaultValue } authSlots { externalId title } } } }
  pageInfo { hasNextPage endCursor } } }"""
SOLUTIONS_QUERY = """query($first: Int) { solutions(first: $first) { edges { node { id title description tags
  customFields { key value } version configSlots { externalId title type required hidden defaultValue }
  authSlots { externalId title } } } pageInfo { hasNextPage endCursor } } }"""


class JourneyError(AssertionError):
    pass


def _expect(resp, status, what):
    if resp.status_code != status:
        raise JourneyError(f"{what}: {resp.status_code} {resp.text[:300]!r}")
    return resp


def _pairs(data: dict) -> list[tuple[str, str]]:
    out = []
    for k, v in data.items():
        out += [(k, x) for x in v] if isinstance(v, list) else [(k, v)]
    return out


def run(http, iid: str, code: str, n: int, steps: list | None = None, **kw) -> None:
    """Enter with `code`, fill every screen with `screens_for(n)`, open the review, Finish, see
    Done. `steps` (a list) receives (name, response) of each request. Raises JourneyError."""
    steps = steps if steps is not None else []

    def get(name, path, status=200):
        resp = http.get(path, allow_redirects=False, name=name, **kw) if _named(http) else \
            http.get(path, allow_redirects=False, **kw)
        steps.append((name, resp))
        return _expect(resp, status, name)

    def post(name, path, data, status=303):
        resp = http.post(path, data=data, allow_redirects=False, name=name, **kw) if _named(http) else \
            http.post(path, data=data, allow_redirects=False, **kw)
        steps.append((name, resp))
        return _expect(resp, status, name)

    where = _path(get("entry", f"/configure/{iid}?code={code}", 303).headers["Location"])
    base = where.split("/s/")[0] + "/s/" + where.split("/s/")[1].split("/")[0]
    where = _path(get("index", where, 303).headers["Location"])
    for number, values in enumerate(screens_for(n), start=1):
        if not where.endswith(f"/screen/{number}"):
            raise JourneyError(f"expected screen {number}, went to {where}")
        page = get(f"screen {number} GET", where).text
        form = [("csrf_token", CSRF.search(page).group(1)), ("wizard_screen", str(number)),
                ("wizard_action", "next")] + _pairs(values)
        where = _path(post(f"screen {number} Next", where, form).headers["Location"])
    if not where.endswith("/review"):
        raise JourneyError(f"expected the review, went to {where}")
    page = get("review GET", where).text
    form = [("csrf_token", CSRF.search(page).group(1)), ("wizard_screen", "review")]
    where = _path(post("Finish", f"{base}/finish", form).headers["Location"])
    if not where.endswith("/done"):
        raise JourneyError(f"Finish went to {where}")
    get("done GET", where)


def _named(http) -> bool:
    """Locust's client takes a `name` (its statistics group by it); requests does not."""
    return type(http).__module__.startswith("locust")


def _path(location: str) -> str:
    return re.sub(r"^https?://[^/]+", "", location)
