from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.db import Base


class TaxClass(Base):
    """What kind of goods a variant is, for tax: standard, zero-rated, ..."""

    __tablename__ = "tax_classes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(30), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80))

    def __str__(self) -> str:
        return self.name


class TaxRate(Base):
    """One tax component charged on a tax class at a destination, e.g. QC standard QST 9.975%."""

    __tablename__ = "tax_rates"
    __table_args__ = (sa.UniqueConstraint("country", "province", "tax_class_id", "component"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(sa.String(2))
    province: Mapped[str] = mapped_column(sa.String(3))
    tax_class_id: Mapped[int] = mapped_column(sa.ForeignKey("tax_classes.id"))
    component: Mapped[str] = mapped_column(sa.String(10))  # GST, HST, PST, QST
    rate: Mapped[Decimal] = mapped_column(sa.Numeric(7, 5))  # 0.05 for 5 %

    tax_class: Mapped[TaxClass] = relationship()
