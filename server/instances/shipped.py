"""The process templates shipped in bpmn/ (forms in bpmn/forms/) with the tables in dmn/."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from sqlalchemy.orm import Session

from server.auth.actor import Actor
from server.host import Host
from server.instances import service as instances
from server.instances.models import ProcessModelVersion
from server.wording import CATALOGUE_SUFFIX, catalogue_name

ROOT = Path(__file__).resolve().parents[2]


@dataclasses.dataclass(frozen=True)
class ShippedModel:
    key: str
    bpmn: dict[str, bytes]
    dmn: dict[str, bytes]
    forms: dict[str, bytes]


def shipped_models(root: Path = ROOT) -> list[ShippedModel]:
    """Each model in bpmn/ with every table of dmn/ and every form of bpmn/forms/, and the translation
    catalogues beside them (`F.translations.json`, deployed with the forms: server.wording)."""
    dmn = {p.name: p.read_bytes() for p in sorted((root / "dmn").glob("*.dmn"))}
    forms = {p.name: p.read_bytes() for p in sorted((root / "bpmn" / "forms").glob("*.json"))}
    forms.update({p.name: p.read_bytes() for p in sorted((root / "dmn").glob(f"*{CATALOGUE_SUFFIX}"))})
    return [ShippedModel(p.stem, {p.name: p.read_bytes()}, dmn, {**forms, **_catalogue_of(p)})
            for p in sorted((root / "bpmn").glob("*.bpmn"))]


def _catalogue_of(path: Path) -> dict[str, bytes]:
    catalogue = path.with_name(catalogue_name(path.name))
    return {catalogue.name: catalogue.read_bytes()} if catalogue.exists() else {}


def ensure_deployed(session: Session, host: Host, *, actor: Actor, key: str) -> ProcessModelVersion | None:
    """The newest version of `key`; the shipped template is deployed first if none is (None if not shipped)."""
    version = instances.latest_version(session, actor.environment_id, key, required=False)
    if version is not None:
        return version
    model = next((m for m in shipped_models() if m.key == key), None)
    if model is None:
        return None
    return instances.deploy(session, host, actor=Actor.system(actor.environment_id, "stroom"), key=key,
                            bpmn=model.bpmn, dmn=model.dmn, forms=model.forms)
