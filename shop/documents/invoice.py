"""The invoice (or credit note) as a PDF, drawn from the stored invoice alone.

Every figure comes from the invoice row as it was issued; nothing is
recomputed. A long invoice runs over several pages: each page repeats the
store's name and the document's number at the top, the lines table repeats
its column headings, and the foot of each page says "Page x of y".
"""

from datetime import datetime
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from babel.dates import format_date
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    Image,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from shop.documents.fonts import BOLD, REGULAR, register_fonts
from shop.money import format_money

PAGE_WIDTH, PAGE_HEIGHT = LETTER
MARGIN = 18 * mm
HEADER_HEIGHT = 16 * mm
FOOTER_HEIGHT = 14 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
LOGO_MAX = (45 * mm, 20 * mm)

_base = getSampleStyleSheet()
_text = ParagraphStyle("text", parent=_base["BodyText"], fontName=REGULAR)
STYLES = {
    "title": ParagraphStyle(
        "title", parent=_base["Title"], fontName=BOLD, alignment=0, fontSize=20, spaceAfter=4
    ),
    "body": ParagraphStyle(
        "body", parent=_text, fontSize=9, leading=11.5, spaceBefore=0, spaceAfter=0
    ),
    "small": ParagraphStyle("small", parent=_text, fontSize=8, leading=10),
    "cell": ParagraphStyle("cell", parent=_text, fontSize=8.5, leading=10.5),
    "label": ParagraphStyle("label", parent=_text, fontSize=8, leading=10, textColor=colors.grey),
    "right": ParagraphStyle("right", parent=_text, fontSize=9, leading=11.5, alignment=TA_RIGHT),
    "paid": ParagraphStyle(
        "paid", parent=_text, fontSize=12, leading=15, textColor=colors.darkgreen
    ),
}


TOP_LEFT = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]


