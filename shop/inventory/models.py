from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.accounts.models import User
from shop.catalogue.models import Variant
from shop.db import Base, UTCDateTime, utcnow


class StockLevel(Base):
    """Stock of one variant. on_hand only ever changes with a StockMovement."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        sa.CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        sa.CheckConstraint("allocated >= 0", name="allocated_not_negative"),
        sa.CheckConstraint("allocated <= on_hand", name="allocated_within_on_hand"),
        # What the units on hand cost (shop.inventory.valuation); no units, no value.
        sa.CheckConstraint("stock_value >= 0", name="stock_value_not_negative"),
        sa.CheckConstraint("on_hand > 0 OR stock_value = 0", name="stock_value_of_units_on_hand"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id"), unique=True)
    on_hand: Mapped[int] = mapped_column(default=0)
    allocated: Mapped[int] = mapped_column(default=0)
    # The cost of the units on hand, in cents: the truth of the moving average cost
    # (stock_value / on_hand), changed with on_hand by every movement.
    stock_value: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    reorder_point: Mapped[int] = mapped_column(default=0)
    reorder_quantity: Mapped[int] = mapped_column(default=0)
    supplier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("suppliers.id"), index=True)
    # None: use the supplier's lead time (or the store default).
    lead_time_days: Mapped[int | None] = mapped_column()
    bin_location: Mapped[str | None] = mapped_column(sa.String(20))

    variant: Mapped[Variant] = relationship(back_populates="stock")
    # shop.purchasing.models.Supplier, named by string: purchasing stands above inventory.
    supplier = relationship("Supplier")

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated


class StockMovement(Base):
    """Append-only: one row for every change of on_hand, with its reason."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id"), index=True)
    quantity: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(sa.String(20))
    reference: Mapped[str] = mapped_column(sa.String(100), default="")
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    # What the movement added to (or took from) the stock's value, in cents, at moving
    # average cost; None for movements recorded before stock was valued.
    value: Mapped[int | None] = mapped_column(sa.BigInteger)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    variant: Mapped[Variant] = relationship()
    user: Mapped[User | None] = relationship()
