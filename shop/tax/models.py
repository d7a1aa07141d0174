import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shop.db import Base


class TaxClass(Base):
    """What kind of goods a variant is, for tax: standard, zero-rated, ..."""

    __tablename__ = "tax_classes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(30), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80))

    def __str__(self) -> str:
        return self.name
