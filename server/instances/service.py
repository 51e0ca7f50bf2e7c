"""Deploy model versions, start instances and persist every engine step with optimistic locking."""
from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from server.attached import attach, insert_attached
from server.audit import service as audit
from server.auth.actor import Actor
from server.auth.script_policy import python_scripts_allowed
from server.db import execute, utcnow
from server.engine import CompiledModel, ModelError, ServiceRegistry, WorkflowRun, checksum, compile_model
from server.errors import InvalidInput, NotFound
from server.host import Host
from server.instances import persistence
from server.instances.models import Incident, ProcessInstance, ProcessModelVersion
from server.mail.context import NO_WORDS, ModelWords
from server.wording import NO_TEXTS, Texts


@dataclasses.dataclass(frozen=True)
class ServiceContext:
    """What service-task callables get from the host: the open session and who/where they run for."""

    session: Session
    host: Host
    environment_id: int
    instance_id: int | None
    actor: Actor

    def words(self) -> ModelWords:
        """What a mail quotes from the instance's model: its process name and catalogues (server.wording)."""
        instance = self.session.get(ProcessInstance, self.instance_id) if self.instance_id else None
        version = self.session.get(ProcessModelVersion, instance.model_version_id) if instance else None
        return model_words(self.host, version)

    def python_allowed(self) -> bool:
        """Whether Python may run now: the environment's setting, read at each use (an admin may turn it off)."""
        return python_scripts_allowed(self.session, environment_id=self.environment_id)


def _encode(files: Mapping[str, bytes]) -> dict[str, str]:
    return {name: data.decode("utf-8") for name, data in files.items()}


def _decode(files: Mapping[str, str]) -> dict[str, bytes]:
    return {name: text.encode("utf-8") for name, text in files.items()}


def deploy(session: Session, host: Host, *, actor: Actor, key: str, bpmn: Mapping[str, bytes],
           dmn: Mapping[str, bytes] | None = None, forms: Mapping[str, bytes] | None = None,
           process_id: str | None = None) -> ProcessModelVersion:
    """Validate and store a new version of `key`; identical sources return the current version."""
    if not key or len(key) > 200:
        raise InvalidInput("model key must be 1 to 200 characters", code="invalid_model_key")
    if not bpmn:
        raise InvalidInput("a deployment needs at least one BPMN file", code="no_bpmn")
    dmn, forms = dict(dmn or {}), dict(forms or {})
    try:
        for source in (*bpmn.values(), *dmn.values(), *forms.values()):
            source.decode("utf-8")  # sources are stored as text
        python_scripts = python_scripts_allowed(session, environment_id=actor.environment_id)
        model = compile_model(bpmn=bpmn, dmn=dmn, forms=forms, services=host.services, process_id=process_id,
                              python_scripts=python_scripts)
    except UnicodeDecodeError:
        raise InvalidInput("model files must be UTF-8 text", code="invalid_model") from None
    except ModelError as exc:
        raise InvalidInput(f"model refused: {exc}", code="invalid_model", details=[exc.as_detail()]) from None
    digest = checksum(bpmn, dmn, forms)
    latest = latest_version(session, actor.environment_id, key, required=False)
    if latest is not None and latest.checksum == digest:
        return latest
    version = ProcessModelVersion(
        environment_id=actor.environment_id, key=key, version=(latest.version + 1) if latest else 1,
        process_id=model.process_id, name=model.process.name, bpmn_sources=_encode(bpmn),
        dmn_sources=_encode(dmn), form_sources=_encode(forms), checksum=digest, deployed_by=actor.name)
    session.add(version)
    session.flush()
    audit.record(session, actor=actor, action="model.deployed", target_type="model", target_id=key,
                 after={"version": version.version, "checksum": digest, "files": sorted({**bpmn, **dmn, **forms})})
    return version


# Built once: every received invoice looks its model up (see db.execute on why that matters). Plain
# columns, not the entity: an ORM load cost ~0.4 ms of Python; the (deferred) sources stay behind.
_LATEST_VERSION = (select(*(column for column in ProcessModelVersion.__table__.columns
                            if not column.key.endswith("_sources")))
                   .where(ProcessModelVersion.environment_id == bindparam("env"),
                          ProcessModelVersion.key == bindparam("key"))
                   .order_by(ProcessModelVersion.version.desc()).limit(1))


def latest_version(session: Session, environment_id: int, key: str, *, required: bool = True
                   ) -> ProcessModelVersion | None:
    """The newest deployed version of a model key in an environment (one deployed in this session too)."""
    if session.autoflush:  # as an ORM query would: a version added but not yet flushed counts
        session.flush()
    row = execute(session, _LATEST_VERSION, {"env": environment_id, "key": key}).mappings().first()
    if row is None:
        if required:
            raise NotFound(f"no model {key!r} is deployed", code="model_not_found")
        return None
    loaded = session.identity_map.get(session.identity_key(ProcessModelVersion, row["id"]))
    return loaded if loaded is not None else attach(session, ProcessModelVersion(**row))


