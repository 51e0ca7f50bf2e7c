"""A model version's own texts (its translation catalogues, server.wording) for the pages and mail."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.engine import ModelError
from server.host import Host
from server.instances.models import ProcessInstance, ProcessModelVersion
from server.instances.service import compiled
from server.wording import NO_TEXTS, Texts


def version_texts(host: Host, version: ProcessModelVersion | None, language: str) -> Texts:
    """The version's texts in `language`; the texts as drawn without a catalogue (or in English)."""
    if version is None or language == "en":
        return NO_TEXTS
    try:
        return compiled(host, version).texts(language)
    except ModelError:  # a version that no longer compiles still shows, as drawn
        return NO_TEXTS


def instance_texts(session: Session, host: Host, instance_ids: Iterable[int], language: str) -> dict[int, Texts]:
    """Each instance's texts, by instance id (one query; each version's catalogue is read once)."""
    wanted = sorted({i for i in instance_ids if i is not None})
    if language == "en" or not wanted:
        return {}
    rows = session.execute(select(ProcessInstance.id, ProcessInstance.model_version_id)
                           .where(ProcessInstance.id.in_(wanted))).all()
    versions = {v: session.get(ProcessModelVersion, v) for v in {version_id for _, version_id in rows}}
    by_version = {v: version_texts(host, version, language) for v, version in versions.items()}
    return {instance_id: by_version[version_id] for instance_id, version_id in rows}


def texts_of_instance(session: Session, host: Host, instance_id: int | None, language: str) -> Texts:
    """One instance's texts (NO_TEXTS for none)."""
    if instance_id is None:
        return NO_TEXTS
    return instance_texts(session, host, [instance_id], language).get(instance_id, NO_TEXTS)


def model_names(session: Session, host: Host, environment_id: int, language: str) -> dict[str, str]:
    """Each model key of the environment with its newest version's process name, translated."""
    newest: dict[str, ProcessModelVersion] = {}
    for version in session.scalars(select(ProcessModelVersion)
                                   .where(ProcessModelVersion.environment_id == environment_id)
                                   .order_by(ProcessModelVersion.version)):
        newest[version.key] = version
    return {key: version_texts(host, version, language)(version.name or key) for key, version in newest.items()}
