"""Hostile documents for the fuzz tests and bench/fuzz.py: corpus mutations, odd encodings, bombs.

Every target is a parser that must either return or raise one of its documented typed errors; the
`TARGETS` table names both, so the property tests and the long fuzz run check the same contract.
"""
from __future__ import annotations

import os
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.support.paths import CORPUS

# Substrings that stress number parsing, escaping and encodings when spliced into a document.
NASTY = (
    b"999999999999999999999999999999999999999999", b"1E+999999999", b"1e-999999999", b"-0", b"NaN",
    b"Infinity", b"sNaN", b"0x1F", b"1_000", b"\xd9\xa3", b"\xc2\xb2", b"&#0;", b"&#x110000;", b"&amp;",
    b"&unknown;", b"]]>", b"<![CDATA[", b"<!--", b"\xff\xfe", b"\xef\xbb\xbf", b"\x00", b"\xc3\x28",
    b"<?xml version='1.0'?>", b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>", b"xmlns:cbc=''",
    b'"', b"'", b"\\", b"(", b"[", b"{", b"..", b"**", b"not(", b"-",
)
HUGE_NUMBERS = (b"9" * 5000, b"1e999999999", b"1E-999999999", b"-9999999999999999999999999999.99999999",
                b"1" + b"0" * 400 + b".5", b"0." + b"0" * 4000 + b"1")
_NUMBER = re.compile(rb"\d+(?:\.\d+)?")


@cache
def corpus_files(kind: str) -> tuple[Path, ...]:
    """The shared corpus documents of one kind: 'ubl', 'dmn' or 'bpmn'."""
    suffixes = {"ubl": (".xml",), "dmn": (".dmn",), "bpmn": (".bpmn",)}[kind]
    files = tuple(sorted(p for p in (CORPUS / kind).rglob("*") if p.suffix in suffixes))
    assert files, f"no {kind} files in the shared corpus at {CORPUS / kind}"
    return files


@cache
def corpus_bytes(path: Path) -> bytes:
    return path.read_bytes()


def mutate(data: bytes, rng: random.Random, *, rounds: int | None = None) -> bytes:
    """`data` with a few random edits: flipped bytes, cuts, splices, nasty inserts, huge numbers."""
    out = bytearray(data)
    for _ in range(rounds if rounds is not None else rng.randint(1, 8)):
        if not out:
            out = bytearray(b"<")
        i = rng.randrange(len(out))
        edit = rng.randrange(7)
        if edit == 0:
            out[i] = rng.randrange(256)
        elif edit == 1:
            del out[i:i + rng.randint(1, 200)]
        elif edit == 2:
            out[i:i] = rng.randbytes(rng.randint(1, 20))
        elif edit == 3:
            j = rng.randrange(len(out))
            out[i:i] = out[j:j + rng.randint(1, 500)]
        elif edit == 4:
            out[i:i] = rng.choice(NASTY)
        elif edit == 5:
            del out[i:]
        else:
            numbers = [m.span() for m in _NUMBER.finditer(bytes(out))]
            if numbers:
                start, end = rng.choice(numbers)
                out[start:end] = rng.choice(HUGE_NUMBERS)
    return bytes(out)


def reencode(data: bytes, encoding: str) -> bytes:
    """The document re-encoded (UTF-16 with its BOM, latin-1 ...), its declaration left as it was."""
    text = data.decode("utf-8", errors="replace")
    return text.encode(encoding, errors="replace")


def declare(data: bytes, encoding: str) -> bytes:
    """The same bytes behind an XML declaration that claims `encoding` (true or not)."""
    body = re.sub(rb"^\s*(?:\xef\xbb\xbf)?<\?xml[^>]*\?>", b"", data, count=1)
    return f'<?xml version="1.0" encoding="{encoding}"?>'.encode() + body


def nested(depth: int, *, tag: bytes = b"a", inner: bytes = b"1") -> bytes:
    """`depth` elements inside each other around `inner`."""
    return (b"<" + tag + b">") * depth + inner + (b"</" + tag + b">") * depth


# -- hypothesis strategies -----------------------------------------------------------------------

def mutated(kind: str) -> st.SearchStrategy[bytes]:
    """A corpus document of `kind` after seeded random edits."""
    return st.builds(lambda path, seed: mutate(corpus_bytes(path), random.Random(seed)),
                     st.sampled_from(corpus_files(kind)), st.integers(0, 2**32 - 1))


