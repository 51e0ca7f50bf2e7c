"""Process-wide parts shared by requests, commands and jobs: settings, database, model cache, services."""
from __future__ import annotations

import dataclasses
import logging

from server.audit import service as audit
from server.audit.keys import load_key
from server.auth.ratelimit import LoginThrottle
from server.db import Database
from server.engine import ServiceRegistry
from server.engine.cache import ModelCache
from server.instances.registry import default_services
from server.settings import Settings


@dataclasses.dataclass
class Host:
    settings: Settings
    db: Database
    models: ModelCache
    services: ServiceRegistry
    login_throttle: LoginThrottle = dataclasses.field(default_factory=LoginThrottle)
    audit_key: bytes = dataclasses.field(default=b"", repr=False)


def open_host(settings: Settings, *, services: ServiceRegistry | None = None) -> Host:
    """Wire the database (with the audit hook), the model cache and the service registry."""
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("spiff").setLevel(max(logging.WARNING, logging.getLevelName(settings.log_level)))
    audit_key = load_key(settings)
    db = Database(settings.database_url, pool_size=settings.db_pool_size)
    audit.install(db.sessions, audit_key)
    return Host(settings=settings, db=db, models=ModelCache(), services=services or default_services(),
                audit_key=audit_key)
