"""axe-core in a Playwright page: every violation of impact serious or critical, listed, fails the test.

The script comes from web/node_modules/axe-core (a dev dependency in web/package.json) and is evaluated
through the DevTools protocol, so the pages' strict Content-Security-Policy stays on while it runs.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
# WCAG 2.1 A and AA, plus axe's best practices (landmarks, one main heading, region).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').split('\\n').slice(1, 2).join(''))}));
}"""


def violations(page: Any) -> list[dict[str, Any]]:
    """The page's axe violations of impact serious or critical (each with up to four offending nodes)."""
    assert AXE.exists(), "run `cd web && npm ci` (axe-core is a dev dependency of web/package.json)"
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(RUN, TAGS)
    return [v for v in found if v["impact"] in BLOCKING]


def describe(where: str, found: list[dict[str, Any]]) -> list[str]:
    """One line per violation and offending node, for an assertion message."""
    return [f"{where}: [{v['impact']}] {v['id']}: {v['help']}\n      " + "\n      ".join(v["nodes"]) for v in found]


def assert_accessible(page: Any, where: str = "") -> None:
    """Fail with every serious or critical violation on the page, listed."""
    found = violations(page)
    assert not found, "accessibility violations:\n" + "\n".join(describe(where or page.url, found))
