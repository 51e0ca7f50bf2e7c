"""master data: imports run as background jobs (masterdata_imports), name keys of every script

`masterdata_imports` holds an uploaded file until the worker has imported it, with its progress and
summary (created, updated, unchanged, refused rows with line numbers). Name keys were folded to a-z and
0-9 only ("Ørsted" -> "rsted", Greek and Cyrillic names -> ""); `normalise.fold` now keeps the letters
of every script, so the stored keys of suppliers and administrations are recomputed here, one UPDATE per
distinct raw value, with a frozen copy of that fold (below).

Revision ID: 0017_masterdata_bulk
Revises: 0014_ops_instances
"""
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

from server.db import UTCDateTime

revision = "0017_masterdata_bulk"
down_revision = "0014_ops_instances"
branch_labels = None
depends_on = "0002_masterdata"  # the tables whose keys are recomputed live on that branch


# A frozen copy of server.masterdata.normalise's normalise_name and normalise_city (and what they use),
# taken on 2026-12-03 (commit 13f49b1), instead of importing them: a later change to the live keys must
# not silently change what upgrading an old database through 0017 writes; new keys need a new migration.
LEGAL_FORMS = frozenset((
    "bv", "nv", "vof", "cv", "bvba", "sprl", "cvba", "vzw", "ev", "gmbh", "mbh", "kg", "ag", "ug", "ohg",
    "gbr", "ltd", "limited", "plc", "llp", "llc", "inc", "incorporated", "corp", "corporation", "co",
    "company", "sa", "sas", "sarl", "srl", "spa", "sl", "slu", "ab", "as", "asa", "aps", "oy", "oyj", "se",
    "sc", "kft", "sro", "zrt", "pty", "lp", "αε", "επε", "ικε", "οε", "εε",
))  # fmt: skip
LEADING_FORMS = frozenset(("ооо", "оао", "зао", "пао", "ао", "тов", "пат", "ип"))
_SPELLED = str.maketrans({"ø": "o", "æ": "ae", "đ": "d", "ð": "d", "ł": "l", "œ": "oe", "þ": "th", "ı": "i",
                          "ħ": "h", "ŧ": "t"})
_MULTI_WORD_FORMS = re.compile(r"\b(a/s|s\.?a\.?r\.?l\.?|s\.?p\.?a\.?|s\.?r\.?o\.?)(?=\W|$)")
_SEARCH_DROPPED = str.maketrans("", "", ".'\u2019")
_ASCII_GAPS = re.compile(r"[^0-9a-z]+")


def _ascii_words(text: str) -> str:
    return _ASCII_GAPS.sub(" ", text.lower().translate(_SEARCH_DROPPED)).strip()


def _unaccented_casefold(text: str) -> str:
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def fold(text: str | None) -> str:
    if not text:
        return ""
    if text.isascii():
        return _ascii_words(text)
    plain = _unaccented_casefold(text).translate(_SPELLED).translate(_SEARCH_DROPPED)
    return " ".join("".join(ch if ch.isalnum() else " " for ch in plain).split())


def normalise_name(name: str | None) -> str:
    if not name:
        return ""
    decomposed = name.lower() if name.isascii() else unicodedata.normalize("NFKD", name).casefold()
    joined = _MULTI_WORD_FORMS.sub(lambda m: re.sub(r"[./]", "", m.group(1)), decomposed)
    words = fold(joined).split()
    while len(words) > 1 and words[-1] in LEGAL_FORMS:
        words.pop()
    while len(words) > 1 and words[0] in LEADING_FORMS:
        words.pop(0)
    return " ".join(words)


def normalise_city(city: str | None) -> str:
    return fold(city)


KEYS = (("suppliers", "name", "normalised_name", normalise_name, 300),
        ("administrations", "name", "normalised_name", normalise_name, 300),
        ("administrations", "city", "normalised_city", normalise_city, 200))


def upgrade() -> None:
    op.create_table(
        "masterdata_imports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("environment_id", sa.Integer(), sa.ForeignKey("environments.id"), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("edge", sa.String(10), nullable=False),
        sa.Column("actor_type", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in ("total", "done", "created", "updated",
                                                                     "unchanged")),
        sa.Column("refused", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        *(sa.Column(name, UTCDateTime(), nullable=True) for name in ("started_at", "heartbeat_at", "finished_at")),
    )
    op.create_index("ix_masterdata_imports_env_created", "masterdata_imports", ["environment_id", "created_at"])
    connection = op.get_bind()
    for table, raw, key, normalise, length in KEYS:
        values = connection.execute(sa.text(f"SELECT DISTINCT {raw} FROM {table}")).scalars().all()
        for value in values:
            connection.execute(
                sa.text(f"UPDATE {table} SET {key} = :key WHERE {raw} = :raw" if value is not None
                        else f"UPDATE {table} SET {key} = :key WHERE {raw} IS NULL"),
                {"key": normalise(value)[:length], "raw": value})


def downgrade() -> None:
    # The keys stay as recomputed: the old fold cannot be restored from them, and it lost letters.
    op.drop_index("ix_masterdata_imports_env_created", table_name="masterdata_imports")
    op.drop_table("masterdata_imports")