def encoded(kind: str) -> st.SearchStrategy[bytes]:
    """A corpus document in an odd encoding, or declaring one it does not use."""
    return st.one_of(
        st.builds(reencode, st.sampled_from(corpus_files(kind)).map(corpus_bytes),
                  st.sampled_from(["utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252", "utf-8-sig"])),
        st.builds(declare, st.sampled_from(corpus_files(kind)).map(corpus_bytes),
                  st.sampled_from(["latin-1", "UTF-16", "EBCDIC-US", "x-unknown", "ISO-2022-JP", "UTF-7"])),
    )


def hostile(kind: str) -> st.SearchStrategy[bytes]:
    """Everything a hostile sender might try on a parser of `kind`."""
    return st.one_of(mutated(kind), encoded(kind), st.binary(max_size=2048),
                     st.text(max_size=500).map(lambda t: t.encode("utf-8", "surrogatepass")),
                     st.integers(1, 400).map(nested))


def feel_texts() -> st.SearchStrategy[str]:
    """FEEL-looking text: random tokens of the language, numbers of every size, and plain noise."""
    tokens = st.sampled_from([
        "1", "0.5", "-", "+", "*", "/", "**", "(", ")", "[", "]", "{", "}", ",", "..", ".", ":", "?", "@",
        '"a"', '"', "not(", "<=", ">=", "<", ">", "=", "!=", "and", "or", "if", "then", "else", "between",
        "in", "instance of", "number", "true", "false", "null", "x", "item", "date(\"2026-01-01\")",
        "sum(", "count(", "substring(", "matches(", "string join(", "for", "some", "function", "1e999999",
        "1e9999999", "9" * 60, "\u00b2", "\u0663", "//", "/*", "*/", "\\", "\x00",
    ])
    return st.one_of(st.lists(tokens, max_size=40).map(" ".join), st.lists(tokens, max_size=40).map("".join),
                     st.text(max_size=200))


# -- what each target may raise ------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """A parser under test: how to call it on bytes and which typed errors it documents."""

    name: str
    kind: str
    call: Callable[[bytes], object]
    allowed: tuple[type[BaseException], ...]


def targets() -> dict[str, Target]:
    """The parsers a sender or a designer can reach, imported lazily (the subprocess checks use them)."""
    from server.decisions import DecisionError, DecisionParseError, parse_dmn
    from server.engine import ModelError, ServiceRegistry, compile_model
    from server.invoices.safexml import DocumentError
    from server.invoices.ubl import parse_invoice
    from server.invoices.validation import validate

    def dmn(data: bytes) -> object:
        model = parse_dmn(data)
        for decision in model.decision_ids[:5]:
            try:
                model.evaluate(decision, {})
            except DecisionError:
                pass
        return model

    return {
        "ubl": Target("ubl", "ubl", parse_invoice, (DocumentError,)),
        "validate-off": Target("validate-off", "ubl", lambda data: validate(data, mode="off"), ()),
        "dmn": Target("dmn", "dmn", dmn, (DecisionParseError, DecisionError)),
        "bpmn": Target("bpmn", "bpmn", lambda data: compile_model(bpmn={"fuzz.bpmn": data},
                                                                  services=ServiceRegistry()), (ModelError,)),
    }


def check(target: Target, data: bytes) -> None:
    """Call the target; only its documented errors may escape (anything else fails the caller)."""
    try:
        target.call(data)
    except target.allowed:
        pass


def fuzz_settings(examples: int) -> settings:
    """Hypothesis settings for the `make test` share: derandomized (CI never turns red by luck),
    no example database, a generous per-example deadline. STROOM_FUZZ_SCALE=N runs N times as many
    examples with fresh randomness (what a longer local run is for; bench/fuzz.py runs for minutes)."""
    scale = int(os.environ.get("STROOM_FUZZ_SCALE", "1") or 1)
    return settings(max_examples=examples * scale, deadline=timedelta(seconds=10), derandomize=scale == 1,
                    database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                          HealthCheck.filter_too_much])


# -- bombs: documents at or past the size limits, for the time and memory checks -------------------

def _valid_invoice() -> bytes:
    return (CORPUS / "ubl" / "valid" / "base-example.xml").read_bytes()


