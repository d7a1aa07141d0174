import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.accounts import roles
from shop.db import Base, TimestampMixin, UTCDateTime


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20), default=roles.CUSTOMER)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    # Flask-Login stores this token, not the id, in the session cookie: rotating
    # it on logout or password change ends every session of the user at once.
    session_token: Mapped[str] = mapped_column(
        sa.String(64), unique=True, default=new_session_token
    )
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    addresses: Mapped[list["Address"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Address.id"
    )

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.is_enabled

    @property
    def is_staff(self) -> bool:
        return self.role in roles.STAFF

    def has_role(self, *allowed: str) -> bool:
        return self.role == roles.OWNER or self.role in allowed

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


# The parts of a postal address: an Address's columns, an order's ship_* columns and the
# checkout's address (shop.cart) alike.
ADDRESS_FIELDS = (
    "full_name", "company", "line1", "line2", "city", "province", "postal_code", "country", "phone",
)  # fmt: skip


class Address(TimestampMixin, Base):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    company: Mapped[str | None] = mapped_column(sa.String(120))
    line1: Mapped[str] = mapped_column(sa.String(200))
    line2: Mapped[str | None] = mapped_column(sa.String(200))
    city: Mapped[str] = mapped_column(sa.String(100))
    province: Mapped[str] = mapped_column(sa.String(3))
    postal_code: Mapped[str] = mapped_column(sa.String(12))
    country: Mapped[str] = mapped_column(sa.String(2), default="CA")
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    is_default: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(back_populates="addresses")

    def lines(self) -> list[str]:
        """The address as it is written on an envelope."""
        parts = [self.full_name, self.company, self.line1, self.line2]
        parts.append(f"{self.city} {self.province}  {self.postal_code}")
        parts.append(self.country)
        return [p for p in parts if p]


# --- second factor ---------------------------------------------------------------


class TotpFactor(TimestampMixin, Base):
    """A user's authenticator app (TOTP, RFC 6238); in use once confirmed with a code."""

    __tablename__ = "totp_factors"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(sa.String(64))  # base32, as the app is given it
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The 30-second period of the last code accepted: that code, and older ones, never again.
    last_used_step: Mapped[int | None] = mapped_column(sa.BigInteger)


class RecoveryCode(TimestampMixin, Base):
    """A single-use code for when the authenticator is lost; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginChallenge(TimestampMixin, Base):
    """A sign-in whose password was right and whose code (or enrolment) is still to come.

    Kept in the database, not the cookie, so that wrong codes are counted once however
    often a copy of the cookie is replayed."""

    __tablename__ = "login_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    failures: Mapped[int] = mapped_column(default=0)
    remember: Mapped[bool] = mapped_column(default=False)


class AccountThrottle(Base):
    """Failed attempts for one email in one scope (login, password change, emails asked for).

    Keyed by a keyed hash of the normalised email, so unknown addresses are counted
    like known ones without the table holding addresses nobody registered.
    """

    __tablename__ = "account_throttles"
    __table_args__ = (sa.UniqueConstraint("scope", "key_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(20))
    key_digest: Mapped[str] = mapped_column(sa.String(64))
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
