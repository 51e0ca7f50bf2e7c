"""The standard check of an inbound UBL document, with the official artefacts only.

Pipeline: safe parse (no DOCTYPE, no entities, size/depth/count limits) -> document type ->
OASIS UBL 2.1 XSD (lxml, loaded once per process) -> the official Schematron-compiled stylesheets
(saxonche, see `rulesets`), chosen by CustomizationID: Peppol BIS 3 -> CEN + Peppol, NLCIUS -> SI-UBL 2.0
(which holds CEN already), anything else -> CEN. A fatal finding rejects, a warning is kept.
All rules run even after the XSD failed, so a refused sender learns every reason at once.
`validate` runs in the calling thread; servers should use `validation_pool.validate_in_worker`.
"""
from __future__ import annotations

import dataclasses
import threading
from typing import Any

from lxml import etree

from server.invoices.rulesets import RULES_DIR, RULESET_TITLES, Finding, RulesetError, run_rulesets
from server.invoices.safexml import (
    CBC,
    CREDIT_NOTE_NS,
    DEFAULT_MAX_BYTES,
    INVOICE_NS,
    UBL_NS_PREFIX,
    DocumentError,
    document_type,
    safe_parse,
)

__all__ = ["MODES", "NLCIUS", "PEPPOL_BIS3", "Finding", "ValidationReport", "load_schemas", "profile_for", "validate"]

MODES = ("enforce", "warn", "off")
PEPPOL_BIS3 = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
NLCIUS = "urn:cen.eu:en16931:2017#compliant#urn:fdc:nen.nl:nlcius:v1.0"
_PROFILES = {PEPPOL_BIS3: ("peppol", ("cen", "peppol")), NLCIUS: ("siubl", ("siubl",))}
_DEFAULT_PROFILE = ("cen", ("cen",))
XSD_RULE = "UBL-2.1-XSD"
RULES_EXCEPTION = "validator_exception"
_SCHEMA_FILES = {
    f"{{{INVOICE_NS}}}Invoice": "UBL-Invoice-2.1.xsd",
    f"{{{CREDIT_NOTE_NS}}}CreditNote": "UBL-CreditNote-2.1.xsd",
}
_SHORT_NS = {f"{{{UBL_NS_PREFIX}CommonAggregateComponents-2}}": "cac:", f"{{{CBC}}}": "cbc:"}


@dataclasses.dataclass(frozen=True)
class ValidationReport:
    """The verdict on one document; `errors` are fatal findings, `warnings` the rest."""

    accepted: bool
    document_type: str | None
    profile: str | None
    errors: tuple[Finding, ...] = ()
    warnings: tuple[Finding, ...] = ()
    customization_id: str | None = None

    @property
    def reasons(self) -> list[str]:
        """One line per error, as shown to a refused sender."""
        return [f"{f.rule}: {f.message}" for f in self.errors]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (what `stroom validate` prints and process data stores)."""
        return {
            "accepted": self.accepted,
            "document_type": self.document_type,
            "profile": self.profile,
            "customization_id": self.customization_id,
            "errors": [f.to_dict() for f in self.errors],
            "warnings": [f.to_dict() for f in self.warnings],
        }


def profile_for(customization_id: str | None) -> tuple[str, tuple[str, ...]]:
    """(profile, rulesets to run) for a CustomizationID: peppol, siubl, or cen for anything else."""
    return _PROFILES.get((customization_id or "").strip(), _DEFAULT_PROFILE)


_SCHEMA_LOCK = threading.Lock()
_SCHEMAS: dict[str, etree.XMLSchema] = {}


def _schema(tag: str) -> etree.XMLSchema:
    """The UBL 2.1 schema for a root tag, loaded on first use (call with _SCHEMA_LOCK held)."""
    if tag not in _SCHEMAS:
        _SCHEMAS[tag] = etree.XMLSchema(file=str(RULES_DIR / "xsd" / "maindoc" / _SCHEMA_FILES[tag]))
    return _SCHEMAS[tag]


def load_schemas() -> None:
    """Load the Invoice and CreditNote schemas now (idempotent); workers call this at start-up."""
    with _SCHEMA_LOCK:
        for tag in _SCHEMA_FILES:
            _schema(tag)


def schema_findings(tree: etree._ElementTree) -> tuple[Finding, ...]:
    """UBL 2.1 schema errors of an Invoice/CreditNote tree (serialised: lxml keeps the log on the schema)."""
    with _SCHEMA_LOCK:
        schema = _schema(str(tree.getroot().tag))
        if schema.validate(tree):
            return ()
        entries = list(schema.error_log)
    return tuple(Finding(XSD_RULE, "fatal", e.path or "/", _short(e.message)) for e in entries)


def _short(message: str) -> str:
    for long, prefix in _SHORT_NS.items():
        message = message.replace(long, prefix)
    return message


def _refused(exc: DocumentError, kind: str | None = None) -> ValidationReport:
    return ValidationReport(False, kind, None, errors=(Finding(exc.code, "fatal", "/", exc.message),))


def _rule_findings(tree: etree._ElementTree, rulesets: tuple[str, ...]) -> list[Finding]:
    findings: list[Finding] = []
    for name, result in run_rulesets(tree, rulesets).items():
        if isinstance(result, RulesetError):
            title = RULESET_TITLES[name]
            message = f"the official {title} rules could not be evaluated on this document: {result.message}"
            findings.append(Finding(RULES_EXCEPTION, "fatal", "/", message))
        else:
            findings.extend(result)
    return findings


def validate(xml: bytes, *, mode: str = "enforce", max_bytes: int = DEFAULT_MAX_BYTES) -> ValidationReport:
    """Check a document; never raises for bad input: refusals come back as fatal findings.

    mode `enforce` rejects on any fatal finding, `warn` reports them but accepts, `off` only does the
    safe parse and the document type. A document that is not XML, not UBL or not an Invoice/CreditNote
    is refused in every mode (rule = the DocumentError code, e.g. not_xml, not_an_invoice).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    try:
        tree = safe_parse(xml, max_bytes=max_bytes)
    except DocumentError as exc:
        return _refused(exc)
    root = tree.getroot()
    customization = (root.findtext(f"{{{CBC}}}CustomizationID") or "").strip() or None
    profile, rulesets = profile_for(customization)
    findings: list[Finding] = []
    try:
        kind = document_type(root)
    except DocumentError as exc:
        if exc.code == "not_ubl" or mode == "off":
            return _refused(exc, etree.QName(root).localname if exc.code != "not_ubl" else None)
        # Other UBL documents (FreightInvoice, Order) still get the rules' reasons alongside the refusal.
        kind = etree.QName(root).localname
        findings.append(Finding(exc.code, "fatal", "/", exc.message))
    if mode != "off":
        if root.tag in _SCHEMA_FILES:
            findings.extend(schema_findings(tree))
        findings.extend(_rule_findings(tree, rulesets))
    errors = tuple(f for f in findings if f.flag == "fatal")
    warnings = tuple(f for f in findings if f.flag != "fatal")
    not_invoice = root.tag not in _SCHEMA_FILES
    accepted = not not_invoice and (not errors or mode == "warn")
    return ValidationReport(accepted, kind, profile, errors, warnings, customization)
