"""Who gets a message: users, group or role members, the invoice's contact, or fixed addresses.

A recipient spec is `user:login`, `group:name`, `role:name`, `invoice` (the supplier contact's
e-mail in the process data), an address (`a@b.nl` or `Name <a@b.nl>`), or a bare login.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from email.utils import formataddr, parseaddr
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.models import Group, GroupMembership, Role, RoleMembership, User
from server.errors import InvalidInput
from server.mail.render import DEFAULT_LANGUAGE, LANGUAGES, language_of
from server.masterdata.models import Supplier

_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
DUTCH_COUNTRIES = ("NL", "BE", "SR")


@dataclasses.dataclass(frozen=True)
class Recipient:
    """One address with the language its message is written in."""

    address: str
    language: str = "en"
    name: str = ""

    def formatted(self) -> str:
        return formataddr((self.name, self.address)) if self.name else self.address


def valid_address(value: str) -> bool:
    """A plain `local@domain.tld` without spaces or header-breaking characters."""
    return len(value) <= 320 and bool(_ADDRESS.match(value))


def specs_of(value: Any) -> list[str]:
    """A spec list from a string (comma or semicolon separated) or a list of strings."""
    items = value if isinstance(value, (list, tuple, set)) else re.split(r"[;,]", str(value or ""))
    return [str(item).strip() for item in items if str(item).strip()]


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def invoice_contact(data: Mapping[str, Any]) -> tuple[str, str, str | None]:
    """(address, name, country) of the supplier contact in the process data; address '' if none."""
    invoice = _mapping(data.get("invoice"))
    supplier = _mapping(invoice.get("supplier"))
    contact = _mapping(supplier.get("contact"))
    address = invoice.get("contact_email") or contact.get("email") or data.get("contact_email") or ""
    name = invoice.get("contact_name") or contact.get("name") or ""
    postal = _mapping(supplier.get("address"))
    country = invoice.get("supplier_country") or postal.get("country")
    return str(address).strip(), str(name), (str(country).upper() if country else None)


def supplier_language(session: Session, environment_id: int, data: Mapping[str, Any], *, country: str | None,
                      default: str) -> str:
    """The language a supplier reads: its master data's, else its invoice country's, else `default`."""
    supplier_id = data.get("supplier_id")
    if isinstance(supplier_id, int) and not isinstance(supplier_id, bool):
        known = session.scalar(select(Supplier.language).where(Supplier.id == supplier_id,
                                                               Supplier.environment_id == environment_id))
        code = str(known or "").strip().lower().replace("_", "-").split("-")[0]
        if code in LANGUAGES:
            return code
    if country:
        return "nl" if country in DUTCH_COUNTRIES else "en"
    return language_of(default)


def _users(session: Session, environment_id: int, kind: str, name: str) -> list[User] | None:
    if kind == "user":
        query = select(User).where(User.login == name)
    elif kind == "group":
        if session.scalar(select(Group.id).where(Group.environment_id == environment_id,
                                                 Group.name == name)) is None:
            return None
        query = select(User).join(GroupMembership, GroupMembership.user_id == User.id).join(
            Group, Group.id == GroupMembership.group_id).where(Group.name == name)
    else:
        if session.scalar(select(Role.id).where(Role.environment_id == environment_id,
                                                Role.name == name)) is None:
            return None
        query = select(User).join(RoleMembership, RoleMembership.user_id == User.id).join(
            Role, Role.id == RoleMembership.role_id).where(Role.name == name)
    users = list(session.scalars(query.where(User.environment_id == environment_id, User.active.is_(True))
                                 .order_by(User.login)))
    return users if users or kind != "user" else None


def _one(session: Session, environment_id: int, spec: str, *, data: Mapping[str, Any],
         language: str | None, default: str) -> list[Recipient] | None:
    """The recipients of one spec; None when it names nothing that exists."""
    kind, sep, name = spec.partition(":")
    if spec in ("invoice", "invoice:contact"):
        address, contact_name, country = invoice_contact(data)
        chosen = language or supplier_language(session, environment_id, data, country=country, default=default)
        return [Recipient(address, language_of(chosen), contact_name)] if address else None
    if "@" in spec:
        name, address = parseaddr(spec)
        return [Recipient(address, language_of(language or default), name)] if valid_address(address) else None
    if not sep:
        kind, name = "user", spec
    if kind not in ("user", "group", "role"):
        return None
    users = _users(session, environment_id, kind, name.strip())
    if users is None:
        return None
    return [Recipient(u.email, language_of(u.language or default), u.display_name or u.login)
            for u in users if u.email and valid_address(u.email)]


def resolve(session: Session, environment_id: int, specs: Iterable[str], *, data: Mapping[str, Any] | None = None,
            language: str | None = None, strict: bool = True,
            default_language: str = DEFAULT_LANGUAGE) -> list[Recipient]:
    """Recipients for the specs, each address once; `strict` refuses specs naming nothing (InvalidInput).

    `language` (the model's choice) wins; else users read their own language and the supplier contact
    the one `supplier_language` picks, ending at `default_language` (STROOM_MAIL_LANGUAGE)."""
    found: dict[str, Recipient] = {}
    for spec in specs:
        recipients = _one(session, environment_id, spec, data=data or {}, language=language,
                          default=default_language)
        if recipients is None:
            if strict:
                raise InvalidInput(f"no mail recipient {spec!r}: not a valid address, user, group, role or "
                                   "invoice contact", code="unknown_recipient", details=[{"spec": spec}])
            continue
        for recipient in recipients:
            found.setdefault(recipient.address.lower(), recipient)
    return list(found.values())
