"""Issue 27, layout: the review and the Connect screen at popup and phone size, in English and in
Arabic, with no element drawn over another (boxes compared, not pixels). `make screenshots` runs
this and keeps the review's pictures (test-artifacts/screenshots/review-<lang>-<size>.png)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from browser_support import PHONE, POPUP, shoot
from journey import AUTH, fill_where_to_post, heading, next_, open_demo

pytestmark = pytest.mark.browser

# The blocks a person reads or presses; two of them (neither inside the other) must not overlap.
BLOCKS = ("h1, h2, h3, p, dt, dd, li, label, legend, input:not([type=hidden]), select, textarea, "
          "button, a.button, .review-section__head a, .connect-status:not(:empty), .alert")
OVERLAPS = """([selector, room]) => {
  const els = [...document.querySelector('main, body').querySelectorAll(selector)].filter(e => {
    const r = e.getBoundingClientRect(), s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && !e.closest('.visually-hidden')
      && !e.closest('[hidden]') && !e.classList.contains('visually-hidden')
      && !(e.closest('details:not([open])') && !e.closest('summary'));  // a closed details' content is not drawn
  });
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '') +
    ' "' + (e.textContent || e.value || '').trim().slice(0, 30) + '"';
  const out = [];
  for (let i = 0; i < els.length; i++) for (let j = i + 1; j < els.length; j++) {
    const a = els[i], b = els[j];
    if (a.contains(b) || b.contains(a)) continue;
    if (a.tagName === 'LABEL' && a.control === b || b.tagName === 'LABEL' && b.control === a) continue;
    const r = a.getBoundingClientRect(), q = b.getBoundingClientRect();
    // `room`: the space each block needs around it (text that touches is as hard to read as text over text)
    const w = Math.min(r.right, q.right) - Math.max(r.left, q.left) + 2 * room;
    const h = Math.min(r.bottom, q.bottom) - Math.max(r.top, q.top) + 2 * room;
    if (w > 1 && h > 1) out.push(name(a) + ' over ' + name(b) + ` (${Math.round(w)}x${Math.round(h)})`);
  }
  return out;
}"""


ROOM = 2  # px on each side: two blocks closer than 4 px count as touching


def overlaps(page, room: float = ROOM) -> list[str]:
    return page.evaluate(OVERLAPS, [BLOCKS, room])


def gap(page, upper: str, lower: str) -> float:
    """Vertical space between the bottom of `upper` and the top of `lower`."""
    return page.evaluate("([a, b]) => document.querySelector(b).getBoundingClientRect().top"
                         " - document.querySelector(a).getBoundingClientRect().bottom", [upper, lower])


# The two faults the issue saw, with the room they need (in px).
SPACED = {
    "review": [("#review-name", ".review-section h2", 16)],  # the Name row, then the first section
    "accounts": [(".choices > li:last-child", ".connect .connect-link", 8)],  # the last account, then Connect
}


def check_sizes(page, name: str):
    """At popup size and at phone width: nothing over anything; the screenshots kept."""
    for label, size in (("popup", POPUP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.wait_for_timeout(50)
        found = overlaps(page)
        assert found == [], f"{name} at {label} size: {found}"
        for upper, lower, room in SPACED[name.split("-")[0]]:
            assert gap(page, upper, lower) >= room, f"{name} at {label}: {lower} touches {upper}"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{name} at {label}: sideways scroll"
    shoot(page, name)


TITLES = {"en": ("Connect", "Where to post", "Details"), "ar": ("الربط", "مكان النشر", "التفاصيل")}


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_review_and_the_accounts_at_popup_and_phone_size(lang, page, context, host, demo_solution):
    connect, where, details = TITLES[lang]
    open_demo(page, host, "popup")
    page.select_option("#language", lang)
    with context.expect_page() as info:
        page.get_by_role("button", name="Configure Sandbox alerts").click()
    wizard = info.value
    heading(wizard, connect)
    for n, workspace in enumerate(("Acme Corp", "Globex", "Initech"), 1):  # several accounts above Connect
        with context.expect_page() as info:
            wizard.locator(f"#{AUTH}-connect").click()
        consent = info.value
        consent.locator("#workspace").select_option(label=workspace)
        with consent.expect_event("close"):  # the popup closes itself (the next Connect opens a new one)
            consent.locator('input[name="allow"]').click()
        expect(wizard.locator(f'input[name="{AUTH}"]')).to_have_count(n)
    expect(wizard.locator(f'input[name="{AUTH}"]')).to_have_count(3)
    status = wizard.locator(f"#{AUTH}-connect-status")
    expect(status).to_contain_text("Initech")  # the last one announced: cleared before that, it came back
    status.evaluate("e => e.textContent = ''")  # the layout without the note
    check_sizes(wizard, f"accounts-{lang}")
    wizard.set_viewport_size(POPUP)
    wizard.get_by_role("radio", name="Acme Corp").check()
    next_(wizard)
    heading(wizard, where)
    if lang == "en":
        fill_where_to_post(wizard)
    else:
        wizard.locator("#external_channel").select_option("C1")  # #general
    next_(wizard)
    heading(wizard, details)
    wizard.locator("#external_digest_email").fill("ops@example.com")
    next_(wizard)
    expect(wizard.locator("#wizard-finish")).to_be_visible()
    check_sizes(wizard, f"review-{lang}")
    if lang == "ar":
        # The value the service wrote, #general, reads as written inside the right-to-left page:
        # direction-isolated (<bdi>), so the "#" stays before the name instead of after it.
        channel = wizard.locator('dd[data-slot="external_channel"]')
        expect(channel).to_have_text("#general")
        assert drawn_before(channel, "#", "g"), "#general shows as general#"


def drawn_before(locator, first: str, then: str) -> bool:
    """In reading order left to right: is the character `first` drawn left of `then`?"""
    return locator.evaluate("""(el, [a, b]) => {
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      let node; while ((node = walker.nextNode()) && !node.data.includes(a + b)) {}
      const at = node.data.indexOf(a + b), box = i => { const r = document.createRange();
        r.setStart(node, i); r.setEnd(node, i + 1); return r.getBoundingClientRect(); };
      return box(at).left < box(at + 1).left;
    }""", [first, then])
