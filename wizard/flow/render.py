"""What the templates need for a screen and for the review, gathered in one place so that the
views stay thin: the form, the option lists (static or fetched), account choices, and per-slot
notes (options unavailable, connect an account first, secret saved)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from flask import current_app, render_template, request, session
from markupsafe import Markup

from ..texts import T, localize_definition, message
from .. import slot_types
from ..core import NotFound
from .. import controls, i18n
from .. import session_keys as keys
from ..themes.views import page_theme
from ..web.security import allowed_origins
from ..i18n import _, numberformat
from ..solutions.values import is_empty
from ..web import user_accounts
from . import cache, forms, plan
from .context import WizardContext, validation_timeout_ms
from .engine import NeedsAuth, OptionsError, Options, Screen
from .progress import Progress


@dataclass
class ScreenPage:
    ctx: WizardContext
    screen: Screen
    slots: list[dict]
    maps: dict
    form: forms.ScreenForm
    notes: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def items(self, shown: set[str]) -> list[dict]:
        """Each slot of the screen as its part needs it (its HTML, `html`, is added by the page)."""
        out = []
        kept = self.ctx.secrets_kept  # (a property: works the set out on each read)
        for slot in self.slots:
            slot_id = slot["externalId"]
            name = forms.field_name(slot_id)
            stype = slot_types.get(slot["type"]) if slot["kind"] == "config" else slot_types.AUTH
            specs = stype.option_specs(slot) if slot["kind"] == "config" else {}
            item = {"slot": slot, "id": slot_id, "name": name, "field": self.form[name],
                    "hidden": "" if slot_id in shown else HIDDEN,
                    "type": slot.get("type", "auth") if slot["kind"] == "config" else "auth",
                    "reads": stype.reads, "secret": stype.secret,
                    "required": bool(slot.get("required")), "note": self.notes.get(slot_id),
                    "saved_secret": slot_id in kept, "part": stype.part, "new": self.ctx.engine.upgrade_reason(slot_id)}
            item.update(self.extra.get(slot_id, {}))
            # a part written on every request: its type says so (accounts, rows), or what it shows
            # comes from a service (fetched options) or is said about this request (a note)
            item["per_request"] = (not stype.planned or item["note"] is not None
                                   or any(isinstance(spec, dict) for spec in specs.values()))
            omap = self.maps.get(slot_id, {}).get("options")
            if omap is not None:  # its choices (their JSON values for the script: `option_values`)
                item["option_map"] = omap
            out.append(item)
        return out

    def context(self, *, errors: dict | None, info, focus: str | None, problem, news: dict | None,
                page_kind: str) -> dict:
        """The template context of the page (wizard/screen.html), every value this request's."""
        ctx, engine = self.ctx, self.ctx.engine
        if self.form_has_data:
            config, _, _ = forms.convert(self.form, self.slots, self.maps)
            merged = {k: v for k, v in {**engine.config, **config}.items() if v is not None}
            shown = {s["externalId"] for s in engine.visible_slots(self.screen, merged)}
        else:
            shown = {s["externalId"] for s in engine.visible_slots(self.screen)}
        errors = errors or {}
        items = self.items(shown)
        summary = [(forms.field_name(i["id"]), i["slot"]["title"], errors[i["id"]]) for i in items if i["id"] in errors]
        if forms.NAME_FIELD in errors and forms.NAME_FIELD in self.form:  # the instance's name, above the slots
            summary.insert(0, (forms.NAME_FIELD, T("Name of this integration"), errors[forms.NAME_FIELD]))
        active = engine.active()  # once: the step list, "Step n of m", Back and Next
        ready = page_kind in ("screen", "review") and announce_ready()
        return dict(
            ctx=ctx, screen=self.screen, form=self.form, items=items, errors=errors,
            summary=summary, info=info, focus=focus, problem=problem, news=news_lines(news),
            steps=step_list(ctx, active, self.screen.number),
            step_count=step_count(engine.position(self.screen, active), active),
            prev=engine.prev(self.screen, active), next=engine.next(self.screen, active),
            name_field=forms.NAME_FIELD in self.form, page_kind=page_kind, announce_ready=lambda: ready,
        )

    def render(self, *, errors: dict | None = None, info: str | None = None, focus: str | None = None, status: int = 200,
               problem: str | None = None, news: dict | None = None, page_kind: str = "screen"):
        """The page as UTF-8, and its status: joined from its plan (made once, then kept in
        flow.cache: `plan_key`), or, for a page not kept (the console's preview), rendered."""
        context = self.context(errors=errors, info=info, focus=focus, problem=problem, news=news, page_kind=page_kind)
        key = plan_key(context)
        if key is None:
            words = i18n.template_gettext(i18n.catalogue().translations)
            for item in context["items"]:
                item["html"] = part_html(current_app.jinja_env, item, self.ctx, self.screen, words)
                item["option_values"] = option_values(item)
            return render_template("wizard/screen.html", **context).encode(), status
        page_plan = cache.kept().get(key, lambda: plan.make(lambda planner: planned(context, planner)))
        return page_plan.page(context), status

    form_has_data: bool = False


