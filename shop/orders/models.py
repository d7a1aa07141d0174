from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.accounts.models import User
from shop.db import Base, TimestampMixin, UTCDateTime, utcnow
from shop.orders import status as order_status
from shop.tax.lines import TaxLine

SHIP_AVAILABLE_NOW = "ship_available_now"
SHIP_COMPLETE = "ship_complete"
POLICY_LABELS = {
    SHIP_AVAILABLE_NOW: "Ship what is in stock now, the rest when it arrives",
    SHIP_COMPLETE: "Wait and ship everything together",
}


class Order(TimestampMixin, Base):
    __tablename__ = "orders"
    __table_args__ = (
        # A customer is an email address in the reports: "has this customer bought before?"
        # The migration writes it by hand: autogenerate cannot compare expression indexes.
        sa.Index("ix_orders_customer_paid_at", sa.func.lower(sa.text("email")), "paid_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    status: Mapped[str] = mapped_column(sa.String(20), index=True)
    currency: Mapped[str] = mapped_column(sa.String(3))
    shipping_policy: Mapped[str] = mapped_column(sa.String(20))
    # A secret in the confirmation link, so a guest can come back to their order.
    access_token: Mapped[str] = mapped_column(sa.String(64))

    ship_full_name: Mapped[str] = mapped_column(sa.String(120))
    ship_company: Mapped[str | None] = mapped_column(sa.String(120))
    ship_line1: Mapped[str] = mapped_column(sa.String(200))
    ship_line2: Mapped[str | None] = mapped_column(sa.String(200))
    ship_city: Mapped[str] = mapped_column(sa.String(100))
    ship_province: Mapped[str] = mapped_column(sa.String(3))
    ship_postal_code: Mapped[str] = mapped_column(sa.String(12))
    ship_country: Mapped[str] = mapped_column(sa.String(2))
    ship_phone: Mapped[str | None] = mapped_column(sa.String(30))

    shipping_service_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shipping_services.id"))
    shipping_service_name: Mapped[str] = mapped_column(sa.String(120))
    shipment_count: Mapped[int] = mapped_column(default=1)  # parcels' departures quoted

    subtotal: Mapped[int] = mapped_column(sa.BigInteger)  # the lines' totals: after a discount
    # A discount code: what it took off the goods (spread over the lines, each line's
    # `discount`) and off shipping (shipping_total is what is left of it).
    discount_code: Mapped[str | None] = mapped_column(sa.String(40))
    discount_total: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    shipping_discount: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    # Frozen with the lines, so the owner's reports can sum orders without reading lines.
    units: Mapped[int] = mapped_column(default=0)
    goods_cost: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # unit cost x quantity
    shipping_total: Mapped[int] = mapped_column(sa.BigInteger)
    tax_total: Mapped[int] = mapped_column(sa.BigInteger)
    total: Mapped[int] = mapped_column(sa.BigInteger)

    payment_provider: Mapped[str] = mapped_column(sa.String(20))
    # Where the sale was made: "web" (the storefront) or "counter" (in the shop).
    channel: Mapped[str] = mapped_column(sa.String(20), default="web")
    # What the carrier's rate table asks for the quoted parcels, even when the customer
    # ships free: shipping charged vs shipping cost is one of the owner's reports.
    shipping_cost: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # A sales person or referral partner earning a commission on the goods.
    commission_agent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("commission_agents.id"))
    commission_rate: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 4))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The SHA-256 of the token of the cart it was placed from (shop.cart.services.
    # token_digest): a second click of "Place order" finds this order, not an empty cart.
    placed_from_cart: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User | None] = relationship()
    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )
    taxes: Mapped[list["OrderTax"]] = relationship(
        order_by="OrderTax.id", cascade="all, delete-orphan"
    )
    events: Mapped[list["OrderEvent"]] = relationship(
        order_by="OrderEvent.id", cascade="all, delete-orphan"
    )
    payments: Mapped[list["Payment"]] = relationship(
        back_populates="order", order_by="Payment.id", cascade="all, delete-orphan"
    )

    @property
    def goods_at_price(self) -> int:
        """The goods at their prices, before a discount code."""
        return self.subtotal + (self.discount_total or 0)

    @property
    def shipping_at_price(self) -> int:
        return self.shipping_total + (self.shipping_discount or 0)

    @property
    def status_label(self) -> str:
        return order_status.LABELS[self.status]

    @property
    def policy_label(self) -> str:
        return POLICY_LABELS[self.shipping_policy]

    @property
    def has_backorders(self) -> bool:
        return any(line.quantity_backordered for line in self.lines)

    @property
    def returned_in_full(self) -> bool:
        """Every unit not cancelled came back: the order still says Shipped, and this too."""
        lines = self.lines
        return any(line.quantity_returned for line in lines) and all(
            line.quantity_returned == line.quantity - line.quantity_cancelled for line in lines
        )

    def address_lines(self) -> list[str]:
        parts = [self.ship_full_name, self.ship_company, self.ship_line1, self.ship_line2]
        parts.append(f"{self.ship_city} {self.ship_province}  {self.ship_postal_code}")
        parts.append(self.ship_country)
        return [p for p in parts if p]


