"""The columns of one tax component on a document, written once for every table that
stores one: an order's and an invoice's taxes (TaxLine) and a supplier bill's (TaxAmount,
which the supplier states without a rate or base)."""

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column


class TaxAmount:
    """A component (GST, HST, PST, QST) and its amount in minor units."""

    component: Mapped[str] = mapped_column(sa.String(10))
    amount: Mapped[int] = mapped_column(sa.BigInteger)


class TaxLine(TaxAmount):
    """A component charged at a rate (0.05 for 5 %) on a taxable base, both frozen."""

    rate: Mapped[Decimal] = mapped_column(sa.Numeric(7, 5))
    taxable: Mapped[int] = mapped_column(sa.BigInteger)

    @property
    def label(self) -> str:
        return f"{self.component} {(self.rate * 100).normalize():f}%"