HIDDEN = Markup(" hidden")  # a field whose condition does not hold (its wrapper's attribute)


def announce_ready() -> bool:
    """Called once by a screen's or the review's page (the layout's `announce_ready()`): True on the
    first one shown after entry, which alone posts tray.configPopup.ready (docs/events.md: "the
    first screen is shown")."""
    return bool(session._get_current_object().pop(keys.READY, False))  # (session.pop through the proxy: ~5x)


# -- the page plan: the screen's page rendered once, filled in on each request ----------------------

def plan_key(context: dict) -> tuple | None:
    """The name of a screen page's plan (wizard.flow.plan): everything the page's markup depends on
    besides its fills. The definition by its name in the page's language and theme, the screen, and
    the page's shape: what changes its structure and is rare or small (which fields have errors,
    the notes, info, problem and news present, upgrade mode and each field's "new" reason, the
    step list's done screens, saved secrets, the first page after entry). None: the page is not
    kept (a definition without a name, the console's preview)."""
    ctx, items = context["ctx"], context["items"]
    if ctx.definition_key is None or context["page_kind"] == "preview":
        return None
    theme = page_theme()
    form = context["form"]
    # the language by its tag (which says its direction too)
    return ("page", ctx.definition_key, i18n.catalogue().tag,
            (theme.product_name, theme.custom, theme.stylesheet_url, theme.logo_url),
            request._get_current_object().script_root, tuple(allowed_origins()),
            current_app._get_current_object().config["WIZARD_VALIDATION_TIMEOUT_MS"],
            context["page_kind"], context["screen"].number, ctx.mode, bool(ctx.options.custom_validation),
            context["announce_ready"](), context["step_count"],
            tuple((s["number"], s["done"], s["url"] is None) for s in context["steps"]),
            context["prev"] is not None, context["next"] is not None,
            context["name_field"] and bool(form[forms.NAME_FIELD].errors),
            tuple((i["id"], i["new"], i["saved_secret"], bool(i["field"].errors), i["per_request"],
                   i["note"]["kind"] if i["note"] else None) for i in items),
            bool(context["info"]), bool(context["problem"]), len(context["news"] or ()), bool(context["focus"]))


def planned(context: dict, planner: plan.Planner) -> str:
    """The page rendered through its templates with each part of this request a marker (`planner`):
    the ids in URLs and attributes, the texts of errors, info, problem and news, the focus, the
    fields hidden by their condition, the form's controls (wizard.controls writes their markers), and
    the parts rendered on every request (`per_request`)."""
    p, screen, form = planner, context["screen"], context["form"]
    ctx = _PlanContext(context["ctx"], p)
    words = i18n.template_gettext(i18n.catalogue().translations)
    items = []
    for n, item in enumerate(context["items"]):
        mine = dict(item, hidden=p.fill(lambda c, _m, n=n: c["items"][n]["hidden"]))
        if item["per_request"]:
            mine["html"] = p.fill(lambda c, m, n=n: _part_now(c, m, n))
            if "option_map" in item:  # fetched choices: this request's
                mine["option_values"] = p.text(lambda c, n=n: option_values(c["items"][n]))
        else:
            mine["option_values"] = option_values(item)
        items.append(mine)
    marked = {}  # an error's text is this request's: the plan has a marker in its place
    names = [i["name"] for i in items if not i["per_request"]] + ([forms.NAME_FIELD] if context["name_field"] else [])
    for name in names:
        if form[name].errors:
            marked[name] = form[name].errors
            form[name].errors = [p.text(lambda c, name=name: c["form"][name].errors[0])]
    try:
        for mine in items:
            if not mine["per_request"]:
                mine["html"] = part_html(current_app.jinja_env, mine, ctx, screen, words)
        return render_template(
            "wizard/screen.html", **{
                **context, "ctx": ctx, "items": items,
                "summary": [(name, title, p.text(lambda c, k=k: c["summary"][k][2]))
                            for k, (name, title, _message) in enumerate(context["summary"])],
                "info": context["info"] and p.text(lambda c: c["info"]),
                "problem": context["problem"] and p.text(lambda c: c["problem"]),
                "focus": context["focus"] and p.text(lambda c: c["focus"]),
                "news": context["news"] and [p.text(lambda c, k=k: c["news"][k]) for k in range(len(context["news"]))],
                "steps": [dict(s, url=s["url"] and p.text(lambda c, k=k: c["steps"][k]["url"]))
                          for k, s in enumerate(context["steps"])]})
    finally:
        for name, errors in marked.items():
            form[name].errors = errors


