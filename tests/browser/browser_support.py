"""Helpers of the browser suite (data set-up, axe-core, screenshots); fixtures are in conftest.py."""
from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "test-artifacts" / "screenshots"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
POPUP = {"width": 500, "height": 600}
PHONE = {"width": 375, "height": 740}


# -- data -----------------------------------------------------------------------------------

def fresh_instance(instance_id: str):
    """The instance as the core has it now: the test thread's session forgets what it cached."""
    from wizard.core import embedded_core
    from wizard.extensions import db

    db.session.rollback()
    return embedded_core().get_instance(instance_id)


def wizard_url(live_server: str, instance_id: str, **params) -> str:
    """A wizard URL with a fresh code for the instance's owner (what an ISV backend hands out)."""
    from wizard import identity

    inst = fresh_instance(instance_id)
    query = {"code": identity.generate_code(inst.owner_id),
             **{k: v for k, v in params.items() if v is not None}}
    return f"{live_server}/configure/{instance_id}?{urlencode(query)}"


def demo_user_id() -> str:
    from wizard.demo import isv

    return isv.demo_user().id


# -- accessibility and screenshots --------------------------------------------------------------

class AxeLog:
    """What axe-core checked over the session, printed at the end for the issue note."""

    def __init__(self):
        self.screens: list[str] = []
        self.rules: set[str] = set()


AXE_LOG = AxeLog()


def run_axe(target, screen: str) -> dict:
    """Run axe-core (WCAG 2.0/2.1/2.2 A and AA tags) on a page or frame; fail on any violation.
    axe is evaluated through the DevTools protocol, which the pages' strict CSP does not block."""
    if not target.evaluate("() => typeof window.axe === 'object'"):
        target.evaluate(AXE.read_text())
    result = target.evaluate(
        """async (tags) => {
            const rules = axe.getRules(tags).map(r => r.ruleId);
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, iframes: false});
            return {rules, violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}))};
        }""", AXE_TAGS)
    AXE_LOG.screens.append(screen)
    AXE_LOG.rules.update(result["rules"])
    assert not result["violations"], f"axe violations on {screen}:\n" + json.dumps(result["violations"], indent=2)
    return result


def shoot(page, name: str, sizes=(("popup", POPUP), ("phone", PHONE))) -> list[Path]:
    """Screenshots of the page at popup size and at phone width (test-artifacts/, gitignored)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    out = []
    for label, size in sizes:
        page.set_viewport_size(size)
        path = SHOTS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        out.append(path)
    if original:
        page.set_viewport_size(original)
    return out


def axe_summary(terminalreporter):
    if AXE_LOG.screens:
        tr = terminalreporter
        tr.section("axe-core accessibility checks")
        tr.write_line(f"tags: {', '.join(AXE_TAGS)}")
        tr.write_line(f"screens checked: {len(AXE_LOG.screens)} ({len(set(AXE_LOG.screens))} distinct)")
        tr.write_line(f"rules checked ({len(AXE_LOG.rules)}): {', '.join(sorted(AXE_LOG.rules))}")
        tr.write_line("screens: " + ", ".join(dict.fromkeys(AXE_LOG.screens)))


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05):
    """Poll a server-side condition (the browser side uses Playwright's own auto-waiting)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)
