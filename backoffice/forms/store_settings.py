"""The form of the store's own details (legal name, tax numbers, logo, fees, returns)."""

from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, EmailField, TextAreaField
from wtforms.validators import DataRequired, Email, Optional

from backoffice.forms import IMAGE_EXTENSIONS, BackofficeForm, text_field
from shop.forms.fields import (
    MoneyField,
    PercentField,
    Required,
    WholeNumberField,
    at_most,
    between,
    stripped,
)


class StoreSettingsForm(BackofficeForm):
    legal_name = text_field("Legal name", 200, DataRequired("Enter the store's legal name."))
    address = TextAreaField(
        "Address (one line per line)",
        validators=[DataRequired("Enter the address."), at_most(1000)],
    )
    email = EmailField(
        "Email",
        filters=[stripped],
        validators=[Optional(), at_most(254), Email("Enter a valid email address.")],
    )
    phone = text_field("Phone", 30)
    gst_hst_number = text_field("GST/HST number (e.g. 123456789 RT0001)", 30)
    qst_number = text_field("QST number (e.g. 1234567890 TQ0001)", 30)
    pst_number = text_field("PST number", 30)
    invoice_footer = TextAreaField("Invoice footer", validators=[at_most(2000)])
    logo = FileField(
        "Logo (PNG, JPEG, GIF or WebP; leave empty to keep the current one)",
        validators=[FileAllowed(IMAGE_EXTENSIONS, "Upload a PNG, JPEG, GIF or WebP image.")],
    )
    demo_fee_percent = PercentField(
        "Demo processor fee (%)", validators=[Required("Enter the fee, like 2.9.")]
    )
    demo_fee_fixed = MoneyField(
        "Demo processor fixed fee ($)", validators=[Required("Enter the fixed fee, like 0.30.")]
    )
    # Returns (shop.returns.services): the window, the fee kept, whether shipping goes back.
    return_window_days = WholeNumberField(
        "Return window (days after shipment; 0: no returns)",
        validators=[Optional(), between(0, 365)],
    )
    restocking_fee_percent = PercentField(
        "Restocking fee on returns (%; never kept when the store is at fault)",
        validators=[Optional()],
    )
    refund_shipping_on_return = BooleanField(
        "Give the shipping back on every return (it always goes back when the store is at fault)"
    )

    def data_for_service(self) -> dict:
        data = {name: self[name].data or "" for name in STORE_TEXT_FIELDS}
        data["demo_fee_percent"] = self.demo_fee_percent.data * 100
        data["demo_fee_fixed"] = self.demo_fee_fixed.minor_units()
        # Left empty (a form posted without them): the return rules stay as they are.
        data["return_window_days"] = self.return_window_days.data
        fee = self.restocking_fee_percent.data
        data["restocking_fee_percent"] = None if fee is None else fee * 100
        data["refund_shipping_on_return"] = bool(self.refund_shipping_on_return.data)
        return data


STORE_TEXT_FIELDS = (
    "legal_name", "address", "email", "phone", "gst_hst_number", "qst_number", "pst_number",
    "invoice_footer",
)  # fmt: skip
