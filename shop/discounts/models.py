"""A discount code and each use of it."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.clock import store_date
from shop.db import Base, TimestampMixin, UTCDateTime, utcnow

PERCENT = "percent"
AMOUNT = "amount"
FREE_SHIPPING = "free_shipping"
KINDS = {PERCENT: "Percentage off", AMOUNT: "Amount off", FREE_SHIPPING: "Free shipping"}

discount_products = sa.Table(
    "discount_products",
    Base.metadata,
    sa.Column("discount_id", sa.ForeignKey("discounts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("product_id", sa.ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
)
discount_categories = sa.Table(
    "discount_categories",
    Base.metadata,
    sa.Column("discount_id", sa.ForeignKey("discounts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("category_id", sa.ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
)


class Discount(TimestampMixin, Base):
    """A code customers type at checkout. `uses` counts the orders holding it now (an
    order that expires or is cancelled unpaid gives its use back)."""

    __tablename__ = "discounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)  # upper case
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    kind: Mapped[str] = mapped_column(sa.String(16))
    percent: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))  # 10.00 = 10 %
    amount: Mapped[int | None] = mapped_column(sa.BigInteger)  # minor units
    min_subtotal: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    max_uses: Mapped[int | None] = mapped_column()
    max_uses_per_customer: Mapped[int | None] = mapped_column()
    uses: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    products = relationship("Product", secondary=discount_products, order_by="Product.name")
    categories = relationship("Category", secondary=discount_categories, order_by="Category.name")

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def last_day(self) -> date | None:
        """The last day the code is good for, in the store's time zone: it ends at the
        midnight after that day, which is the next day's date."""
        if self.ends_at is None:
            return None
        return store_date(self.ends_at - timedelta(microseconds=1))

    @property
    def limited_to_some_goods(self) -> bool:
        return bool(self.products or self.categories)


class DiscountRedemption(Base):
    """One order holding a code: counted against its limits until given back."""

    __tablename__ = "discount_redemptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    discount_id: Mapped[int] = mapped_column(sa.ForeignKey("discounts.id"), index=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)  # lower case
    amount: Mapped[int] = mapped_column(sa.BigInteger)  # goods and shipping taken off
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
