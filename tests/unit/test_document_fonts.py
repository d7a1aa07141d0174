"""The PDF typeface is registered when a document first needs it, not when the store
starts: text measured before any canvas exists (a pick list's cells) must find it."""

import subprocess
import sys

from shop import PROJECT_ROOT

FIRST_THING_A_PROCESS_DOES = """
import sys
from reportlab.pdfbase import pdfmetrics
import shop, shop.documents.pick_list, shop.documents.invoice, shop.billing.files
from shop.documents.fonts import REGULAR
assert REGULAR not in pdfmetrics.getRegisteredFontNames(), "registered at import"
from shop.documents.layout import fit, wrap
assert fit("A sleeping bag rated to minus twenty", REGULAR, 10, 60).endswith("...")
assert len(wrap("word " * 40, REGULAR, 10, 80)) == 4
"""


def test_text_is_measured_in_the_store_font_before_any_document_is_drawn():
    done = subprocess.run(
        [sys.executable, "-c", FIRST_THING_A_PROCESS_DOES],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
