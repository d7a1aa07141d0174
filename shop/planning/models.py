from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shop.db import Base, UTCDateTime, utcnow


class DemandForecast(Base):
    """A variant's fitted demand model, refreshed nightly by `flask forecasts refresh`.

    The reorder list reads `cover_units` (forecast demand over lead time and a review week,
    plus safety stock) against the variant's stock position; pages redraw the rest live.
    Units are demand, not money: Numeric keeps them exact enough and portable.
    """

    __tablename__ = "demand_forecasts"

    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id"), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_week: Mapped[date] = mapped_column(sa.Date)  # the first week forecast (a Monday)
    weeks: Mapped[int] = mapped_column()  # weeks of history since the first sale
    alpha: Mapped[Decimal] = mapped_column(sa.Numeric(6, 4))
    beta: Mapped[Decimal] = mapped_column(sa.Numeric(6, 4))
    phi: Mapped[Decimal] = mapped_column(sa.Numeric(6, 4))  # trend damping per week ahead
    level: Mapped[Decimal] = mapped_column(sa.Numeric(14, 4))
    trend: Mapped[Decimal] = mapped_column(sa.Numeric(14, 4))
    sigma: Mapped[Decimal] = mapped_column(sa.Numeric(14, 4))
    next_week: Mapped[Decimal] = mapped_column(sa.Numeric(14, 4))  # forecast units next week
    lead_time_days: Mapped[int] = mapped_column()
    cover_units: Mapped[Decimal] = mapped_column(sa.Numeric(14, 4))
    backtest_mae: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 4))
    backtest_wape: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 4))
    naive_mae: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 4))