def compiled(host: Host, version: ProcessModelVersion, services: ServiceRegistry | None = None) -> CompiledModel:
    """The compiled model of a version, parsed once per process.

    A deployed version was checked against its environment's python_scripts setting at deploy; it loads
    with Python parsed, and the script engine asks the environment again before any Python runs."""
    def build() -> CompiledModel:
        return compile_model(bpmn=_decode(version.bpmn_sources), dmn=_decode(version.dmn_sources),
                             forms=_decode(version.form_sources), services=services or host.services,
                             process_id=version.process_id, python_scripts=True)
    return host.models.get(version.id, build)


def version_texts(host: Host, version: ProcessModelVersion | None, language: str) -> Texts:
    """The version's texts in `language`; the texts as drawn without a catalogue (or in English)."""
    if version is None or language == "en":
        return NO_TEXTS
    try:
        return compiled(host, version).texts(language)
    except ModelError:  # a version that no longer compiles still shows, as drawn
        return NO_TEXTS


def model_words(host: Host, version: ProcessModelVersion | None) -> ModelWords:
    """What mail quotes from a version: its process name as drawn and its texts per language."""
    if version is None:
        return NO_WORDS
    return ModelWords(process_name=version.name or version.key,
                      texts=functools.partial(version_texts, host, version))


def get_instance(session: Session, environment_id: int, instance_id: int) -> ProcessInstance:
    """An instance of the caller's environment, or NotFound (never another environment's)."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None or instance.environment_id != environment_id:
        raise NotFound(f"process instance {instance_id} not found", code="instance_not_found")
    return instance


def start(session: Session, host: Host, *, actor: Actor, key: str, data: Mapping[str, Any] | None = None,
          business_key: str | None = None, version: ProcessModelVersion | None = None,
          link: Callable[[ProcessInstance], None] | None = None) -> ProcessInstance:
    """Start `version` (default: the newest version of `key`) with `data` and run it until it waits.

    `link` is called with the new instance (id assigned) before it runs: rows that point at the
    instance are then written in the same flush as its first step.
    """
    version = version or latest_version(session, actor.environment_id, key)
    assert version is not None and version.key == key
    model = compiled(host, version)
    # One prebuilt INSERT instead of a flush: the new row needs its id before the engine runs.
    instance = insert_attached(session, ProcessInstance, {
        "environment_id": actor.environment_id, "model_version_id": version.id, "model_key": key,
        "business_key": business_key, "status": "running", "state": "{}", "started_by": actor.name})
    if link is not None:
        link(instance)
    context = ServiceContext(session, host, actor.environment_id, instance.id, actor)
    run = WorkflowRun.start(model, dict(data or {}), context=context)
    audit.record(session, actor=actor, action="instance.started", target_type="instance",
                 target_id=instance.id, instance_id=instance.id,
                 after={"model": key, "version": version.version, "business_key": business_key})
    advance_and_save(session, host, instance=instance, run=run, actor=actor, new=True)
    return instance


def version_of(session: Session, instance: ProcessInstance) -> ProcessModelVersion:
    """The model version an instance started with (and runs on)."""
    version = session.get(ProcessModelVersion, instance.model_version_id)
    assert version is not None  # the foreign key guarantees it
    return version


def load_run(session: Session, host: Host, instance: ProcessInstance, *, actor: Actor) -> WorkflowRun:
    """The live workflow of an instance, on the model version it started with."""
    version = version_of(session, instance)
    context = ServiceContext(session, host, instance.environment_id, instance.id, actor)
    return WorkflowRun.load(compiled(host, version), instance.state, context=context)


def advance_and_save(session: Session, host: Host, *, instance: ProcessInstance, run: WorkflowRun,
                     actor: Actor, new: bool = False) -> None:
    """Advance unless suspended, then persist state, tasks, timers, incidents and audit together."""
    failure = None if instance.status == "suspended" else run.advance()
    persistence.save(session, host, instance=instance, run=run, actor=actor, failure=failure, new=new)


def open_incidents(session: Session, instance_id: int) -> list[Incident]:
    return list(session.scalars(select(Incident).where(Incident.instance_id == instance_id,
                                                       Incident.status == "open")))


def claim_follow_up(session: Session, incident_id: int) -> bool:
    """Whether this transaction may start the incident's one follow-up (it claimed it; nobody had).

    A conditional update, so two racing retries that both failed for good cannot both win: on
    PostgreSQL the second waits for the first's commit and then matches no row."""
    claimed = session.execute(update(Incident).where(Incident.id == incident_id, Incident.followed_up_at.is_(None))
                              .values(followed_up_at=utcnow()))
    return bool(getattr(claimed, "rowcount", 0) == 1)


def count_instances(session: Session, environment_id: int) -> int:
    return session.scalar(select(func.count()).select_from(ProcessInstance)
                          .where(ProcessInstance.environment_id == environment_id)) or 0
