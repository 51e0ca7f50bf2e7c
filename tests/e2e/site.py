"""A Stroom site for page and browser tests: fresh SQLite, demo data, and the web test model."""
from __future__ import annotations

import dataclasses
import re
from contextlib import nullcontext
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server import demo
from server.app import create_app
from server.auth import service as auth
from server.auth.actor import Actor
from server.auth.models import Environment
from server.host import Host, open_host
from server.instances import service as instances
from server.migrate import upgrade
from server.settings import Settings
from tests.support.passwords import quick_password_hashes

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "web"
PASSWORD = demo.DEMO_PASSWORD
ROLES = {"admin": "admin", "designer": "designer", "creditors": "carla", "purchasing": "piet", "auditor": "audrey"}


@dataclasses.dataclass
class Site:
    host: Host
    app: Flask
    settings: Settings

    def client(self, login: str | None = None) -> FlaskClient:
        """A test client, logged in as `login` when given."""
        client = self.app.test_client()
        if login:
            page = client.get("/login")
            response = client.post("/login", data={"login": login, "password": PASSWORD,
                                                   "environment": "default", "csrf_token": csrf(page.text)})
            assert response.status_code == 302, response.text
        return client


def csrf(html: str) -> str:
    """The CSRF token of a rendered page."""
    found = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert found, "page without a CSRF token"
    return found.group(1)


def deploy_web_model(host: Host, *, key: str = "purchase_invoice") -> None:
    """The web test model (match, route by the shipped table, approve, book or mail the supplier)."""
    dmn = {p.name: p.read_bytes() for p in sorted((ROOT / "dmn").glob("*.dmn"))}
    with host.db.unit_of_work() as session:
        env = session.scalars(select(Environment).where(Environment.name == auth.DEFAULT_ENVIRONMENT)).one()
        instances.deploy(session, host, actor=Actor.system(env.id, "tests"), key=key,
                         bpmn={"web_invoice.bpmn": (DATA / "web_invoice.bpmn").read_bytes()}, dmn=dmn,
                         forms={"web_approval.form": (DATA / "web_approval.form").read_bytes()})


def build_site(tmp: Path, *, shipped_password_costs: bool = False, **changes: object) -> Site:
    """Migrated SQLite under tmp, demo users and data, the web model deployed as purchase_invoice.

    The demo users' passwords are hashed at test-sized Argon2id costs (tests/support/passwords.py) unless
    shipped_password_costs is set."""
    settings = Settings(instance_dir=tmp / "instance", database_url=f"sqlite:///{tmp / 'stroom.db'}",
                        secret_key="web-tests", testing=True, embedded_worker=False,
                        outbox_dir=tmp / "outbox", ubl_rules="warn")
    settings = settings.replace(**changes) if changes else settings
    host = open_host(settings)
    upgrade(host.db.engine)
    with nullcontext() if shipped_password_costs else quick_password_hashes():
        demo.load(host)
    deploy_web_model(host)
    return Site(host=host, app=create_app(host=host), settings=settings)