def _grow(document: bytes, start: bytes, end: bytes, size: int) -> bytes:
    """`document` with its first start...end block repeated until it is about `size` bytes."""
    first = document.index(start)
    last = document.index(end, first) + len(end)
    block = document[first:last]
    copies = max(1, (size - len(document)) // len(block))
    return document[:last] + block * copies + document[last:]


def _dmn(cells: list[tuple[str, str]]) -> bytes:
    rules = "".join(f'<rule id="r{i}"><inputEntry id="i{i}"><text>{test}</text></inputEntry>'
                    f'<outputEntry id="o{i}"><text>{out}</text></outputEntry></rule>'
                    for i, (test, out) in enumerate(cells))
    return ('<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="x">'
            '<decision id="t" name="t"><decisionTable id="dt" hitPolicy="FIRST">'
            '<input id="in" label="x"><inputExpression id="ie" typeRef="number"><text>x</text></inputExpression>'
            '</input><output id="o" name="out" typeRef="string"/>' + rules +
            '</decisionTable></decision></definitions>').encode()


def _bpmn_chain(tasks: int) -> bytes:
    body = "".join(f'<task id="t{i}"/><sequenceFlow id="f{i}" sourceRef="t{i}" targetRef="t{i + 1}"/>'
                   for i in range(tasks))
    return ('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">'
            f'<process id="p" isExecutable="true"><startEvent id="s"/>'
            f'<sequenceFlow id="fs" sourceRef="s" targetRef="t0"/>{body}<endEvent id="t{tasks}"/>'
            '</process></definitions>').encode()


def bombs() -> dict[str, tuple[str, Callable[[], bytes]]]:
    """name -> (target, build): documents at the size limits or built to exhaust time or memory."""
    mb = 1024 * 1024
    return {
        "ubl 19 MB of invoice lines": ("ubl", lambda: _grow(_valid_invoice(), b"<cac:InvoiceLine>",
                                                           b"</cac:InvoiceLine>", 19 * mb)),
        "ubl 600k empty elements": ("ubl", lambda: _valid_invoice().replace(b"<cbc:Note>", b"<x/>" * 600_000
                                                                           + b"<cbc:Note>", 1)),
        "ubl 8 MB embedded attachment": ("ubl", lambda: _valid_invoice().replace(
            b"</cac:AccountingSupplierParty>", b"</cac:AccountingSupplierParty>", 1).replace(
            b"<cac:AccountingSupplierParty>", b'<cac:AdditionalDocumentReference><cbc:ID>a</cbc:ID><cac:Attachment>'
            b'<cbc:EmbeddedDocumentBinaryObject mimeCode="application/pdf" filename="a.pdf">' + b"QUJD" * (2 * mb)
            + b"</cbc:EmbeddedDocumentBinaryObject></cac:Attachment></cac:AdditionalDocumentReference>"
            b"<cac:AccountingSupplierParty>", 1)),
        "ubl amount of 5 million digits": ("ubl", lambda: re.sub(
            rb"(<cbc:PayableAmount[^>]*>)[^<]*", lambda m: m[1] + b"9" * (5 * mb), _valid_invoice(), count=1)),
        "ubl 9 MB text node": ("ubl", lambda: _valid_invoice().replace(b"<cbc:Note>", b"<cbc:Note>" + b"a" * (9 * mb), 1)),
        # lxml refuses text nodes over 10 MB (no huge_tree): a typed not_xml refusal, not a crash.
        "ubl 19 MB text node": ("ubl", lambda: _valid_invoice().replace(b"<cbc:Note>", b"<cbc:Note>" + b"a" * (19 * mb), 1)),
        "ubl 50k namespace declarations": ("ubl", lambda: _valid_invoice().replace(
            b"<Invoice ", b"<Invoice " + b"".join(b'xmlns:n%d="urn:n%d" ' % (i, i) for i in range(50_000)), 1)),
        "ubl 10k nested elements": ("ubl", lambda: _valid_invoice().replace(b"<cbc:Note>", nested(10_000) + b"<cbc:Note>", 1)),
        "validate-off 19 MB of invoice lines": ("validate-off", lambda: _grow(
            _valid_invoice(), b"<cac:InvoiceLine>", b"</cac:InvoiceLine>", 19 * mb)),
        "dmn 4 MB string cell": ("dmn", lambda: _dmn([("-", '"' + "a" * (4 * mb) + '"')])),
        "dmn 10k rules": ("dmn", lambda: _dmn([(f"[{i}..{i + 1}[", f'"r{i}"') for i in range(10_000)])),
        "dmn 30k-item unary list": ("dmn", lambda: _dmn([(",".join(str(i) for i in range(30_000)), '"x"')])),
        "dmn 20k-term sum": ("dmn", lambda: _dmn([("-", "+".join(["1"] * 20_000))])),
        "dmn 10k nested parentheses": ("dmn", lambda: _dmn([("-", "(" * 10_000 + "1" + ")" * 10_000)])),
        # SpiffWorkflow's parser recurses along the flow; it refuses (ModelError) long before memory matters.
        "bpmn 2000 chained tasks": ("bpmn", lambda: _bpmn_chain(2_000)),
    }
