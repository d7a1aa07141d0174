"""The official EN 16931 business rules (CEN's UBL Schematron compiled to XSLT), run on a
UBL document with Saxon, as the official validators run them.

The rules live beside the repository in ../shared/validators/en16931-ubl/ (CI has
the folder too); they are never copied here nor edited. The result is SVRL: each
failed assertion has the rule's id (BR-S-08, ...) and a flag, "fatal" for a
broken rule, "warning" for advice.
"""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree
from saxonche import PySaxonProcessor

REPOSITORY = Path(__file__).resolve().parents[2]
VALIDATORS = REPOSITORY.parent / "shared" / "validators"
STYLESHEET = VALIDATORS / "en16931-ubl" / "EN16931-UBL-validation.xslt"
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}

# Peppol BIS Billing 3.0 takes the EAS code list for endpoints (PEPPOL-EN16931-CL008)
# without the UN/ECE 3155 communication channels CEN's own list still carries.
NOT_IN_PEPPOL_EAS = {"AN", "AQ", "AS", "AU", "EM"}


@dataclass(frozen=True)
class Failure:
    rule: str
    flag: str
    text: str


@cache
def _processor() -> PySaxonProcessor:
    return PySaxonProcessor(license=False)


@cache
def _rules():
    assert STYLESHEET.is_file(), f"the EN 16931 rules are missing: {STYLESHEET}"
    compiler = _processor().new_xslt30_processor()
    return compiler.compile_stylesheet(stylesheet_file=str(STYLESHEET))


def failures(document: bytes) -> list[Failure]:
    """Every failed assertion of the EN 16931 rules on a UBL invoice or credit note."""
    node = _processor().parse_xml(xml_text=document.decode("utf-8"))
    report = etree.fromstring(_rules().transform_to_string(xdm_node=node).encode("utf-8"))
    return [
        Failure(
            failed.get("id"),
            failed.get("flag"),
            " ".join(failed.findtext("svrl:text", "", SVRL).split()),
        )
        for failed in report.iterfind(".//svrl:failed-assert", SVRL)
    ]


def fatal(document: bytes) -> list[Failure]:
    return [f for f in failures(document) if f.flag == "fatal"]


def fatal_rules(document: bytes) -> set[str]:
    return {f.rule for f in fatal(document)}


@cache
def peppol_endpoint_schemes() -> frozenset[str]:
    """The EAS codes an endpoint may use in Peppol: CEN's list (read from the rules' own
    BR-CL-25 test) less the codes Peppol left out."""
    text = STYLESHEET.read_text(encoding="utf-8")
    rule = text.index('<xsl:attribute name="id">BR-CL-25</xsl:attribute>')
    test = text.rindex("contains(' ", 0, rule)
    codes = re.match(r"contains\(' ([^']*) '", text[test:]).group(1).split()
    assert "0088" in codes and "EM" in codes, "the BR-CL-25 list was not found"
    return frozenset(codes) - NOT_IN_PEPPOL_EAS