def _part_now(context: dict, memo: dict, n: int) -> str:
    """The part of item `n`, rendered for this request (one whose part is `per_request`)."""
    if "words" not in memo:
        memo["words"] = i18n.template_gettext(i18n.catalogue().translations)
    return str(part_html(current_app.jinja_env, context["items"][n], context["ctx"], context["screen"], memo["words"]))


class _PlanContext:
    """The wizard context as the plan's render sees it: the instance's id and the routes' URLs (which
    hold the instance and the session) are markers; everything else is the context's."""

    def __init__(self, ctx: WizardContext, planner: plan.Planner):
        self._ctx, self._planner = ctx, planner

    @property
    def iid(self) -> Markup:
        return self._planner.text(lambda c: c["ctx"].iid)

    def url(self, endpoint: str, **kw) -> Markup:
        return self._planner.text(lambda c: c["ctx"].url(endpoint, **kw))

    def __getattr__(self, name: str):
        return getattr(self._ctx, name)


def part_html(env, item: dict, ctx: WizardContext, screen: Screen, words: dict) -> Markup:
    """A slot's control with its label, help, note and error: its type's one template part
    (templates/wizard/slots/<part>.html), rendered with only what a part uses (item, f, name, s,
    desc, attrs, ctx, screen, choice_controls and the page's `_`), not the page's whole context,
    which an include would copy for every field."""
    f, desc = item["field"], describedby(item)
    attrs = {"aria-describedby": desc or False, "aria-invalid": "true" if f.errors else False,
             "aria-required": "true" if item["required"] else False}
    template = env.get_template(f"wizard/slots/{item['part']}.html")
    # a context of these names only (shared: the environment's globals are not copied in for each
    # field; a part uses none of them)
    context = template.new_context({"item": item, "f": f, "name": item["name"], "s": item["slot"], "desc": desc,
                                    "attrs": attrs, "ctx": ctx, "screen": screen,
                                    "choice_controls": controls.choice_controls, **words}, shared=True)
    return Markup("".join(template.root_render_func(context)))


def step_list(ctx: WizardContext, active: list[Screen], current: int | None) -> list[dict]:
    """The progress list of the page header (wizard/layout.html): each active screen's title,
    whether it is done, and its link (None for the screen shown, `current`). Worked out here, as
    plain values: the template's loop over screens cost more than its markup."""
    done = set(ctx.progress.done)
    return [{"title": s.title, "number": s.number, "done": s.number in done,
             "url": None if s.number == current else ctx.url("wizard.screen", n=s.number)} for s in active]


def step_count(number: int, steps: list) -> str:
    """"Step n of m" above the title of each screen and of the review. One count for the whole
    wizard: the screens of the progress list (`steps`) plus Review, a step of its own there, so the
    counter and the list always agree. Written here, not by a template macro: importing one costs a
    page more than the text."""
    return _("Step %(number)s of %(count)s", number=numberformat(number), count=numberformat(len(steps) + 1))


def option_values(item: dict) -> str | None:
    """The JSON values of a slot's choices, for customValidation in the script (the field's
    data-option-values); None for a slot without choices. Worked out where the page is written
    (a kept plan holds those of its planned parts), not for every request."""
    omap = item.get("option_map")
    return None if omap is None else omap.values_json


