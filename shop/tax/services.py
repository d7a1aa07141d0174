"""Setting up tax data."""

import sqlalchemy as sa

from shop.extensions import db
from shop.tax.data import CANADA_STANDARD_RATES, TAX_CLASSES
from shop.tax.models import TaxClass, TaxRate


def ensure_tax_classes() -> dict[str, TaxClass]:
    existing = {c.code: c for c in db.session.scalars(sa.select(TaxClass))}
    for code, name in TAX_CLASSES:
        if code not in existing:
            existing[code] = TaxClass(code=code, name=name)
            db.session.add(existing[code])
    db.session.flush()
    return existing


def seed_canadian_rates() -> int:
    """Canada's 2026 rates for the standard class; rows that exist are left alone."""
    standard = ensure_tax_classes()["standard"]
    have = set(
        db.session.execute(
            sa.select(TaxRate.province, TaxRate.component).where(
                TaxRate.country == "CA", TaxRate.tax_class_id == standard.id
            )
        ).all()
    )
    added = 0
    for province, components in CANADA_STANDARD_RATES.items():
        for component, rate in components:
            if (province, component) not in have:
                db.session.add(
                    TaxRate(
                        country="CA",
                        province=province,
                        tax_class_id=standard.id,
                        component=component,
                        rate=rate,
                    )
                )
                added += 1
    db.session.flush()
    return added
