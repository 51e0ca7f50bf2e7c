"""What people and suppliers read: a supplier's mail in its own language (master data, then the invoice's
country, then STROOM_MAIL_LANGUAGE), and reminder and escalation mails with a link that opens a page."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select, update

from server.auth.models import Environment
from server.mail.recipients import resolve
from server.masterdata.models import Supplier
from tests.e2e_flows.site import Site


def linked_page(site: Site, body: str) -> tuple[str, dict]:
    """The page (endpoint, arguments) the mail's one link opens on this server."""
    links = re.findall(r"https?://\S+", body)
    assert len(links) == 1, body
    base = site.host.settings.base_url.rstrip("/")
    assert links[0].startswith(base + "/"), links[0]
    adapter = site.client.application.url_map.bind(urlsplit(base).netloc)
    return adapter.match(urlsplit(links[0]).path)


def disapprove(site: Site, sample: str) -> str:
    body = site.post_invoice(sample)
    task = site.task("carla", body["instance_id"])
    site.act("carla", task["id"], "disapprove", {"reason": "wrong bank account"})
    mail = site.outbox()[-1]
    assert mail.to.endswith("<administratie@pieters.example>") or mail.to == "administratie@pieters.example"
    return mail.subject


def test_a_dutch_supplier_reads_the_disapproval_in_dutch(site: Site) -> None:
    # Pieters Transport: master data language nl.
    subject = disapprove(site, "preferred_bank_differs.xml")
    assert subject.startswith("Uw factuur") and "niet geaccepteerd" in subject


def test_the_master_data_language_wins_over_the_invoice_country(site: Site) -> None:
    with site.host.db.unit_of_work() as session:
        session.execute(update(Supplier).where(Supplier.code == "S002").values(language="en"))
    subject = disapprove(site, "preferred_bank_differs.xml")  # a Dutch address, an English reader
    assert subject.startswith("Your invoice") and "was not accepted" in subject


def test_without_master_data_the_country_and_then_the_environment_default_decide(site: Site) -> None:
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
        german = resolve(session, env_id, ["invoice"], default_language="nl",
                         data={"invoice": {"contact_email": "a@b.example", "supplier_country": "DE"}})
        belgian = resolve(session, env_id, ["invoice"], default_language="en",
                          data={"invoice": {"contact_email": "a@b.example", "supplier_country": "BE"}})
        unknown = resolve(session, env_id, ["invoice"], default_language="nl",
                          data={"invoice": {"contact_email": "a@b.example"}})
    assert [german[0].language, belgian[0].language, unknown[0].language] == ["en", "nl", "nl"]


def test_reminder_and_escalation_mails_link_to_a_page_that_exists(site: Site) -> None:
    body = site.post_invoice("matching_difference.xml")
    instance_id = body["instance_id"]
    task = site.task("piet", instance_id)
    site.outbox()
    site.clock.advance(days=2, hours=1)
    reminder = site.outbox()[1]
    assert reminder.subject.startswith("Reminder:")
    assert linked_page(site, reminder.body) == ("task_pages.task_page", {"task_id": task["id"]})
    site.clock.advance(days=3)
    escalation = site.outbox()[2]
    assert escalation.subject.startswith("Escalation:")
    # The late task closes as the mail is written and the escalated one opens after: the link opens the
    # instance, which lists the open one.
    assert linked_page(site, escalation.body) == ("instance_pages.instance_page", {"instance_id": instance_id})