def describedby(item: dict) -> str:
    """The ids a slot's control is described by (aria-describedby): what its part shows of the New
    mark, help, saved-secret note, note and error, in that order."""
    shown = ((item["new"], "new"), (item["slot"].get("help"), "help"), (item["saved_secret"], "saved"),
             (item["note"], "note"), (item["field"].errors, "error"))
    return " ".join(f"{item['name']}-{suffix}" for present, suffix in shown if present)


def _connect_screen(ctx: WizardContext, auth_slot_id: str) -> int | None:
    for s in ctx.engine.screens():
        if auth_slot_id in s.slot_ids:
            return s.number
    return None


def _reconnect_note(ctx: WizardContext, spec: dict, exc: OptionsError) -> dict | None:
    """A note whose Reconnect opens the connect popup for the chosen account; connecting asks
    for the scopes the auth slot's options lists need (wizard.connect.views)."""
    auth_slot = spec.get("auth")
    start, status = ctx.connect_urls(auth_slot, reconnect=ctx.engine.auth.get(auth_slot))
    if not start:
        return None
    return {"kind": "reconnect", "message": message(exc), "url": start, "status_url": status, "slot": auth_slot,
            "link_text": T("Reconnect and allow it")}


def _options(ctx: WizardContext, slot_id: str, side: str, spec, notes: dict, names: tuple | None) -> forms.OptionMap:
    """Static or fetched options; a note for the page when they cannot be had. A definition's own
    (static) options are the same for every user: with `names` (the definition's name and the
    language) their map is made once and kept (flow.cache)."""
    if isinstance(spec, list) and names is not None:
        return cache.kept().get(("options", *names, slot_id, side), lambda: forms.OptionMap(spec))
    try:
        return forms.OptionMap(ctx.engine.options_for(spec))
    except NeedsAuth as exc:
        n = _connect_screen(ctx, exc.slot.get("externalId"))
        notes[slot_id] = {"kind": "needs_auth", "message": T("Connect %(account)s first.", account=exc.slot["title"]),
                      "url": ctx.url("wizard.screen", n=n) if n and ctx.engine.get(n) else None,
                      "link_text": T("Go to %(account)s", account=exc.slot["title"])}
    except OptionsError as exc:
        reconnect = _reconnect_note(ctx, spec, exc) if exc.code == "missing_scope" else None
        if reconnect:  # the account lacks a permission: Reconnect asks for it, right here
            notes[slot_id] = reconnect
        elif exc.code in ("needs_reconnect", "missing_scope"):  # a retry cannot help: say so, and where to fix it
            n = _connect_screen(ctx, spec.get("auth"))
            notes[slot_id] = {"kind": "needs_auth", "message": T("The choices could not be loaded: %(reason)s", reason=message(exc)),
                          "url": ctx.url("wizard.screen", n=n) if n and ctx.engine.get(n) else None,
                          "link_text": T("Reconnect the account")}
        else:
            notes[slot_id] = {"kind": "unavailable", "message": T("The choices could not be loaded right now.")}
    return forms.OptionMap([])


