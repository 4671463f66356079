"""Issue 25, the console's pages: what each shows and does, through the same operations as the
API and the CLI; each list page costs the same few statements at any table size."""
from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from console_support import console_token, sign_in
from sqlalchemy import select
from support import StatementCounter
from wizard_support import simple_solution

from wizard import identity
from wizard.console.models import AuditEntry
from wizard.extensions import db
from wizard.models import utcnow
from wizard.webhooks import endpoints
from wizard.webhooks.models import DEAD, WebhookDelivery, WebhookEvent


@pytest.fixture
def notes(core, user):
    core.publish(json.dumps(simple_solution()))
    return core.create_instance(user.id, "notes", "Ada's notes", config_values={"channel": "#c", "api_key": "k-secret"})


@pytest.fixture
def admin(client):
    return sign_in(client)


def _post(client, path, **data):
    return client.post(path, data={"csrf_token": console_token(client), **data})


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def test_overview_counts(admin, notes, core, user):
    core.set_enabled(notes.id, True)
    page = _text(admin.get("/console/"))
    assert re.search(r'id="count-users"><a [^>]*>1<', page) and re.search(r'id="count-enabled"><a [^>]*>1<', page)
    identity.consume_code(identity.generate_code(user.id))  # one journey started
    assert re.search(r'id="journeys-started">1<', _text(admin.get("/console/")))


def test_find_a_user_and_their_page(admin, notes, user, fred):
    page = _text(admin.get("/console/users?q=acme-42"))
    assert "acme-42" in page and "evil-7" not in page and user.id in page
    page = _text(admin.get(f"/console/users/{user.id}"))
    assert "Ada&#39;s notes" in page and "No accounts." in page


def test_remove_a_user_names_what_goes(admin, notes, user):
    page = _text(admin.get(f"/console/users/{user.id}/remove"))
    assert "1 instance(s): Ada&#39;s notes" in page and "0 connected account(s)" in page
    resp = _post(admin, f"/console/users/{user.id}/remove")
    assert resp.status_code == 303
    assert admin.get(f"/console/users/{user.id}").status_code == 404
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.remove"))
    assert entry.object_id == user.id and entry.detail["instances"] == 1


def test_instances_filters_and_enable_from_the_list(admin, notes, core, user):
    other = core.create_instance(user.id, "notes", "Other")
    page = _text(admin.get("/console/instances?enabled=no"))
    assert "Ada&#39;s notes" in page and "Other" in page
    resp = _post(admin, f"/console/instances/{notes.id}/enable", back="/console/instances?enabled=no")
    assert resp.status_code == 303 and resp.headers["Location"] == "/console/instances?enabled=no&note=enabled"
    page = _text(admin.get("/console/instances?enabled=yes"))
    assert "Ada&#39;s notes" in page and "Other" not in page
    resp = _post(admin, f"/console/instances/{other.id}/enable")  # required value missing: refused, named
    assert resp.status_code == 422 and "channel" in _text(resp)
    resp = _post(admin, f"/console/instances/{notes.id}/enable", back="https://evil.test/")
    assert resp.headers["Location"].startswith(f"/console/instances/{notes.id}")


def test_instance_page_masks_secrets_and_shows_the_timeline(admin, notes, core):
    ep, _secret = endpoints.create("http://127.0.0.1:9/events")
    _post(admin, f"/console/instances/{notes.id}/enable")
    _post(admin, f"/console/instances/{notes.id}/disable")
    page = _text(admin.get(f"/console/instances/{notes.id}"))
    assert "k-secret" not in page and "********" in page
    timeline = page.split('id="instance-timeline"')[1]
    assert timeline.index("instance.disabled") < timeline.index("instance.enabled")
    assert "pending" in timeline
    types = db.session.scalars(select(WebhookEvent.type).order_by(WebhookEvent.created)).all()
    assert types[-2:] == ["instance.enabled", "instance.disabled"]


