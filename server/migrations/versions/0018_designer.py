"""model versions: the checksum covers the canonical form of the sources

A re-saved but unchanged model (other attribute order, quoting, indentation, diagram order) now has
the checksum of the model it came from, so deploying it creates no version. The stored checksums
are recomputed the new way (server.engine.canonical_source, frozen here as it was at this revision).

Revision ID: 0018_designer
Revises: 0012_python_scripts_setting
"""
import hashlib
import json

import sqlalchemy as sa
from alembic import op
from lxml import etree

revision = "0018_designer"
down_revision = "0012_python_scripts_setting"
branch_labels = None
depends_on = None

BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
_PARSER = etree.XMLParser(remove_blank_text=True, remove_comments=True, resolve_entities=False, no_network=True,
                          load_dtd=False, huge_tree=False)
_VERSIONS = sa.table("process_model_versions", sa.column("id", sa.Integer), sa.column("checksum", sa.String),
                     sa.column("bpmn_sources", sa.JSON), sa.column("dmn_sources", sa.JSON),
                     sa.column("form_sources", sa.JSON))


def _xml(source: bytes) -> bytes:
    try:
        root = etree.fromstring(source, _PARSER)
    except etree.XMLSyntaxError:
        return source
    for node in root.iter():
        if len(node) and node.text is not None and not node.text.strip():
            node.text = None
        if node.tail is not None and not node.tail.strip():
            node.tail = None
    for plane in root.iter(f"{{{BPMNDI}}}BPMNPlane"):
        plane[:] = sorted(plane, key=lambda child: (str(child.tag), child.get("id") or ""))
    return etree.tostring(root, method="c14n", exclusive=True, with_comments=False)


def _json(source: bytes) -> bytes:
    try:
        value = json.loads(source)
    except ValueError:
        return source
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _checksum(bpmn: dict, dmn: dict, forms: dict, *, canonical: bool) -> str:
    digest = hashlib.sha256()
    for kind, files in (("bpmn", bpmn), ("dmn", dmn), ("form", forms)):
        for name in sorted(files):
            text = files[name].encode("utf-8")
            if canonical:
                text = _json(text) if kind == "form" else _xml(text)
            digest.update(f"{kind}:{name}:{len(text)}:".encode())
            digest.update(text)
    return digest.hexdigest()


def _recompute(*, canonical: bool) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(_VERSIONS.c.id, _VERSIONS.c.bpmn_sources, _VERSIONS.c.dmn_sources,
                                  _VERSIONS.c.form_sources)).all()
    for row in rows:
        digest = _checksum(row.bpmn_sources or {}, row.dmn_sources or {}, row.form_sources or {},
                           canonical=canonical)
        bind.execute(_VERSIONS.update().where(_VERSIONS.c.id == row.id).values(checksum=digest))


def upgrade() -> None:
    _recompute(canonical=True)


def downgrade() -> None:
    _recompute(canonical=False)