def _table_style(commands: list) -> TableStyle:
    """A table's style in our font: reportlab's cells start in Helvetica, a base font
    that would be listed (not embedded) in the PDF."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), REGULAR), *commands])


def render_invoice(
    invoice,
    *,
    locale: str,
    logo_path: str | Path | None = None,
    logo: bytes | None = None,
    timezone: str = "UTC",
    order_number: str = "",
    credited_number: str = "",
) -> bytes:
    """The PDF of an issued invoice or credit note, as bytes.

    locale decides how money and dates are written (e.g. "en_CA"); timezone is
    the store's, for the dates printed; logo is an image's bytes (or logo_path its file) or None;
    order_number is the order's and credited_number, for a credit note, the number of
    the invoice it credits.
    """
    register_fonts()
    doc = _Document(
        invoice, locale=locale, timezone=timezone, order=order_number, credited=credited_number
    )
    buffer = BytesIO()
    template = BaseDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + HEADER_HEIGHT,
        bottomMargin=MARGIN + FOOTER_HEIGHT,
        title=f"{invoice.title} {invoice.number}",
        author=invoice.seller_name,
        subject=f"{invoice.title} {invoice.number}",
        invariant=True,  # no timestamp of its own: the same invoice gives the same bytes
        initialFontName=REGULAR,  # else each page lists Helvetica, a font not embedded
    )
    frame = Frame(
        template.leftMargin, template.bottomMargin, template.width, template.height, id="body"
    )
    template.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=doc.draw_page)])
    source = BytesIO(logo) if logo else logo_path
    template.build(doc.story(source), canvasmaker=_NumberedCanvas)
    return buffer.getvalue()


class _Document:
    def __init__(self, invoice, *, locale: str, timezone: str, order: str, credited: str):
        self.invoice = invoice
        self.order = order
        self.credited = credited
        self.locale = locale
        self.zone = ZoneInfo(timezone)

    # --- formatting ---------------------------------------------------------------

    def money(self, minor: int) -> str:
        # Babel may use a narrow no-break space (fr_CA): a plain one copies alike everywhere.
        text = format_money(minor, self.invoice.currency, self.locale)
        return text.replace("\u202f", "\u00a0")

    def date(self, value: datetime | None) -> str:
        if value is None:
            return ""
        return format_date(value.astimezone(self.zone).date(), "medium", locale=self.locale)

    @property
    def heading(self) -> str:
        return f"{self.invoice.title} {self.invoice.number}"

    # --- the page around the content ------------------------------------------------

    def draw_page(self, canvas: Canvas, _template) -> None:
        invoice = self.invoice
        canvas.saveState()
        top = PAGE_HEIGHT - MARGIN
        canvas.setFont(BOLD, 10)
        canvas.drawString(MARGIN, top - 10, invoice.seller_name)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, top - 10, self.heading)
        canvas.setFont(REGULAR, 8)
        canvas.setFillColor(colors.grey)
        canvas.drawString(MARGIN, top - 21, "  ".join(invoice.seller_tax_numbers.splitlines()))
        canvas.drawRightString(
            PAGE_WIDTH - MARGIN, top - 21, f"Date {self.date(invoice.issued_at)}"
        )
        canvas.setStrokeColor(colors.lightgrey)
        canvas.line(MARGIN, top - HEADER_HEIGHT + 6, PAGE_WIDTH - MARGIN, top - HEADER_HEIGHT + 6)
        bottom = MARGIN
        canvas.line(
            MARGIN, bottom + FOOTER_HEIGHT - 4, PAGE_WIDTH - MARGIN, bottom + FOOTER_HEIGHT - 4
        )
        footer = " ".join(invoice.footer.split())
        if footer:
            text = Paragraph(escape(footer), STYLES["small"])
            _, height = text.wrapOn(canvas, CONTENT_WIDTH - 30 * mm, FOOTER_HEIGHT)
            text.drawOn(canvas, MARGIN, bottom + FOOTER_HEIGHT - 6 - height)
        canvas.restoreState()

    # --- the content ------------------------------------------------------------------

    def story(self, logo_path) -> list:
        invoice = self.invoice
        flow: list = []
        logo = _logo(logo_path)
        seller = [Paragraph(f"<b>{escape(invoice.seller_name)}</b>", STYLES["body"])]
        seller += [
            Paragraph(escape(line), STYLES["body"]) for line in _lines(invoice.seller_address)
        ]
        seller += [
            Paragraph(escape(line), STYLES["body"]) for line in _lines(invoice.seller_tax_numbers)
        ]
        facts = [
            (f"{invoice.title} number", invoice.number),
            ("Date", self.date(invoice.issued_at)),
        ]
        if self.order:
            facts.append(("Order", self.order))
        if self.credited:
            facts.append(("Credits invoice", self.credited))
        facts_table = Table(
            [
                [Paragraph(escape(k), STYLES["label"]), Paragraph(escape(v), STYLES["right"])]
                for k, v in facts
            ],
            colWidths=[32 * mm, 48 * mm],
        )
        facts_table.setStyle(_table_style(TOP_LEFT))
        title = [Paragraph(escape(invoice.title), STYLES["title"])]
        if logo is not None:
            title.insert(0, logo)
        top = Table(
            [[title + seller, [facts_table]]],
            colWidths=[CONTENT_WIDTH - 82 * mm, 82 * mm],
        )
        top.setStyle(
            _table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        flow += [top, Spacer(1, 6 * mm), self._addresses(), Spacer(1, 6 * mm)]
        flow.append(self._lines_table())
        flow.append(Spacer(1, 4 * mm))
        flow.append(KeepTogether([self._totals(), Spacer(1, 5 * mm), self._paid()]))
        return flow

    def _addresses(self) -> Table:
        invoice = self.invoice

        def block(label: str, text: str, email: str = "") -> list:
            cell = [Paragraph(label, STYLES["label"])]
            cell += [Paragraph(escape(line), STYLES["body"]) for line in _lines(text)]
            if email:
                cell.append(Paragraph(escape(email), STYLES["body"]))
            return cell

        table = Table(
            [
                [
                    block("Bill to", invoice.bill_to, invoice.customer_email),
                    block("Ship to", invoice.ship_to),
                ]
            ],
            colWidths=[CONTENT_WIDTH / 2] * 2,
        )
        table.setStyle(_table_style(TOP_LEFT))
        return table

    def _lines_table(self) -> Table:
        cell, right = (
            STYLES["cell"],
            ParagraphStyle("cellr", parent=STYLES["cell"], alignment=TA_RIGHT),
        )
        rows = [
            [
                Paragraph("<b>Description</b>", cell),
                Paragraph("<b>SKU</b>", cell),
                Paragraph("<b>Qty</b>", right),
                Paragraph("<b>Unit price</b>", right),
                Paragraph("<b>Tax class</b>", cell),
                Paragraph("<b>Amount</b>", right),
            ]
        ]
        for line in self.invoice.lines:
            rows.append(
                [
                    Paragraph(escape(line.description), cell),
                    Paragraph(escape(line.sku), cell),
                    Paragraph(str(line.quantity) if line.quantity else "", right),
                    Paragraph(self.money(line.unit_price), right),
                    Paragraph(escape(line.tax_class_name), cell),
                    # At its price: a discount code's share is taken off in the totals.
                    Paragraph(self.money(line.line_total + (line.discount or 0)), right),
                ]
            )
        widths = [62 * mm, 26 * mm, 12 * mm, 23 * mm, 31 * mm]
        widths.append(CONTENT_WIDTH - sum(widths))
        table = Table(rows, colWidths=widths, repeatRows=1)
        table.setStyle(
            _table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ]
            )
        )
        return table

    def _totals(self) -> Table:
        invoice = self.invoice
        shipping = "Shipping"
        if invoice.shipping_description:
            shipping += f" ({invoice.shipping_description})"
        taken, shipping_taken = invoice.discount_total or 0, invoice.shipping_discount or 0
        rows = [("Subtotal", invoice.subtotal + taken)]
        if taken:
            rows.append((f"Discount code {invoice.discount_code}", -taken))
        rows.append((shipping, invoice.shipping_total + shipping_taken))
        if shipping_taken:
            rows.append((f"Free shipping, code {invoice.discount_code}", -shipping_taken))
        rows += [(tax.label, tax.amount) for tax in invoice.taxes]
        body = [
            [
                Paragraph(escape(label), STYLES["right"]),
                Paragraph(self.money(amount), STYLES["right"]),
            ]
            for label, amount in rows
        ]
        body.append(
            [
                Paragraph(f"<b>Total {escape(invoice.currency)}</b>", STYLES["right"]),
                Paragraph(f"<b>{self.money(invoice.total)}</b>", STYLES["right"]),
            ]
        )
        table = Table(body, colWidths=[80 * mm, 35 * mm], hAlign="RIGHT")
        table.setStyle(
            _table_style(
                [
                    ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ]
            )
        )
        return table

    def _paid(self) -> Paragraph:
        invoice = self.invoice
        if invoice.kind == "credit_note":
            text = f"<b>PAID</b>: refunded by {escape(invoice.payment_method)}"
        elif not invoice.total:
            text = "<b>PAID</b>: nothing to pay"
        else:
            text = f"<b>PAID</b> by {escape(invoice.payment_method)}"
        return Paragraph(f"{text} on {self.date(invoice.paid_at)}", STYLES["paid"])


def _lines(text: str | None) -> list[str]:
    return [line for line in (text or "").splitlines() if line.strip()]


def _logo(source) -> Image | None:
    """The logo from a file's path or from a file object holding its bytes."""
    if not source:
        return None
    if not hasattr(source, "read"):
        if not Path(source).is_file():
            return None
        source = str(source)
    logo = Image(source)
    scale = min(LOGO_MAX[0] / logo.imageWidth, LOGO_MAX[1] / logo.imageHeight, 1)
    logo.drawWidth, logo.drawHeight = logo.imageWidth * scale, logo.imageHeight * scale
    logo.hAlign = "LEFT"
    return logo


class _NumberedCanvas(Canvas):
    """Holds each page back until the end, then writes "Page x of y" on every one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(REGULAR, 8)
            self.setFillColor(colors.grey)
            self.drawRightString(
                PAGE_WIDTH - MARGIN, MARGIN + 2, f"Page {self._pageNumber} of {total}"
            )
            super().showPage()
        super().save()
