"""Saxon is configured so that neither a document nor a stylesheet can read files or URLs."""
from __future__ import annotations

import pytest

from server.invoices import rulesets

pytestmark = pytest.mark.usefixtures("rules_compiled")


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET")
    return path


def test_saxon_refuses_a_document_with_an_external_entity(secret):
    from saxonche import PySaxonApiError

    xxe = f'<!DOCTYPE r [<!ENTITY e SYSTEM "{secret.as_uri()}">]><r>&e;</r>'
    with pytest.raises(PySaxonApiError, match="DOCTYPE is disallowed"):
        rulesets.processor().parse_xml(xml_text=xxe, encoding="UTF-8")


def test_saxon_stylesheets_cannot_read_local_files(secret):
    from saxonche import PySaxonApiError

    reader = (
        '<xsl:stylesheet version="3.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
        f'<xsl:template match="/"><out><xsl:value-of select="unparsed-text(\'{secret.as_uri()}\')"/></out>'
        "</xsl:template></xsl:stylesheet>"
    )
    saxon = rulesets.processor()
    executable = saxon.new_xslt30_processor().compile_stylesheet(stylesheet_text=reader, encoding="UTF-8")
    with pytest.raises(PySaxonApiError, match="prohibited"):
        executable.transform_to_string(xdm_node=saxon.parse_xml(xml_text="<r/>", encoding="UTF-8"))


def test_findings_carry_id_flag_location_and_text():
    svrl = (
        '<svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl">'
        '<svrl:failed-assert id="BR-CO-15" flag="fatal" location="/*:Invoice[namespace-uri()='
        "'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'][1]/*:TaxTotal[namespace-uri()="
        "'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2'][1]\">"
        "<svrl:text>[BR-CO-15]-Invoice total amount with VAT\n   = without VAT + VAT.</svrl:text>"
        "</svrl:failed-assert>"
        '<svrl:successful-report flag="warning" location="/"><svrl:text>[BII2-T10-R001] no id attribute'
        "</svrl:text></svrl:successful-report></svrl:schematron-output>"
    )
    first, second = rulesets.parse_svrl(svrl)
    assert first == rulesets.Finding(
        "BR-CO-15", "fatal", "/Invoice[1]/cac:TaxTotal[1]", "[BR-CO-15]-Invoice total amount with VAT = without VAT + VAT."
    )
    assert (second.rule, second.flag) == ("BII2-T10-R001", "warning")
