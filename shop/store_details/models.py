from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shop.db import Base


class StoreSettings(Base):
    """The store as a business: what its invoices say about it. One row."""

    __tablename__ = "store_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[str] = mapped_column(sa.Text)  # one line per line
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    phone: Mapped[str] = mapped_column(sa.String(30), default="")
    gst_hst_number: Mapped[str] = mapped_column(sa.String(30), default="")  # e.g. 123456789 RT0001
    qst_number: Mapped[str] = mapped_column(sa.String(30), default="")  # e.g. 1234567890 TQ0001
    pst_number: Mapped[str] = mapped_column(sa.String(30), default="")
    logo_filename: Mapped[str | None] = mapped_column(sa.String(100))  # in shop.media
    invoice_footer: Mapped[str] = mapped_column(sa.Text, default="")
    # The demo provider's fee schedule (Stripe reports its real fees itself).
    demo_fee_percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 3), default=Decimal("2.9"))
    demo_fee_fixed: Mapped[int] = mapped_column(default=30)  # minor units
    # Returns: how many days after delivery (shipment) a customer may ask; what is kept.
    return_window_days: Mapped[int] = mapped_column(default=30, server_default="30")
    restocking_fee_percent: Mapped[Decimal] = mapped_column(
        sa.Numeric(5, 2), default=Decimal("0"), server_default="0"
    )
    # Whether a return gives back the shipping the customer paid (a cancellation always does).
    refund_shipping_on_return: Mapped[bool] = mapped_column(
        default=False, server_default=sa.false()
    )

    def tax_numbers(self) -> list[str]:
        numbers = [("GST/HST", self.gst_hst_number), ("QST", self.qst_number)]
        numbers.append(("PST", self.pst_number))
        return [f"{label} {value}" for label, value in numbers if value]
