"""Hardened XML intake for inbound documents: typed refusals, size/depth/count limits, no DTDs.

Pure (standard library and lxml only). Every byte string a sender gives us passes `safe_parse` before
any other code looks at it, so entity expansion, external fetches and DOCTYPE tricks never reach the
UBL parser, the XSD or Saxon.
"""
from __future__ import annotations

from typing import NamedTuple, TypedDict

from lxml import etree

from server.errors import InvalidInput

UBL_NS_PREFIX = "urn:oasis:names:specification:ubl:schema:xsd:"
CBC = UBL_NS_PREFIX + "CommonBasicComponents-2"
CAC = UBL_NS_PREFIX + "CommonAggregateComponents-2"
INVOICE_NS = UBL_NS_PREFIX + "Invoice-2"
CREDIT_NOTE_NS = UBL_NS_PREFIX + "CreditNote-2"
INVOICE_TYPES = {f"{{{INVOICE_NS}}}Invoice": "Invoice", f"{{{CREDIT_NOTE_NS}}}CreditNote": "CreditNote"}

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# Real UBL invoices nest about 10 deep; the margin allows extensions without allowing abuse.
DEFAULT_MAX_DEPTH = 64
DEFAULT_MAX_ELEMENTS = 500_000
_SNIFF_CHUNK = 16 * 1024
_SNIFF_MAX = 256 * 1024


class DocumentError(InvalidInput):
    """A received document that cannot be treated as a UBL invoice; `code` says why.

    Codes: empty, too_large, not_xml, doctype_forbidden, too_deep, too_many_elements, not_ubl,
    not_an_invoice, invalid_value.
    """

    def __init__(self, code: str, message: str):
        super().__init__(message, code=code)


class Sniff(NamedTuple):
    """What a document claims to be: UBL root local name and its CustomizationID ('' if none)."""

    document_type: str
    customization_id: str


class _ParserOptions(TypedDict):
    resolve_entities: bool
    no_network: bool
    load_dtd: bool
    dtd_validation: bool
    huge_tree: bool
    collect_ids: bool


def _parser_options() -> _ParserOptions:
    """Options for every parser we build: no entities, no DTD loading, no network, bounded trees."""
    return {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "dtd_validation": False,
        # libxml2's own cap refuses text nodes over 10 MB, i.e. an embedded PDF over ~7.5 MB; the
        # document size, depth and element-count limits here bound what huge_tree would let through.
        "huge_tree": True,
        "collect_ids": False,
    }


def _build_parser() -> etree.XMLParser:
    """A fresh hardened parser (lxml serialises concurrent use of one parser internally)."""
    return etree.XMLParser(**_parser_options())


_PARSER = _build_parser()


def check_size(xml: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Raise `empty` or `too_large` before any parsing work is spent."""
    if not xml or not xml.strip():
        raise DocumentError("empty", "the document is empty")
    if len(xml) > max_bytes:
        raise DocumentError("too_large", f"the document has {len(xml)} bytes; the limit is {max_bytes}")


def _check_shape(root: etree._Element, *, max_depth: int, max_elements: int) -> None:
    """Refuse trees deeper or larger than any real invoice needs."""
    count = 0
    depth = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        if event == "end":
            depth -= 1
            continue
        depth += 1
        count += 1
        if depth > max_depth:
            raise DocumentError("too_deep", f"elements nest deeper than {max_depth} levels")
        if count > max_elements:
            raise DocumentError("too_many_elements", f"the document has more than {max_elements} elements")


def _refuse_doctype_in_prolog(xml: bytes) -> None:
    """Refuse DOCTYPEs before libxml2 sees them (it reports entity bombs as mere syntax errors).

    A DOCTYPE can only stand in the prolog, after an optional BOM, XML declaration, comments and PIs.
    """
    head = xml[:_SNIFF_MAX].removeprefix(b"\xef\xbb\xbf")
    pos = 0
    while True:
        while pos < len(head) and head[pos] in b" \t\r\n":
            pos += 1
        closing = b"?>" if head.startswith(b"<?", pos) else b"-->" if head.startswith(b"<!--", pos) else None
        if closing is None:
            break
        end = head.find(closing, pos + 2)
        if end < 0:
            return
        pos = end + len(closing)
    if head.startswith(b"<!DOCTYPE", pos):
        raise DocumentError("doctype_forbidden", "documents with a DOCTYPE declaration are not accepted")


def safe_parse(
    xml: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_elements: int = DEFAULT_MAX_ELEMENTS,
) -> etree._ElementTree:
    """Parse untrusted bytes into a tree, or raise DocumentError; any DOCTYPE is refused."""
    check_size(xml, max_bytes=max_bytes)
    _refuse_doctype_in_prolog(xml)
    try:
        root = etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise DocumentError("not_xml", f"not well-formed XML: {exc}") from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise DocumentError("doctype_forbidden", "documents with a DOCTYPE declaration are not accepted")
    _check_shape(root, max_depth=max_depth, max_elements=max_elements)
    return tree


def document_type(root: etree._Element) -> str:
    """'Invoice' or 'CreditNote' for a UBL invoice root; DocumentError(not_ubl/not_an_invoice) else."""
    if root.tag in INVOICE_TYPES:
        return INVOICE_TYPES[root.tag]
    qname = etree.QName(root)
    if not (qname.namespace or "").startswith(UBL_NS_PREFIX):
        raise DocumentError("not_ubl", f"root element {qname.text} is not a UBL 2.1 document")
    raise DocumentError(
        "not_an_invoice", f"the document is a UBL {qname.localname}, not an Invoice or CreditNote"
    )


def sniff(xml: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Sniff:
    """Read just the start of a document: its UBL root name and CustomizationID; DocumentError if not UBL."""
    check_size(xml, max_bytes=max_bytes)
    _refuse_doctype_in_prolog(xml)
    parser = etree.XMLPullParser(events=("start", "end"), **_parser_options())
    root: etree._Element | None = None
    try:
        for offset in range(0, min(len(xml), _SNIFF_MAX), _SNIFF_CHUNK):
            parser.feed(xml[offset:offset + _SNIFF_CHUNK])
            for event, element in parser.read_events():
                if root is None:
                    root = _sniff_root(element)
                elif event == "end" and element.getparent() is root:
                    if element.tag == f"{{{CBC}}}CustomizationID":
                        return Sniff(etree.QName(root).localname, (element.text or "").strip())
                    if etree.QName(element).localname not in ("UBLExtensions", "UBLVersionID"):
                        return Sniff(etree.QName(root).localname, "")
        if len(xml) <= _SNIFF_MAX:
            parser.close()
    except etree.XMLSyntaxError as exc:
        raise DocumentError("not_xml", f"not well-formed XML: {exc}") from exc
    if root is None:
        raise DocumentError("not_xml", "no root element found at the start of the document")
    return Sniff(etree.QName(root).localname, "")


def _sniff_root(element: etree._Element) -> etree._Element:
    """Check the first element seen by `sniff`: no DOCTYPE before it, a UBL namespace."""
    if element.getroottree().docinfo.doctype:
        raise DocumentError("doctype_forbidden", "documents with a DOCTYPE declaration are not accepted")
    qname = etree.QName(element)
    if not (qname.namespace or "").startswith(UBL_NS_PREFIX):
        raise DocumentError("not_ubl", f"root element {qname.text} is not a UBL 2.1 document")
    return element
