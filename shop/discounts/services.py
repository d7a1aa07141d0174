"""Discount codes at checkout (is this code good for this cart? hold it for an order,
give it back) and in the back office (the owner's codes).

Holding a use is one conditional UPDATE (uses = uses + 1 where uses < max_uses): the
database decides, so twenty customers placing an order with a single-use code at the
same moment get it once between them, on SQLite as on PostgreSQL.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from shop.catalogue.models import Category, Product
from shop.db import utcnow
from shop.discounts import rules
from shop.discounts.errors import DiscountError
from shop.discounts.models import (
    AMOUNT,
    FREE_SHIPPING,
    KINDS,
    PERCENT,
    Discount,
    DiscountRedemption,
)
from shop.extensions import db
from shop.formatting import money

CODE_CHARACTERS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def normalise(code: str | None) -> str:
    """What the customer typed, as codes are kept: upper case, no spaces."""
    return "".join((code or "").split()).upper()


def discount_by_code(code: str) -> Discount | None:
    return db.session.scalar(sa.select(Discount).where(Discount.code == normalise(code)))


# --- at checkout ------------------------------------------------------------------


def offer_for(code: str, *, email: str, lines, goods_subtotal: int, now=None) -> rules.Offer:
    """The code's offer for these cart lines (CartLineViews), or DiscountError saying why
    it does not apply."""
    discount = discount_by_code(code)
    if discount is None or not discount.is_active:
        raise DiscountError(f"There is no discount code {normalise(code)}.", field="code")
    _check_dates(discount, utcnow() if now is None else now)
    if discount.max_uses is not None and discount.uses >= discount.max_uses:
        raise DiscountError(f"Discount code {discount.code} has been used up.", field="code")
    _check_customer(discount, email)
    if goods_subtotal < discount.min_subtotal:
        raise DiscountError(
            f"Discount code {discount.code} needs goods worth at least "
            f"{money(discount.min_subtotal)}; your cart holds {money(goods_subtotal)}.",
            field="code",
        )
    eligible = _eligible(discount, lines)
    if not any(eligible):
        raise DiscountError(
            f"Discount code {discount.code} is not for anything in your cart.", field="code"
        )
    return rules.Offer(_terms(discount), tuple(eligible))


def _check_dates(discount: Discount, now: datetime) -> None:
    if discount.starts_at is not None and now < discount.starts_at:
        raise DiscountError(f"Discount code {discount.code} is not valid yet.", field="code")
    if discount.ends_at is not None and now >= discount.ends_at:
        raise DiscountError(f"Discount code {discount.code} has expired.", field="code")


def _check_customer(discount: Discount, email: str) -> None:
    if discount.max_uses_per_customer is None:
        return
    used = db.session.scalar(
        sa.select(sa.func.count()).select_from(DiscountRedemption).where(
            DiscountRedemption.discount_id == discount.id,
            DiscountRedemption.email == email.strip().lower(),
        )
    )  # fmt: skip
    if used >= discount.max_uses_per_customer:
        times = "once" if discount.max_uses_per_customer == 1 else (
            f"{discount.max_uses_per_customer} times"
        )  # fmt: skip
        raise DiscountError(
            f"Discount code {discount.code} can be used {times} per customer, and "
            f"{email} has used it already.",
            field="code",
        )


def _terms(discount: Discount) -> rules.Terms:
    return rules.Terms(discount.code, discount.kind, discount.percent, discount.amount, discount.id)


def _eligible(discount: Discount, lines) -> list[bool]:
    """Which cart lines the code is for: every line, or those of its products and of its
    categories (with every category below them)."""
    if not discount.limited_to_some_goods:
        return [True] * len(lines)
    product_ids = {p.id for p in discount.products}
    category_ids = _with_subcategories({c.id for c in discount.categories})
    return [
        line.variant.product_id in product_ids or line.variant.product.category_id in category_ids
        for line in lines
    ]


def _with_subcategories(ids: set[int]) -> set[int]:
    if not ids:
        return set()
    children: dict[int | None, list[int]] = {}
    for cid, parent_id in db.session.execute(sa.select(Category.id, Category.parent_id)):
        children.setdefault(parent_id, []).append(cid)
    found, todo = set(), list(ids)
    while todo:
        cid = todo.pop()
        if cid not in found:
            found.add(cid)
            todo.extend(children.get(cid, []))
    return found


def hold(order, taken: rules.Taken) -> None:
    """Count the order's use of the code, or DiscountError when the last use went to
    someone else a moment ago (the caller rolls back: nothing is placed)."""
    discounts = Discount.__table__
    held = db.session.execute(
        sa.update(discounts)
        .where(
            discounts.c.id == taken.discount_id,
            discounts.c.is_active.is_(True),
            sa.or_(discounts.c.max_uses.is_(None), discounts.c.uses < discounts.c.max_uses),
        )
        .values(uses=discounts.c.uses + 1)
    )  # fmt: skip
    if held.rowcount != 1:
        raise DiscountError(
            f"Discount code {taken.code} has just been used up, so your order was not "
            "placed. Check the new total and place it again.",
            field="code",
        )
    discount = db.session.get(Discount, taken.discount_id)
    db.session.refresh(discount, ["uses"])
    _check_customer(discount, order.email)  # after the UPDATE: this code's row is locked
    _redeemed(order, discount.id, taken.total)


def _redeemed(order, discount_id: int, amount: int) -> None:
    db.session.add(DiscountRedemption(
        discount_id=discount_id, order_id=order.id, email=order.email.strip().lower(),
        amount=amount,
    ))  # fmt: skip
    db.session.flush()


def hold_again(order) -> None:
    """An order that gave its code back and is paid after all (at the discounted price)
    holds it again, over the limit if need be: the customer paid that price."""
    if not order.discount_code:
        return
    if db.session.scalar(
        sa.select(DiscountRedemption.id).where(DiscountRedemption.order_id == order.id)
    ):
        return
    discount = discount_by_code(order.discount_code)
    if discount is None:
        return
    discounts = Discount.__table__
    db.session.execute(
        sa.update(discounts).where(discounts.c.id == discount.id)
        .values(uses=discounts.c.uses + 1)
    )  # fmt: skip
    _redeemed(order, discount.id, order.discount_total + order.shipping_discount)


def give_back(order) -> bool:
    """An order that will never be paid frees its use of the code; True when it held one."""
    redemption = db.session.scalar(
        sa.select(DiscountRedemption).where(DiscountRedemption.order_id == order.id)
    )
    if redemption is None:
        return False
    discounts = Discount.__table__
    db.session.execute(
        sa.update(discounts)
        .where(discounts.c.id == redemption.discount_id, discounts.c.uses > 0)
        .values(uses=discounts.c.uses - 1)
    )  # fmt: skip
    db.session.delete(redemption)
    db.session.flush()
    return True


# --- the owner's codes ------------------------------------------------------------


@dataclass(frozen=True)
class DiscountForm:
    """What the owner entered for a code (already parsed by the form)."""

    code: str
    description: str
    kind: str
    percent: object  # Decimal | None
    amount: int | None
    min_subtotal: int
    starts_at: datetime | None
    ends_at: datetime | None
    max_uses: int | None
    max_uses_per_customer: int | None
    is_active: bool
    product_ids: list[int]
    category_ids: list[int]


def all_discounts() -> list[Discount]:
    return list(db.session.scalars(sa.select(Discount).order_by(Discount.id.desc())))


def save_discount(*, entered: DiscountForm, discount: Discount | None = None) -> Discount:
    """Create (discount None) or change a code; DiscountError names the field at fault."""
    code = normalise(entered.code)
    _check_code(code, discount)
    _check_value(entered)
    if entered.starts_at and entered.ends_at and entered.ends_at <= entered.starts_at:
        raise DiscountError("The code must end after it starts.", field="ends_at")
    for name in ("max_uses", "max_uses_per_customer", "min_subtotal"):
        value = getattr(entered, name)
        if value is not None and value < (0 if name == "min_subtotal" else 1):
            raise DiscountError("Enter a number of at least 1 (or leave it empty).", field=name)
    if discount is None:
        discount = Discount(uses=0)
        db.session.add(discount)
    discount.code, discount.description, discount.kind = code, entered.description, entered.kind
    discount.percent = entered.percent if entered.kind == PERCENT else None
    discount.amount = entered.amount if entered.kind == AMOUNT else None
    discount.min_subtotal = entered.min_subtotal or 0
    discount.starts_at, discount.ends_at = entered.starts_at, entered.ends_at
    discount.max_uses = entered.max_uses
    discount.max_uses_per_customer = entered.max_uses_per_customer
    discount.is_active = entered.is_active
    discount.products = _rows(Product, entered.product_ids)
    discount.categories = _rows(Category, entered.category_ids)
    db.session.flush()
    return discount


def _check_code(code: str, discount: Discount | None) -> None:
    if not 3 <= len(code) <= 40 or not set(code) <= CODE_CHARACTERS:
        raise DiscountError(
            "A code has 3 to 40 letters, digits, dashes or underscores.", field="code"
        )
    taken = discount_by_code(code)
    if taken is not None and taken is not discount:
        raise DiscountError(f"There is already a code {code}.", field="code")


def _check_value(entered: DiscountForm) -> None:
    if entered.kind not in KINDS:
        raise DiscountError("Choose what the code gives.", field="kind")
    if entered.kind == PERCENT and not (entered.percent and 0 < entered.percent <= 100):
        raise DiscountError("A percentage is more than 0 and at most 100.", field="percent")
    if entered.kind == AMOUNT and not (entered.amount and entered.amount > 0):
        raise DiscountError("Enter the amount the code takes off.", field="amount")
    if entered.kind == FREE_SHIPPING:
        return


def _rows(model, ids: list[int]) -> list:
    if not ids:
        return []
    rows = list(db.session.scalars(sa.select(model).where(model.id.in_(set(ids)))))
    if len(rows) != len(set(ids)):
        raise DiscountError("One of the products or categories chosen no longer exists.")
    return rows