def screen_page(ctx: WizardContext, screen: Screen, *, formdata=None, csrf: bool = True) -> ScreenPage:
    """The form of a screen with everything around it. `formdata` (posted, or a draft) is
    shown as typed; otherwise the form is prefilled from the progress. `csrf=False`: a form
    without a CSRF token (the preview's, which posts nowhere and must not start a session)."""
    slots = [s for s in screen.slots if not s.get("hidden") and ctx.engine.asks(screen, s)]
    maps, notes, extra, preselect = {}, {}, {}, {}
    # where the slots come from: the definition (by its name) in a language; None: not kept
    names = (ctx.definition_key, i18n.language()) if ctx.definition_key else None
    for slot in slots:
        slot_id = slot["externalId"]
        if slot["kind"] == "auth":
            found = ctx.accounts_for(slot)
            maps[slot_id] = {"auth": forms.OptionMap([{"value": a.id, "text": a.name} for a in found])}
            start, status = ctx.connect_urls(slot_id)
            extra[slot_id] = {
                "accounts": [{"id": a.id, "name": a.name, "needs_reconnect": a.status == "needs_reconnect",
                              "reconnect_url": ctx.connect_urls(slot_id, reconnect=a.id)[0] if start else None,
                              **(words := user_accounts.account_words(a)),
                              "meta": bool(words["identity"] or words["connected"])}
                             for a in found],
                "connect_url": start, "status_url": status,
            }
            if len(found) == 1 and found[0].status != "needs_reconnect":
                preselect[slot_id] = found[0].id  # the only account that fits: chosen unless another was
        else:
            maps[slot_id] = {side: _options(ctx, slot_id, side, spec, notes, names)
                         for side, spec in slot_types.get(slot["type"]).option_specs(slot).items()}
    name_field = ctx.engine.shows_name_field(screen)
    if formdata is not None:
        form = forms.build_form(slots, maps, name_field=name_field, names=names, formdata=formdata, csrf=csrf)
    else:
        data = forms.prefill(slots, ctx.engine.config, {**preselect, **ctx.engine.auth}, maps)
        if name_field:
            data[forms.NAME_FIELD] = ctx.progress.name if ctx.progress.name is not None else ctx.instance.name
        form = forms.build_form(slots, maps, name_field=name_field, names=names, formdata=None, data=data,
                                csrf=csrf)
    form.wizard_screen.data = str(screen.number)
    page = ScreenPage(ctx, screen, slots, maps, form, notes, extra)
    page.form_has_data = formdata is not None
    return page


# -- preview: a screen for no one ---------------------------------------------------------------

class PreviewContext(WizardContext):
    """The context of a screen shown to no one (the console's theme preview): no user, instance,
    session or progress row behind it, links that go nowhere, no account listed, no option list
    fetched (a dynamic list shows its "connect first" or "could not be loaded" note)."""

    def url(self, endpoint: str, **kw) -> str:
        return "#"

    def connect_urls(self, slot_id: str, reconnect: str | None = None) -> tuple[None, None]:
        return None, None

    def accounts_for(self, slot: dict) -> list:
        return []

    def load_options(self, spec: dict, extra: dict) -> list[dict]:
        raise OptionsError(T("not available in a preview"))


def preview_page(definition: dict, *, example_error: str | None = None):
    """The first screen of `definition` (a validated one) as the wizard shows it, through the
    same templates and page data (ScreenPage.render), for the console's theme preview: nothing
    is read or written for it (no session, no progress), its form carries no CSRF token and is
    inert (page_kind "preview": no script, no action). `example_error`: shown on the first field,
    so that the error colours are previewed too."""
    # the ISV's texts in the operator's language, made for this page only (not kept: a preview is rare)
    definition = localize_definition(definition, i18n.language(), i18n.localize)
    ctx = PreviewContext(iid="", sid="", user_id="", external_user_id=None, options=Options(), instance=None,
                         definition=definition, version=0, mode="edit",
                         progress=Progress(instance_id="", version=0, name=""))
    engine = ctx.build_engine()
    active = engine.active()
    if not active:
        raise ValueError("the definition has no screen to show")
    page = screen_page(ctx, active[0], csrf=False)
    errors = {}
    if example_error and page.slots:
        errors = {page.slots[0]["externalId"]: example_error}
        forms.apply_errors(page.form, errors)
    return page.render(errors=errors, page_kind="preview")


# -- review ----------------------------------------------------------------------------------------

MASK = "••••••"


def display(ctx: WizardContext, slot: dict):
    """(kind, text) of a value on the review: secrets masked, choices by their text (the slot
    type's `display`)."""
    slot_id = slot["externalId"]
    if slot["kind"] == "auth":
        auth_id = ctx.engine.auth.get(slot_id)
        if not auth_id:
            return "empty", None
        try:
            return "text", user_accounts.get_account(auth_id, ctx.user_id).name
        except NotFound:
            return "text", T("An account that no longer exists")
    stype = slot_types.get(slot["type"])
    if stype.secret:
        return ("text", MASK) if slot_id in ctx.secrets_kept else ("empty", None)
    value = ctx.engine.config.get(slot_id, slot.get("default"))
    if is_empty(value):
        return "empty", None
    maps = {}
    for side, spec in stype.option_specs(slot).items():
        try:
            maps[side] = forms.OptionMap(ctx.engine.options_for(spec)) if spec is not None else None
        except (NeedsAuth, OptionsError):
            maps[side] = None
    return stype.display(slot, value, maps)


