"""Starting a process by hand (API, page, CLI), and the models only the server itself may start.

A model whose process carries the extension property `stroom:systemStartOnly` = `true`
(`camunda:property` or `zeebe:property`, as the modelers write them) is started by the server
alone: `conversion_task` mails a refused document's sender, and a hand-made start would let anyone
mail any address any text. The shipped templates so marked stay system-only under their key even
if someone deploys a version without the mark.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from lxml import etree
from sqlalchemy.orm import Session

from server.auth.actor import Actor
from server.errors import Forbidden
from server.host import Host
from server.instances import service as instances
from server.instances import start_data
from server.instances.models import ProcessInstance, ProcessModelVersion
from server.instances.shipped import shipped_models

SYSTEM_START_ONLY = "stroom:systemStartOnly"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def marked_system_start_only(bpmn: bytes, process_id: str) -> bool:
    """Whether the process `process_id` of a BPMN file carries `stroom:systemStartOnly` = `true`."""
    root = etree.fromstring(bpmn, _PARSER)
    for process in root.iterfind("{*}process"):
        if process.get("id") == process_id:
            return any(prop.get("name") == SYSTEM_START_ONLY and (prop.get("value") or "").strip().lower() == "true"
                       for prop in process.iterfind("{*}extensionElements/{*}properties/{*}property"))
    return False


@functools.lru_cache(maxsize=1)
def shipped_system_keys() -> frozenset[str]:
    """Keys of the shipped templates marked system-start-only (read once per process)."""
    return frozenset(m.key for m in shipped_models() for source in m.bpmn.values()
                     if marked_system_start_only(source, m.key))


def system_start_only(version: ProcessModelVersion) -> bool:
    """Whether only the server may start this model version."""
    if version.key in shipped_system_keys():
        return True
    return any(marked_system_start_only(source.encode("utf-8"), version.process_id)
               for source in version.bpmn_sources.values() if f'id="{version.process_id}"' in source)


def refuse_system_start(version: ProcessModelVersion) -> None:
    """Forbidden (403, code system_start_only) for a model only the server starts."""
    if system_start_only(version):
        hint = (" Ask for a trusted sender from a received document instead (start it for that document)."
                if version.key == "trusted_sender" else "")
        raise Forbidden(f"process {version.key!r} is started by the server only ({SYSTEM_START_ONLY}); "
                        f"it cannot be started by hand.{hint}", code="system_start_only")


def start_by_hand(session: Session, host: Host, *, actor: Actor, key: str, data: Mapping[str, Any] | None = None,
                  business_key: str | None = None) -> ProcessInstance:
    """Start the newest version of `key` for a person or script: InvalidInput naming each start field the
    model declares and `data` misses (server.instances.start_data); Forbidden for a system-start-only model."""
    version = instances.latest_version(session, actor.environment_id, key)
    assert version is not None
    model = instances.compiled(host, version)
    start_data.check(start_data.declared_fields(version.bpmn_sources, version.process_id, model.forms), data or {})
    refuse_system_start(version)
    return instances.start(session, host, actor=actor, key=key, data=data, business_key=business_key,
                           version=version)
