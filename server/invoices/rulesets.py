"""The one seam to Saxon: the official EN 16931 / Peppol BIS 3 / SI-UBL 2.0 stylesheets, run via saxonche.

Saxon is configured once per process, before anything is parsed: DOCTYPE declarations are refused,
external entities are off and `allowedProtocols` is empty, so neither a document nor a stylesheet can
make Saxon read a file or a URL (by default it resolves external entities and fetches URLs).
The stylesheets are compiled from text read from `rules/xslt/` (the pinned byte copies, see
`rules/VERSIONS.md`), each once per process, lazily and under a lock. Compiled executables are not
thread-safe and Saxon holds the GIL while it works, so every call into Saxon is serialised by one lock;
to keep Saxon off request threads use `validation_pool`.
"""
from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lxml import etree

from server.invoices.safexml import CAC, CBC, CREDIT_NOTE_NS, INVOICE_NS

RULES_DIR = Path(__file__).resolve().with_name("rules")
RULESETS = {"cen": "cen-ubl.xslt", "peppol": "peppol-bis3.xslt", "siubl": "si-ubl-2.0.xslt"}
RULESET_TITLES = {"cen": "EN 16931", "peppol": "Peppol BIS Billing 3.0", "siubl": "SI-UBL 2.0"}

_FEATURE = "http://saxon.sf.net/feature/"
_PARSER_FEATURE = _FEATURE + "parserFeature?uri="
SAXON_SECURITY = {
    _PARSER_FEATURE + "http://apache.org/xml/features/disallow-doctype-decl": "true",
    _PARSER_FEATURE + "http://xml.org/sax/features/external-general-entities": "false",
    _PARSER_FEATURE + "http://xml.org/sax/features/external-parameter-entities": "false",
    _PARSER_FEATURE + "http://apache.org/xml/features/nonvalidating/load-external-dtd": "false",
    _FEATURE + "allowedProtocols": "",
}
_SVRL = "{http://purl.oclc.org/dsdl/svrl}"
_SVRL_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
_PREFIXES = {CAC: "cac:", CBC: "cbc:", INVOICE_NS: "", CREDIT_NOTE_NS: ""}
_STEP = re.compile(r"\*:([\w.-]+)\[namespace-uri\(\)='([^']*)'\]")
_LEADING_ID = re.compile(r"^\s*\[([A-Za-z0-9_.-]+)\]")


@dataclasses.dataclass(frozen=True)
class Finding:
    """One reported problem: rule id (e.g. BR-CO-15), flag (fatal/warning), node XPath, message."""

    rule: str
    flag: str
    xpath: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


class RulesetError(Exception):
    """The official stylesheet itself raised on this document (e.g. XPTY0004 on UBL-SR-09 cases)."""

    def __init__(self, ruleset: str, message: str):
        super().__init__(f"{ruleset}: {message}")
        self.ruleset = ruleset
        self.message = message


class _Saxon:
    """The process's Saxon processor and the stylesheets compiled so far."""

    def __init__(self) -> None:
        from saxonche import PySaxonProcessor  # imported here: loading the native library is not free

        self.processor = PySaxonProcessor(license=False)
        for name, value in SAXON_SECURITY.items():
            self.processor.set_configuration_property(name, value)
        self.compiler = self.processor.new_xslt30_processor()
        self.executables: dict[str, Any] = {}

    def executable(self, name: str) -> Any:
        if name not in self.executables:
            text = (RULES_DIR / "xslt" / RULESETS[name]).read_text(encoding="utf-8")
            self.executables[name] = self.compiler.compile_stylesheet(stylesheet_text=text, encoding="UTF-8")
        return self.executables[name]


_LOCK = threading.RLock()
_SAXON: _Saxon | None = None


def _saxon() -> _Saxon:
    global _SAXON
    if _SAXON is None:
        _SAXON = _Saxon()
    return _SAXON


def processor() -> Any:
    """The process's configured PySaxonProcessor (for diagnostics and the hardening tests)."""
    with _LOCK:
        return _saxon().processor


def compile_rulesets(names: Iterable[str] = tuple(RULESETS)) -> None:
    """Compile the named rulesets now (idempotent); workers call this at start-up."""
    with _LOCK:
        saxon = _saxon()
        for name in names:
            saxon.executable(name)


def run_rulesets(tree: etree._ElementTree, names: Iterable[str]) -> dict[str, tuple[Finding, ...] | RulesetError]:
    """Run each named ruleset over an already safely parsed tree: its findings, or the error it raised."""
    from saxonche import PySaxonApiError

    # The lxml serialisation has no XML declaration and no DOCTYPE: Saxon sees exactly the checked tree.
    text = etree.tostring(tree, encoding="unicode")
    results: dict[str, tuple[Finding, ...] | RulesetError] = {}
    with _LOCK:
        saxon = _saxon()
        node = saxon.processor.parse_xml(xml_text=text, encoding="UTF-8")
        for name in names:
            try:
                svrl = saxon.executable(name).transform_to_string(xdm_node=node)
            except PySaxonApiError as exc:
                results[name] = RulesetError(name, " ".join(str(exc).split()))
                continue
            results[name] = parse_svrl(svrl)
    return results


def parse_svrl(svrl: str) -> tuple[Finding, ...]:
    """Every failed-assert and successful-report of an SVRL report, in document order."""
    root = etree.fromstring(svrl.encode("utf-8"), _SVRL_PARSER)
    findings = []
    for element in root.iter(f"{_SVRL}failed-assert", f"{_SVRL}successful-report"):
        message = " ".join((element.findtext(f"{_SVRL}text") or "").split())
        rule = element.get("id") or _leading_id(message)
        findings.append(
            Finding(
                rule=rule,
                flag=(element.get("flag") or "fatal").lower(),
                xpath=compact_xpath(element.get("location") or ""),
                message=message,
            )
        )
    return tuple(findings)


def _leading_id(message: str) -> str:
    """Some asserts carry their id only in the text, e.g. '[BII2-T10-R001] An invoice MUST ...'."""
    match = _LEADING_ID.match(message)
    return match.group(1) if match else "unknown"


def compact_xpath(location: str) -> str:
    """'/*:Invoice[namespace-uri()='...Invoice-2'][1]/*:ID[namespace-uri()='...CBC'][1]' -> '/Invoice[1]/cbc:ID[1]'."""

    def step(match: re.Match[str]) -> str:
        prefix = _PREFIXES.get(match.group(2))
        return f"*:{match.group(1)}" if prefix is None else f"{prefix}{match.group(1)}"

    return _STEP.sub(step, location)