def review_sections(ctx: WizardContext) -> list[dict]:
    engine = ctx.engine
    sections = []
    for screen in engine.active():
        items = []
        for slot in engine.visible_slots(screen):
            kind, text = display(ctx, slot)
            items.append({"title": slot["title"], "kind": kind, "text": text, "id": slot["externalId"]})
        sections.append({"screen": screen, "fields": items, "url": ctx.url("wizard.screen", n=screen.number)})
    return sections


def staying_sections(ctx: WizardContext) -> list[dict]:
    """Upgrade mode: the screens whose values stay as they are, with their values and an Edit link."""
    sections = []
    for screen, slots in ctx.engine.staying():
        items = []
        for slot in slots:
            kind, text = display(ctx, slot)
            items.append({"title": slot["title"], "kind": kind, "text": text, "id": slot["externalId"]})
        sections.append({"screen": screen, "fields": items, "url": ctx.url("wizard.edit", n=screen.number)})
    return sections


def news_lines(news: dict | None) -> list[str] | None:
    """What a version published mid-journey changed (wizard.flow.carry: `WizardContext.take_news`),
    as lines for the page."""
    if not news:
        return None

    def titles(key):
        return ", ".join(news.get(key) or [])

    lines = [_("This integration was updated while you were filling it in. What you entered is kept.")]
    if news.get("added"):
        lines.append(_("New: %(titles)s.", titles=titles("added")))
    if news.get("changed"):
        lines.append(_("Changed: %(titles)s.", titles=titles("changed")))
    if news.get("removed"):
        lines.append(_("No longer asked: %(titles)s.", titles=titles("removed")))
    if news.get("invalid"):
        lines.append(_("Check %(titles)s: what you entered no longer fits.", titles=titles("invalid")))
    return lines


def still_needed(ctx: WizardContext) -> list[dict]:
    """What Finish would refuse, said up front on the review: each active screen's stored values
    checked the way Finish checks them (engine.validate_all's rule, so the list and Finish never
    disagree), every field that does not hold with its message and a link to it."""
    engine, out = ctx.engine, []
    for screen in engine.active():
        config, auth = engine.stored_values(screen)
        errors = engine.validate_screen(screen, config, auth, keep_secret=ctx.secrets_kept,
                                        strict_options=False).errors
        for slot in engine.visible_slots(screen):
            if slot["externalId"] in errors:
                out.append({"title": slot["title"], "message": errors[slot["externalId"]],
                            "url": ctx.url("wizard.screen", n=screen.number, field=forms.field_name(slot["externalId"]))})
    return out


def review_page(ctx: WizardContext, *, news: dict | None = None, error: dict | None = None, status: int = 200):
    """The review: every active screen's values (the slot types' display), the values staying in
    upgrade mode, Finish, and `error` (a Finish that did not go through) when there is one."""
    active = ctx.engine.active()
    return render_template(
        "wizard/review.html", ctx=ctx, sections=review_sections(ctx), error=error, steps=step_list(ctx, active, None),
        step_count=step_count(len(active) + 1, active),
        payload=review_payload(ctx), staying=staying_sections(ctx), news=news_lines(news),
        last=active[-1] if active else None, page_kind="review", needed=still_needed(ctx),
    ), status


def review_payload(ctx: WizardContext) -> str:
    """customValidation on Finish: the visible slots and their JSON values (secrets left out:
    they never go back to the browser); in upgrade mode those staying as they are too, since
    Finish saves them under the new version."""
    engine = ctx.engine
    visible, values = [], {}
    shown = [slot for screen in engine.active() for slot in engine.visible_slots(screen)]
    for slot in shown + [slot for _, slots in engine.staying() for slot in slots]:
        visible.append(slot["externalId"])
        if slot["kind"] == "config" and not slot_types.get(slot["type"]).secret:
            value = engine.config.get(slot["externalId"], slot.get("default"))
            if not is_empty(value):
                values[slot["externalId"]] = value
    return json.dumps({"visibleValues": visible, "configValues": values})


def body_config(ctx: WizardContext) -> dict:
    return {"custom_validation": ctx.options.custom_validation, "timeout": validation_timeout_ms()}
