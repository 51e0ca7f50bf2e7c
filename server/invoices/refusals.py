"""Answering a refused document: to whom (only an address the environment knows) and with what text.

Anyone can put any address in `X-Sender` (or a mail's From), so a refusal that mails "the sender"
would let strangers make the server mail anyone. The conversion task mails only a trusted sender or
a supplier's e-mail address from master data; a document from any other address is held in the
inbox with the reason, unanswered, until its sender becomes trusted. The mail quotes each finding
as its rule id and official message only: the Schematron rule texts are fixed (they quote nothing
from the document), and Stroom's own checks, whose messages can quote the document (a parser error,
a root tag, a value), are replaced by a fixed sentence. Nothing else from the document is mailed.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from email.utils import parseaddr
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth.actor import Actor
from server.host import Host
from server.instances import service as instances
from server.instances.models import ProcessInstance
from server.instances.shipped import ensure_deployed
from server.invoices.models import ReceivedDocument
from server.masterdata.models import Supplier
from server.masterdata.service import is_trusted_sender

CONVERSION_MODEL = "conversion_task"
HOLD_RULE = "sender_not_known"
MAX_REASONS = 20
MAX_MESSAGE = 200
# Stroom's own finding codes: their messages may quote the document, so a fixed sentence replaces them.
OWN_MESSAGES = {
    "empty": "The document is empty.",
    "too_large": "The document is larger than this server accepts.",
    "not_xml": "The document is not well-formed XML.",
    "doctype_forbidden": "Documents with a DOCTYPE declaration are not accepted.",
    "too_deep": "The document's elements nest too deeply.",
    "too_many_elements": "The document has too many elements.",
    "not_ubl": "The document is not a UBL 2.1 document.",
    "not_an_invoice": "The document is not a UBL invoice or credit note.",
    "invalid_value": "A number or date in the document is not valid.",
    "UBL-2.1-XSD": "The document does not follow the UBL 2.1 schema.",
    "validator_exception": "The e-invoice rules could not be checked.",
    "service_step_failed": "The document could not be processed completely.",
}
_RULE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,79}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f<>]")


def sender_address(sender: str | None) -> str:
    """The plain, lower-case address of a `Name <a@b.nl>` or `a@b.nl` sender ('' if none)."""
    return parseaddr(sender or "")[1].strip().lower()


def known_address(session: Session, environment_id: int, sender: str | None) -> str | None:
    """The sender's address if it is a trusted sender or a supplier's e-mail in master data, else None."""
    address = sender_address(sender)
    if not address or "\n" in address or "\r" in address:
        return None
    if is_trusted_sender(session, address, environment_id=environment_id):
        return address
    supplier = session.scalar(select(Supplier.id).where(Supplier.environment_id == environment_id,
                                                        func.lower(Supplier.email) == address).limit(1))
    return address if supplier is not None else None


def mail_reason(finding: Mapping[str, Any]) -> str | None:
    """`RULE: official message`, truncated; None for a finding without a usable rule id."""
    rule = str(finding.get("rule") or "")
    if not _RULE_ID.match(rule):
        return None
    message = OWN_MESSAGES.get(rule) or _CONTROL.sub(" ", str(finding.get("message") or ""))
    message = " ".join(message.split())
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE - 1].rstrip() + "…"
    return f"{rule}: {message}" if message else rule


def mail_reasons(findings: Iterable[Mapping[str, Any]]) -> list[str]:
    """The fatal findings as they may appear in a mail: rule id and official message, at most MAX_REASONS."""
    lines = [line for f in findings if f.get("flag", "fatal") == "fatal" and (line := mail_reason(f))]
    if len(lines) > MAX_REASONS:
        lines = [*lines[:MAX_REASONS], f"... and {len(lines) - MAX_REASONS} more"]
    return lines


def document_label(document: ReceivedDocument | None) -> str:
    """How a mail names the document: by its SHA-256, never by a name the sender chose."""
    return f"SHA-256 {document.sha256[:16]}" if document is not None else ""


def hold(document: ReceivedDocument, address: str) -> None:
    """Keep a refused document unanswered in the inbox, with the reason (shown there)."""
    note = {"rule": HOLD_RULE, "flag": "hold",
            "message": f"The refusal was not mailed: {address} is neither a trusted sender nor a supplier's "
                       "e-mail address in master data. The document waits here until the sender is trusted."}
    document.reasons = [*(r for r in document.reasons if r.get("rule") != HOLD_RULE), note]


def is_held(document: ReceivedDocument) -> bool:
    """Whether a refused document waits for its sender to become known."""
    return any(isinstance(r, dict) and r.get("flag") == "hold" for r in document.reasons or [])


def start_conversion(session: Session, host: Host, *, actor: Actor, document: ReceivedDocument | None,
                     reasons: list[str], business_key: str, extra: Mapping[str, Any] | None = None,
                     hold_unknown: bool = True) -> ProcessInstance | None:
    """Start the conversion task (a system start) for a refused document, or hold it (None).

    The sender in the process data is the checked address, or '' (creditors follow up by hand) when
    the document names none, or names an unknown one and `hold_unknown` is off.
    """
    address = document.sender if document is not None else None
    known = known_address(session, actor.environment_id, address) if address else None
    if document is not None and sender_address(address) and known is None and hold_unknown:
        hold(document, sender_address(address))
        return None
    if ensure_deployed(session, host, actor=actor, key=CONVERSION_MODEL) is None:
        return None
    data = {"document_id": document.id if document is not None else None, "sender": known or "",
            "filename": document_label(document), "reasons": reasons, **dict(extra or {})}
    return instances.start(session, host, actor=actor, key=CONVERSION_MODEL, business_key=business_key, data=data)


def answer_refused(session: Session, host: Host, *, actor: Actor, document: ReceivedDocument) -> ProcessInstance | None:
    """The conversion task for a refused document (its reasons, keyed by the document), or None when held."""
    return start_conversion(session, host, actor=actor, document=document, reasons=mail_reasons(document.reasons),
                            business_key=f"document-{document.id}")


def follow_up_failed_step(session: Session, host: Host, *, actor: Actor, incident_id: int, instance_id: int,
                          document: ReceivedDocument | None) -> ProcessInstance | None:
    """The conversion task telling the document's sender that a step failed for good (never the error's
    text); an unknown sender is not held: creditors follow up by hand."""
    reasons = mail_reasons([{"rule": "service_step_failed", "flag": "fatal"}])
    return start_conversion(session, host, actor=actor, document=document, reasons=reasons,
                            business_key=f"incident-{incident_id}", hold_unknown=False,
                            extra={"failed_instance_id": instance_id})


def release_held(session: Session, host: Host, *, actor: Actor, address: str) -> list[int]:
    """Answer the held refusals of `address` now that it is known; returns the conversion instances."""
    held = session.scalars(select(ReceivedDocument).where(
        ReceivedDocument.environment_id == actor.environment_id, ReceivedDocument.status == "rejected",
        ReceivedDocument.instance_id.is_(None)).order_by(ReceivedDocument.id)).all()
    started = []
    for document in held:
        if not is_held(document) or sender_address(document.sender) != sender_address(address):
            continue
        document.reasons = [r for r in document.reasons if r.get("flag") != "hold"]
        instance = answer_refused(session, host, actor=actor, document=document)
        if instance is not None:
            document.instance_id = instance.id
            started.append(instance.id)
    return started
