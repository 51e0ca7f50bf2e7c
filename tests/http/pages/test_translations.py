"""The Dutch catalog translates every page text, and the committed .mo matches its .po."""
from __future__ import annotations

import io

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from server.pages.common import WEB

CATALOGS = WEB / "translations"


def test_every_extracted_text_has_a_dutch_translation() -> None:
    template = read_po((CATALOGS / "messages.pot").open("rb"))
    dutch = read_po((CATALOGS / "nl" / "LC_MESSAGES" / "messages.po").open("rb"))
    missing = [m.id for m in template if m.id and not (dutch.get(m.id) and all(
        [dutch.get(m.id).string] if isinstance(dutch.get(m.id).string, str) else dutch.get(m.id).string))]
    assert not missing, missing


def test_the_committed_mo_files_are_compiled_from_the_po_files() -> None:
    assert (CATALOGS / "en" / "LC_MESSAGES" / "messages.mo").is_file()
    for lang in ("nl",):
        folder = CATALOGS / lang / "LC_MESSAGES"
        source = read_po((folder / "messages.po").open("rb"))
        compiled = read_mo(io.BytesIO((folder / "messages.mo").read_bytes()))
        expected = {_key(m.id): _key(m.string) for m in source if m.id and _done(m.string) and not m.fuzzy}
        actual = {_key(m.id): _key(m.string) for m in compiled if m.id}
        assert actual == expected, f"run `make translations` ({lang})"


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _done(value: object) -> bool:
    return all(value) if isinstance(value, (list, tuple)) else bool(value)