class OrderLine(Base):
    """A line frozen at placement: name, SKU, price and tax class are copies."""

    __tablename__ = "order_lines"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint(
            "quantity_allocated + quantity_backordered + quantity_shipped + quantity_cancelled"
            " <= quantity",
            name="quantities_add_up",
        ),
        sa.CheckConstraint("quantity_returned <= quantity_shipped", name="returned_within_shipped"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id"), index=True)
    sku: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(200))
    unit_price: Mapped[int] = mapped_column(sa.BigInteger)
    quantity: Mapped[int] = mapped_column()
    line_total: Mapped[int] = mapped_column(sa.BigInteger)  # unit_price x quantity - discount
    discount: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    # The variant's cost when the order was placed: gross margin is measured against it.
    unit_cost: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    tax_class_id: Mapped[int] = mapped_column(sa.ForeignKey("tax_classes.id"))
    tax_class_name: Mapped[str] = mapped_column(sa.String(80))
    quantity_allocated: Mapped[int] = mapped_column(default=0)
    quantity_backordered: Mapped[int] = mapped_column(default=0)
    quantity_shipped: Mapped[int] = mapped_column(default=0)
    # Units the customer or staff cancelled before they left (never shipped, never owed).
    quantity_cancelled: Mapped[int] = mapped_column(default=0, server_default="0")
    # Shipped units that came back under a return (restocked or scrapped).
    quantity_returned: Mapped[int] = mapped_column(default=0, server_default="0")
    expected_ship_date: Mapped[date | None] = mapped_column(sa.Date)

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def price_total(self) -> int:
        """The line at its price (unit price x quantity), before a discount code."""
        return self.line_total + (self.discount or 0)


class OrderTax(TaxLine, Base):
    __tablename__ = "order_taxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)


class OrderEvent(Base):
    """Something that happened to an order: the order's history, one row each."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))  # shop.orders.events: one per kind
    # The kind's facts (numbers, SKUs, ISO dates, minor units + currency); shop.order_history
    # turns kind + params into the sentence shown.
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship()


class Payment(TimestampMixin, Base):
    """Money asked of a provider for an order: a Stripe Checkout Session or a demo charge."""

    __tablename__ = "payments"
    __table_args__ = (sa.UniqueConstraint("provider", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    provider: Mapped[str] = mapped_column(sa.String(20))
    reference: Mapped[str] = mapped_column(sa.String(255))
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    method: Mapped[str] = mapped_column(sa.String(60), default="")  # e.g. "Visa ending 4242"
    checkout_url: Mapped[str | None] = mapped_column(sa.Text)
    # What a refund is made against: Stripe's PaymentIntent id (pi_...), kept when it succeeds.
    charge_reference: Mapped[str | None] = mapped_column(sa.String(255))

    order: Mapped[Order] = relationship(back_populates="payments")


class PaymentEvent(Base):
    """A provider's event, kept by its id so that the same event is applied once."""

    __tablename__ = "payment_events"
    __table_args__ = (sa.UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(20))
    event_id: Mapped[str] = mapped_column(sa.String(255))
    event_type: Mapped[str] = mapped_column(sa.String(80))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    outcome: Mapped[str] = mapped_column(sa.String(200), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
