"""Tax data: seeding it, and the owner's changes to classes and rates in the back office.

Rates are Decimal fractions (0.09975 for 9.975 %), never floats. Each change
flushes but never commits, and refuses bad data with a TaxError naming the field.
"""

import re
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from shop.extensions import db
from shop.tax.calculations import COMPONENT_ORDER
from shop.tax.data import TAX_CLASSES, canada_rates
from shop.tax.errors import TaxError
from shop.tax.models import TaxClass, TaxRate
from shop.text import slugify


def ensure_tax_classes() -> dict[str, TaxClass]:
    existing = {c.code: c for c in db.session.scalars(sa.select(TaxClass))}
    for code, name in TAX_CLASSES:
        if code not in existing:
            existing[code] = TaxClass(code=code, name=name)
            db.session.add(existing[code])
    db.session.flush()
    return existing


def seed_canadian_rates() -> int:
    """Canada's 2026 rates for every tax class of shop.tax.data; rows that exist are left
    alone (an owner's own changes stay)."""
    classes = ensure_tax_classes()
    have = set(
        db.session.execute(
            sa.select(TaxRate.tax_class_id, TaxRate.province, TaxRate.component).where(
                TaxRate.country == "CA"
            )
        ).all()
    )
    added = 0
    for code, _ in TAX_CLASSES:
        tax_class = classes[code]
        for province, components in canada_rates(code).items():
            for component, rate in components:
                if (tax_class.id, province, component) in have:
                    continue
                db.session.add(
                    TaxRate(
                        country="CA",
                        province=province,
                        tax_class_id=tax_class.id,
                        component=component,
                        rate=rate,
                    )
                )
                added += 1
    db.session.flush()
    return added


# --- reading for the back office -----------------------------------------------------

COMPONENTS = tuple(COMPONENT_ORDER)  # GST, HST, PST, QST
RATE_PLACES = Decimal("0.00001")  # the column keeps 5 decimals: 9.975 % is 0.09975


def tax_classes() -> list[TaxClass]:
    return list(db.session.scalars(sa.select(TaxClass).order_by(TaxClass.name)))


def rates_by_destination() -> list[tuple[tuple[str, str], list[TaxRate]]]:
    """Every rate grouped by (country, province), each group in invoice order."""
    rows = db.session.scalars(
        sa.select(TaxRate)
        .options(selectinload(TaxRate.tax_class))
        .order_by(TaxRate.country, TaxRate.province, TaxRate.tax_class_id)
    )
    groups: dict[tuple[str, str], list[TaxRate]] = {}
    for row in rows:
        groups.setdefault((row.country, row.province), []).append(row)
    for rates in groups.values():
        rates.sort(key=lambda r: (r.tax_class.name, COMPONENT_ORDER.get(r.component, 9)))
    return list(groups.items())


# --- changes by the owner ------------------------------------------------------------

COUNTRY = re.compile(r"[A-Z]{2}")
PROVINCE = re.compile(r"[A-Z0-9]{1,3}")


def create_tax_class(*, name: str) -> TaxClass:
    """A new tax class; its code is made from the name."""
    name = (name or "").strip()
    if not name:
        raise TaxError("Enter a name.", field="name")
    same = sa.select(TaxClass.id).where(sa.func.lower(TaxClass.name) == name.lower())
    if db.session.scalar(same) is not None:
        raise TaxError("There is already a tax class with this name.", field="name")
    base = slugify(name)[:26]
    code, n = base, 2
    while db.session.scalar(sa.select(TaxClass.id).where(TaxClass.code == code)) is not None:
        code, n = f"{base}-{n}", n + 1
    tax_class = TaxClass(code=code, name=name)
    db.session.add(tax_class)
    db.session.flush()
    return tax_class


def save_tax_rate(
    *, country: str, province: str, tax_class_id: int, component: str, rate: Decimal,
    tax_rate: TaxRate | None = None,
) -> TaxRate:  # fmt: skip
    """Create or change one tax component at a destination for a tax class.

    rate is a Decimal fraction from 0 to 1 with at most 5 decimals (9.975 % is 0.09975).
    """
    if not isinstance(rate, Decimal):
        raise TypeError("a tax rate is a Decimal, never a float")
    country = (country or "").strip().upper()
    province = (province or "").strip().upper()
    if not COUNTRY.fullmatch(country):
        raise TaxError("Enter a two-letter country code, like CA.", field="country")
    if not PROVINCE.fullmatch(province):
        raise TaxError("Enter a province code, like ON.", field="province")
    if component not in COMPONENTS:
        raise TaxError("Choose a tax component from the list.", field="component")
    if db.session.get(TaxClass, tax_class_id) is None:
        raise TaxError("Choose a tax class from the list.", field="tax_class_id")
    if not rate.is_finite() or not 0 <= rate <= 1:
        raise TaxError("Enter a percentage from 0 to 100.", field="rate")
    if rate != rate.quantize(RATE_PLACES):
        raise TaxError("Use at most 3 decimal places, like 9.975.", field="rate")
    same = sa.select(TaxRate.id).where(
        TaxRate.country == country,
        TaxRate.province == province,
        TaxRate.tax_class_id == tax_class_id,
        TaxRate.component == component,
    )
    if tax_rate is not None:
        same = same.where(TaxRate.id != tax_rate.id)
    if db.session.scalar(same) is not None:
        raise TaxError(
            f"{province} ({country}) already has a {component} rate for this tax class; "
            "edit that one instead.",
            field="component",
        )
    if tax_rate is None:
        tax_rate = TaxRate()
        db.session.add(tax_rate)
    tax_rate.country = country
    tax_rate.province = province
    tax_rate.tax_class_id = tax_class_id
    tax_rate.component = component
    tax_rate.rate = rate
    db.session.flush()
    return tax_rate


def delete_tax_rate(*, tax_rate: TaxRate) -> None:
    """Stop charging this component; orders already placed keep the tax they were charged."""
    db.session.delete(tax_rate)
    db.session.flush()
