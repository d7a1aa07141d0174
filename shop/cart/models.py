import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.accounts.models import User
from shop.catalogue.models import Variant
from shop.db import Base, TimestampMixin, UTCDateTime, utcnow


class Cart(TimestampMixin, Base):
    """A guest's cart (its id in the session) or a customer's (user_id set)."""

    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    # A guest's session names its cart by this random token, never by the id: ids are
    # reused (SQLite) and guessable, and a stale one must never reach someone else's cart.
    token: Mapped[str] = mapped_column(
        sa.String(43), unique=True, default=lambda: secrets.token_urlsafe(32)
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User | None] = relationship()
    lines: Mapped[list["CartLine"]] = relationship(
        back_populates="cart", cascade="all, delete-orphan", order_by="CartLine.id"
    )
    checkout: Mapped["CheckoutState | None"] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class CartLine(TimestampMixin, Base):
    __tablename__ = "cart_lines"
    __table_args__ = (
        sa.UniqueConstraint("cart_id", "variant_id"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(sa.ForeignKey("carts.id", ondelete="CASCADE"))
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id"), index=True)
    quantity: Mapped[int] = mapped_column()

    cart: Mapped[Cart] = relationship(back_populates="lines")
    variant: Mapped[Variant] = relationship()


class CheckoutState(Base):
    """What the checkout of this cart has chosen so far: email, address, service, policy.

    Kept on the server beside the cart, never in the session cookie, which is only
    signed: anyone holding the cookie could read a name, an address or a phone number.
    """

    __tablename__ = "checkout_states"

    cart_id: Mapped[int] = mapped_column(
        sa.ForeignKey("carts.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str | None] = mapped_column(sa.String(254))
    address: Mapped[dict | None] = mapped_column(sa.JSON)  # accounts.models.ADDRESS_FIELDS
    service_id: Mapped[int | None] = mapped_column()
    policy: Mapped[str | None] = mapped_column(sa.String(30))
    discount_code: Mapped[str | None] = mapped_column(sa.String(40))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
