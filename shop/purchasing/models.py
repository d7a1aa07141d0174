import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shop.db import Base, TimestampMixin


class Supplier(TimestampMixin, Base):
    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    lead_time_days: Mapped[int] = mapped_column(default=14)

    def __str__(self) -> str:
        return self.name
