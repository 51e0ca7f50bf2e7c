"""A model version's own texts (its translation catalogues, server.wording) for the pages and mail.

`version_texts` lives in server.instances.service (a running step's mail needs it there); it is
re-exported here for the pages."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.host import Host
from server.instances.models import ProcessInstance, ProcessModelVersion
from server.instances.service import model_words, version_texts
from server.mail.context import NO_WORDS, ModelWords
from server.wording import NO_TEXTS, Texts

__all__ = ["instance_texts", "mail_words", "model_names", "texts_of_instance", "version_texts"]


def mail_words(session: Session, host: Host, instance_id: int | None) -> ModelWords:
    """What a mail about the instance quotes from its model (process name, catalogues); NO_WORDS for none."""
    instance = session.get(ProcessInstance, instance_id) if instance_id is not None else None
    if instance is None:
        return NO_WORDS
    return model_words(host, session.get(ProcessModelVersion, instance.model_version_id))


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