def test_remove_an_instance_after_a_page_naming_it(admin, notes, core):
    page = _text(admin.get(f"/console/instances/{notes.id}/remove"))
    assert "Remove instance Ada&#39;s notes?" in page and "acme-42" in page
    assert _post(admin, f"/console/instances/{notes.id}/remove").status_code == 303
    assert admin.get(f"/console/instances/{notes.id}").status_code == 404
    assert db.session.scalar(select(AuditEntry.object_id).where(AuditEntry.action == "instance.remove")) == notes.id


def test_upgrade_at_once_only_when_no_input_is_needed(admin, notes, core):
    v2 = simple_solution()
    v2["screens"][0]["slots"].append({"externalId": "team", "title": "Team", "type": "string", "required": True})
    core.publish(json.dumps(v2))
    resp = _post(admin, f"/console/instances/{notes.id}/upgrade")
    assert resp.status_code == 422 and "team" in _text(resp)
    assert core.get_instance(notes.id).version == 1


def test_upgrade_at_once_moves_an_instance_left_behind(admin, notes, core):
    from wizard.models import SolutionInstance, SolutionVersion

    v1 = db.session.scalar(select(SolutionInstance.version_id).where(SolutionInstance.id == notes.id))
    core.publish(json.dumps(simple_solution(title="Notes v2")))  # needs no input: moved at once
    assert core.get_instance(notes.id).version == 2
    db.session.execute(db.update(SolutionInstance).values(version_id=v1))  # as if published before that rule
    db.session.commit()
    assert db.session.scalar(select(SolutionVersion.version).where(SolutionVersion.id == v1)) == 1
    resp = _post(admin, f"/console/instances/{notes.id}/upgrade")
    assert resp.status_code == 303
    db.session.expire_all()
    assert core.get_instance(notes.id).version == 2


def test_installation_manager_creates_checks_and_releases_a_user_specific_version(admin, notes, core):
    import html

    page = html.unescape(_text(admin.get(f"/console/instances/{notes.id}/version")))
    assert '"id": "notes"' in page  # prefilled with the running definition
    spec = simple_solution()
    spec["screens"][0]["slots"].append({"externalId": "team", "title": "Team", "type": "string", "required": True})
    text = json.dumps(spec, indent=2)
    resp = _post(admin, f"/console/instances/{notes.id}/version", definition=text, check="Check")
    assert resp.status_code == 200 and "team" in _text(resp).split('id="definition-checked"')[1].split("</div>")[0]
    bad = "id: notes\ntitle: Notes\nscreens:\n  - title: A\n    slots:\n      - externalId: x\n        type: nope\n"
    resp = _post(admin, f"/console/instances/{notes.id}/version", definition=bad, check="Check")
    assert resp.status_code == 422 and re.search(r"line 7", _text(resp))
    resp = _post(admin, f"/console/instances/{notes.id}/version", definition=text, release="Release")
    assert resp.status_code == 303
    data = core.get_instance(notes.id)
    assert data.version == 1 and data.newest_version == 2 and data.flags.requiresUserInputToUpdateVersion
    page = _text(admin.get(f"/console/instances/{notes.id}"))
    assert re.search(r'id="instance-newest">2<', page)
    assert db.session.scalar(select(AuditEntry.detail).where(AuditEntry.action == "version.release"))["version"] == 2


def test_solutions_publish_from_upload_with_errors_by_line_and_diff(admin, notes):
    bad = b"id: notes\ntitle: Notes\nscreens:\n  - title: A\n    slots:\n      - externalId: x\n        type: nope\n"
    resp = admin.post("/console/solutions", data={"csrf_token": console_token(admin), "release": "Publish",
                                                  "upload": (io.BytesIO(bad), "notes.yaml")},
                      content_type="multipart/form-data")
    assert resp.status_code == 422 and "line 7" in _text(resp)
    v2 = simple_solution(title="Notes sync 2")
    resp = _post(admin, "/console/solutions", definition=json.dumps(v2), release="Publish")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/console/solutions/notes?note=published")
    page = _text(admin.get("/console/solutions/notes?from=1&to=2"))
    assert 'id="diff"' in page


def test_webhooks_endpoint_rotate_disable_retry_and_replay(admin, notes, core):
    resp = _post(admin, "/console/webhooks/endpoints", url="http://127.0.0.1:9/in")
    assert resp.status_code == 200 and "whsec_" in _text(resp)
    ep = endpoints.list_endpoints()[0]
    assert "whsec_" in _text(_post(admin, f"/console/webhooks/endpoints/{ep.id}/rotate"))
    core.set_enabled(notes.id, True)
    delivery = db.session.scalar(select(WebhookDelivery))
    delivery.status = DEAD
    db.session.commit()
    page = _text(admin.get("/console/webhooks?status=dead"))
    assert f">{delivery.id}</a>" in page
    assert _post(admin, f"/console/webhooks/deliveries/{delivery.id}/retry").status_code == 303
    db.session.expire_all()
    assert db.session.get(WebhookDelivery, delivery.id).status == "pending"
    assert _post(admin, f"/console/webhooks/deliveries/{delivery.id}/retry").status_code == 303
    since = (utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    before = db.session.scalar(select(db.func.count()).select_from(WebhookDelivery))
    assert _post(admin, "/console/webhooks/replay", since=since).status_code == 303
    assert db.session.scalar(select(db.func.count()).select_from(WebhookDelivery)) > before
    assert _post(admin, f"/console/webhooks/endpoints/{ep.id}/disable").status_code == 303
    db.session.expire_all()
    assert not endpoints.get(ep.id).enabled
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[1:] == ["endpoint.add", "endpoint.rotate", "delivery.retry", "delivery.retry", "events.replay",
                           "endpoint.disable"]


GOOD = {"primary": "#1f5fbf", "textOnPrimary": "#ffffff", "background": "#f5f6f8", "surface": "#ffffff",
        "text": "#1c2430", "error": "#b3261e"}


def _preview_of(client, **theme):
    page = _text(_post(client, "/console/themes", embedded_id="acme", preview="Preview", **{**GOOD, **theme}))
    return client.get(re.search(r'<iframe src="([^"]+)"', page).group(1).replace("&amp;", "&"))


def _rows() -> list[int]:
    from wizard.models import BrowserSession, ExternalUser, SolutionInstance
    from wizard.models.instances import WizardProgress

    return [db.session.scalar(select(db.func.count()).select_from(m))
            for m in (ExternalUser, SolutionInstance, WizardProgress, BrowserSession)]


def test_the_theme_preview_is_the_first_screen_of_the_solution_published_last(admin, core):
    core.publish(json.dumps(simple_solution()))
    core.publish(json.dumps(simple_solution(id="crm", title="CRM sync", screens=[
        {"title": "Pipeline", "slots": [{"externalId": "pipeline", "title": "Pipeline", "type": "string"}]},
        {"title": "Owners", "slots": [{"externalId": "owner", "title": "Owner", "type": "string"}]}])))
    page = _text(_preview_of(admin, product_name="Acme"))
    assert '<h1 id="screen-title"><bdi>Pipeline</bdi></h1>' in page and 'data-slot="pipeline"' in page
    steps = re.search(r'<ol class="steps" id="wizard-steps">(.*?)</ol>', page, re.S).group(1)
    assert [re.sub(r"<[^>]+>", "", t).strip() for t in re.findall(r"<li[^>]*>(.*?)</li>", steps, re.S)] == \
        ["Pipeline", "Owners", "Review"]
    assert "CRM sync" in page and "Where to post" not in page


def test_the_theme_preview_of_a_screen_with_an_account_lists_none_and_connects_nowhere(admin, core):
    from pathlib import Path

    core.publish((Path(__file__).parents[1] / "solutions" / "slack-alerts.yaml").read_text())
    page = _text(_preview_of(admin, product_name="Acme"))
    assert '<h1 id="screen-title"><bdi>Connect</bdi></h1>' in page and "Your Sandbox workspace" in page
    assert "No account connected yet." in page and "connect-link" not in page and "/connect/" not in page


def test_the_theme_preview_from_the_attackers_side(admin, core):
    """Nothing is created for it, it carries no token, its form posts nowhere, it runs no script,
    only the console may frame it, the theme's texts are escaped, and only operators open it."""
    core.publish(json.dumps(simple_solution()))
    before = _rows()
    resp = _preview_of(admin, product_name="<b>Acme</b>", custom_css=".brand__name { color: #1c2430; }")
    page = _text(resp)
    assert resp.status_code == 200 and 'data-slot="channel"' in page
    assert _rows() == before  # no user, instance, progress or session row
    assert "Set-Cookie" not in resp.headers  # no session started, none changed
    assert "csrf_token" not in page and 'name="csrf_token"' not in page and "<script" not in page
    form = re.search(r"<form [^>]*>", page).group(0)
    assert " inert" in form and "action=" not in form and "method=" not in form
    links = re.findall(r'<a [^>]*href="([^"]*)"', page)  # the skip link, the steps, Cancel: none leaves the page
    assert len(links) >= 3 and all(h.startswith("#") for h in links)
    assert "frame-ancestors 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "<b>Acme</b>" not in page and "&lt;b&gt;Acme&lt;/b&gt;" in page
    preview = re.search(r'href="(/console/themes/preview\.css\?t=[^"]+)"', page).group(1).replace("&amp;", "&")
    forged = preview.replace("preview.css", "preview")[:-3] + "xyz"
    assert admin.get(forged).status_code == 400  # a token not signed by the server
    admin.post("/console/sign-out", data={"csrf_token": console_token(admin)})
    signed_out = admin.get(preview.replace("preview.css", "preview"))
    assert signed_out.status_code == 303 and "Where to post" not in _text(signed_out)


def test_themes_low_contrast_refused_naming_the_pair_good_one_previewed_then_saved(admin):
    low = {**GOOD, "primary": "#cfd8e3"}
    resp = _post(admin, "/console/themes", embedded_id="acme", product_name="Acme", preview="Preview", **low)
    page = _text(resp)
    assert resp.status_code == 422 and "textOnPrimary / primary" in page and "too little contrast" in page
    resp = _post(admin, "/console/themes", embedded_id="acme", product_name="Acme", preview="Preview",
                 **{**GOOD, "primary": "#7a1fbf"})
    page = _text(resp)
    assert resp.status_code == 200 and 'id="theme-preview"' in page
    preview = re.search(r'<iframe src="([^"]+)"', page).group(1).replace("&amp;", "&")
    frame = admin.get(preview)
    # nothing published yet: the built-in sample's first screen, through the wizard's own templates
    # (its header's step list, a slot's part, the error summary)
    assert frame.status_code == 200 and '<h1 id="screen-title"><bdi>Where to post</bdi></h1>' in _text(frame)
    assert 'id="wizard-steps"' in _text(frame) and 'data-slot="channel"' in _text(frame)
    assert 'id="error-summary"' in _text(frame) and "An example of an error message." in _text(frame)
    assert "frame-ancestors 'self'" in frame.headers["Content-Security-Policy"]
    css_url = re.search(r'<link rel="stylesheet" href="(/console/themes/preview.css[^"]+)"', _text(frame)).group(1)
    assert "#7a1fbf" in _text(admin.get(css_url.replace("&amp;", "&")))
    from wizard.themes import store

    assert store.get("acme") is None  # a preview saves nothing
    from theme_support import png

    resp = admin.post("/console/themes", content_type="multipart/form-data", data={
        "csrf_token": console_token(admin), "embedded_id": "acme", "product_name": "Acme", "save": "Save theme",
        "custom_css": ".brand__name { letter-spacing: .05em; }", "logo": (io.BytesIO(png()), "logo.png"),
        **{**GOOD, "primary": "#7a1fbf"}})
    assert resp.status_code == 303
    row = store.get("acme")
    assert row.colors["primary"] == "#7a1fbf" and row.logo_type == "image/png" and "letter-spacing" in row.custom_css
    page = _text(admin.get("/console/themes?embedded=acme"))
    assert 'value="#7a1fbf"' in page and "letter-spacing" in page


def test_operators_are_managed_by_admins(admin, client):
    resp = _post(admin, "/console/operators", email="New@Acme.test", role="support")
    assert resp.status_code == 303
    from wizard.console.models import Operator

    op = db.session.scalar(select(Operator).where(Operator.email == "new@acme.test"))
    assert op.role == "support"
    me = db.session.scalar(select(Operator).where(Operator.email == "ops@acme.test"))
    assert _post(admin, f"/console/operators/{me.id}", role="viewer").status_code == 409  # not your own admin role
    assert _post(admin, f"/console/operators/{op.id}", role="viewer", disabled="y").status_code == 303
    db.session.expire_all()
    assert db.session.get(Operator, op.id).disabled


# -- statements per list page ------------------------------------------------------------------

class Counter(StatementCounter):
    last: dict = {}

    def get(self, client, path):
        resp, statements = self.run(lambda: client.get(path))
        assert resp.status_code == 200, (path, resp.status_code)
        Counter.last.setdefault(path, []).append([s[:120] for s in statements])
        return len(statements)


LIST_PAGES = ["/console/users", "/console/users?q=ext-0001", "/console/instances", "/console/instances?enabled=no",
              "/console/instances?needs_upgrade=yes&user_specific=no", "/console/webhooks", "/console/webhooks?status=dead",
              "/console/audit", "/console/audit?action=instance.disable"]


def test_every_console_list_page_costs_the_same_few_statements_at_any_size(admin, core):
    from wizard.crypto import encrypt
    from wizard.models import Authentication

    core.publish(json.dumps(simple_solution()))
    endpoints.create("http://127.0.0.1:9/in")
    counts = {}
    for start, more in ((0, 3), (3, 60)):
        for n in range(start, start + more):
            u = identity.create_user(f"ext-{n:04d}", f"User {n}")
            db.session.add(Authentication(owner_id=u.id, service="sandbox", name="a", auth_type="oauth2",
                                          credentials=encrypt("{}")))
            core.create_instance(u.id, "notes", f"i{n}")
            db.session.add(AuditEntry(operator_email="x@acme.test", role="admin", action="instance.disable"))
        db.session.commit()
        console_token(admin)  # the session's sliding expiry written before counting
        busy = identity.create_user(f"busy-{start}", "Busy")  # a user page: their instances and accounts
        for n in range(more):
            core.create_instance(busy.id, "notes", f"b{n}")
            db.session.add(Authentication(owner_id=busy.id, service="sandbox", name=f"b{n}", auth_type="oauth2",
                                          credentials=encrypt("{}")))
        db.session.commit()
        pages = [*LIST_PAGES, "/console/solutions", f"/console/users/{busy.id}"]
        counts[more] = {page.replace(busy.id, "<busy>"): Counter().get(admin, page) for page in pages}
    assert counts[3] == counts[60], (counts, Counter.last)
    assert max(counts[60].values()) <= 5, counts


def test_every_form_carries_the_console_token_and_no_wizard_session_is_made(admin, notes, user):
    endpoints.create("http://127.0.0.1:9/in")
    token = console_token(admin)
    pages = ["/console/", *LIST_PAGES, f"/console/users/{user.id}", f"/console/users/{user.id}/remove",
             f"/console/instances/{notes.id}", f"/console/instances/{notes.id}/version", "/console/solutions",
             f"/console/instances/{notes.id}/remove",
             "/console/solutions/notes", "/console/themes", "/console/operators"]
    for path in pages:
        page = _text(admin.get(path))
        forms = re.findall(r'<form method="post"', page)
        tokens = re.findall(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"', page)
        assert len(tokens) == len(forms) and {a or b for a, b in tokens} <= {token}, path
    assert admin.get_cookie("wizard_sid") is None
