"""One refund use case for every reason: cancellation, return, goodwill, the provider's dashboard.

A refund is decided in the transaction of the use case that causes it: under the
order's row lock, what is asked is checked against what is left to refund (every
refund counts, whatever its status: each has its credit note), the credit note is
issued and the reversing entries posted, and the refund is left PENDING. After the
commit, send_refunds() asks the provider that took the money; its answer comes back
once like a payment's event, by the API's reply or by webhook (shop.refunds.outcomes,
shop.refunds.provider_events), and moves the refund to SUCCEEDED or FAILED. A
provider that cannot be reached leaves it PENDING with its error and a time to try
again (`flask refunds retry`).
"""

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from shop import locks
from shop.accounting import services as books
from shop.billing import services as billing
from shop.billing.files import pdf_attachment
from shop.db import utcnow
from shop.errors import DomainError
from shop.extensions import db
from shop.money import format_money
from shop.notifications.services import queue_email
from shop.orders import events
from shop.orders.models import Order, OrderLine, Payment
from shop.refunds import amounts as figures
from shop.refunds import providers
from shop.refunds import status as st
from shop.refunds.models import Refund, RefundLine
from shop.refunds.status import RefundError
from shop.tax.calculations import apportion

PAID = "succeeded"  # a Payment's status once its money was taken (payments.services.SUCCEEDED)
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=6)


# --- reading ------------------------------------------------------------------------


def refunds_of(order: Order) -> list[Refund]:
    query = sa.select(Refund).where(Refund.order_id == order.id).order_by(Refund.id)
    return list(db.session.scalars(query))


def refunded_units(order_line: OrderLine) -> int:
    """Units of the line whose price went back, or is going back, in any refund."""
    query = sa.select(sa.func.coalesce(sa.func.sum(RefundLine.quantity), 0)).where(
        RefundLine.order_line_id == order_line.id
    )
    return int(db.session.scalar(query))


def paid_amount(order: Order) -> int:
    return sum(p.amount for p in order.payments if p.status == PAID)


def refunded_amount(order: Order) -> int:
    query = sa.select(sa.func.coalesce(sa.func.sum(Refund.amount), 0)).where(
        Refund.order_id == order.id
    )
    return int(db.session.scalar(query))


def refundable_amount(order: Order) -> int:
    """What may still go back: paid, less every refund decided (pending and failed ones
    too: their credit notes stand, and a failed one is retried, never replaced)."""
    return paid_amount(order) - refunded_amount(order)


def _already_refunded(order: Order) -> figures.AlreadyRefunded:
    units: dict[int, int] = {}
    goods: dict[int, int] = {}
    taxes: dict[tuple[str, Decimal], int] = {}
    shipping = fee = 0
    for refund in refunds_of(order):
        shipping += refund.shipping_amount
        fee += refund.restocking_fee
        for line in refund.lines:
            units[line.order_line_id] = units.get(line.order_line_id, 0) + line.quantity
            goods[line.order_line_id] = goods.get(line.order_line_id, 0) + line.amount
        for tax in refund.credit_note.taxes if refund.credit_note else []:
            key = (tax.component, Decimal(tax.rate))
            taxes[key] = taxes.get(key, 0) - tax.amount
    return figures.AlreadyRefunded(units, goods, shipping, taxes, fee)


# --- deciding a refund ----------------------------------------------------------------


def refund_order(
    *, order: Order, lines: dict[int, int], shipping: bool | int = False,
    restocking_fee_percent: Decimal = Decimal(0), reason: str, note: str = "", user=None,
    return_request=None, notify: bool = True,
) -> Refund:  # fmt: skip
    """Give back these units (order line id -> units) and the shipping (True: what is left
    of it; a number: that many cents of it; False: none): a credit note,
    its reversing entries and a PENDING refund, in the caller's transaction. Stock and the
    lines' quantities are the caller's (a cancellation, a return); see the module docstring."""
    order, payment = _lock_paid(order)
    before = _already_refunded(order)
    parts = figures.compute(
        order, lines=lines, shipping=shipping, fee_percent=Decimal(restocking_fee_percent),
        before=before,
    )  # fmt: skip
    return _decide(
        order, payment, parts, reason=reason, note=note, user=user,
        return_request=return_request, notify=notify,
    )  # fmt: skip


def refund_amount(
    *, order: Order, amount: int, reason: str, note: str = "", user=None,
    notify: bool = True, reference: str | None = None,
) -> Refund:  # fmt: skip
    """Give back an amount not tied to units (goodwill, or a refund made in the provider's
    dashboard). What is left of the order is given back in the same proportions: each tax
    class's goods and the shipping their share of the amount, each tax component computed on
    them; the whole amount left gives back every unit and the shipping left, to the cent."""
    order, payment = _lock_paid(order)
    before = _already_refunded(order)
    left = refundable_amount(order)
    if amount <= 0:
        raise RefundError("A refund is an amount above zero.")
    _check_within(order, amount, left)
    everything = {
        line.id: line.quantity - before.units.get(line.id, 0)
        for line in order.lines
        if line.quantity > before.units.get(line.id, 0)
    }
    if amount == left and not before.fee:
        parts = figures.compute(
            order, lines=everything, shipping=True, fee_percent=Decimal(0), before=before
        )
    else:
        parts = _share_of_what_is_left(order, amount, before, everything)
    refund = _decide(
        order, payment, parts, reason=reason, note=note, user=user, return_request=None,
        notify=notify,
    )  # fmt: skip
    refund.reference = reference
    return refund


def _share_of_what_is_left(order, amount, before, everything) -> figures.RefundAmounts:
    """An amount short of what is left, as goods (per line, without units) and shipping in
    proportion to what is left of them, tax computed on those; the last cent of rounding
    goes to the largest line so the refund is exactly the amount."""
    line_left = {line.id: line.line_total - before.goods.get(line.id, 0) for line in order.lines}
    shipping_left = order.shipping_total - before.shipping
    total_left = sum(line_left.values()) + shipping_left
    if total_left <= 0:
        raise RefundError(f"Nothing is left to refund on order {order.number}.")
    rate = _gross_factor(order, before, total_left)
    net = int(Decimal(amount) / rate)
    ids = list(line_left)
    shares = apportion(net, [*(line_left[i] for i in ids), shipping_left])
    parts = figures.RefundAmounts(shipping=shares[-1])
    by_id = {line.id: line for line in order.lines}
    parts.lines = [
        figures.LinePart(by_id[i], 0, share) for i, share in zip(ids, shares, strict=False) if share
    ]
    most = max(ids, key=lambda i: line_left[i], default=None)
    if not parts.lines and most is not None and line_left[most] > 0:
        parts.lines = [figures.LinePart(by_id[most], 0, 0)]  # a few cents: too few to share
    parts.taxes = figures.taxes_of(order, parts, before)
    if parts.lines:  # whatever rounding left over goes with the largest line's goods
        biggest = max(parts.lines, key=lambda p: p.amount)
        index = parts.lines.index(biggest)
        parts.lines[index] = figures.LinePart(
            biggest.line, 0, biggest.amount + amount - parts.total
        )
    return parts


def _gross_factor(order, before, total_left: int) -> Decimal:
    """What each cent of goods and shipping left costs with its tax: 1.13 in Ontario."""
    tax_left = sum(t.amount for t in order.taxes) - sum(before.taxes.values())
    return Decimal(total_left + max(tax_left, 0)) / Decimal(total_left)


def _lock_paid(order: Order) -> tuple[Order, Payment]:
    order = locks.lock_order(order.id)
    payment = next((p for p in order.payments if p.status == PAID), None)
    if order.paid_at is not None and not order.total:
        raise RefundError(f"Order {order.number} cost nothing: there is nothing to refund.")
    if payment is None or billing.invoice_for_order(order) is None:
        raise RefundError(f"Order {order.number} was never paid; there is nothing to refund.")
    return order, payment


def _check_within(order: Order, amount: int, left: int) -> None:
    if amount > left:
        raise RefundError(
            f"Only {_money(left, order)} of order {order.number} is left to refund; "
            f"this refund would be {_money(amount, order)}."
        )


def _decide(
    order, payment, parts: figures.RefundAmounts, *, reason, note, user, return_request,
    notify,
) -> Refund:  # fmt: skip
    if parts.total <= 0:
        raise RefundError(f"Nothing to refund on order {order.number}: choose what goes back.")
    _check_within(order, parts.total, refundable_amount(order))
    credit_note = _credit_note(order, parts, reason, note)
    books.post_refund(order=order, credit_note=credit_note)
    books.reverse_commission(
        order=order, credit_note=credit_note, goods_left=_goods_left(order, parts)
    )
    refund = Refund(
        order_id=order.id, payment_id=payment.id, provider=payment.provider,
        amount=parts.total, currency=order.currency, status=st.PENDING, reason=reason,
        note=note.strip()[:500], shipping_amount=parts.shipping, restocking_fee=parts.fee,
        credit_note_id=credit_note.id, user_id=getattr(user, "id", None),
        return_id=getattr(return_request, "id", None), next_attempt_at=utcnow(),
    )  # fmt: skip
    refund.lines = [
        RefundLine(order_line_id=p.line.id, quantity=p.quantity, amount=p.amount)
        for p in parts.lines
    ]
    db.session.add(refund)
    db.session.flush()
    events.refund_decided(order, refund, credit_note.number, user)
    if notify:
        send_refund_email(order, refund)
    return refund


def _goods_left(order: Order, parts: figures.RefundAmounts) -> int:
    before = _already_refunded(order)  # this refund's lines are not written yet
    given = sum(p.amount for p in parts.lines)
    return sum(line.line_total for line in order.lines) - sum(before.goods.values()) - given


def _credit_note(order, parts: figures.RefundAmounts, reason: str, note: str):
    invoice = billing.invoice_for_order(order)
    rates = {line.position: line.tax_rate for line in invoice.lines}
    positions = {line.id: n for n, line in enumerate(order.lines, start=1)}
    class_rates = {
        line.tax_class_id: rates[positions[line.id]] for line in order.lines
    }  # fmt: skip
    credited = [
        billing.CreditedLine(
            sku=p.line.sku,
            # An amount given back without units: part of the price, no unit credited.
            description=p.line.name if p.quantity else f"Part of the price: {p.line.name}",
            quantity=p.quantity,
            unit_price=p.line.unit_price if p.quantity else p.amount,
            tax_class_name=p.line.tax_class_name,
            tax_rate=rates[positions[p.line.id]],
            amount=p.amount,
        )  # fmt: skip
        for p in parts.lines
    ]
    credited += [
        billing.CreditedLine(
            sku="RESTOCKING",
            description="Restocking fee",
            quantity=1,
            unit_price=fee.amount,
            tax_class_name=fee.tax_class_name,
            tax_rate=class_rates[fee.tax_class_id],
            amount=-fee.amount,
        )  # fmt: skip
        for fee in parts.fees
    ]
    taxes = [billing.CreditedTax(t.component, t.rate, t.taxable, t.amount) for t in parts.taxes]
    label = st.REASON_LABELS.get(reason, reason)
    text = f"{label}: {note.strip()}." if note.strip() else f"{label}."
    return billing.issue_credit(
        invoice=invoice, lines=credited, shipping=parts.shipping, taxes=taxes, reason=text
    )


def send_refund_email(order: Order, refund: Refund) -> None:
    """The customer's email: how much goes back, why, and the credit note attached."""
    queue_email(
        to=order.email,
        subject=f"Order {order.number}: {_money(refund.amount, order)} refunded",
        kind="refund_issued",
        order=order,
        refund=refund,
        credit_note=refund.credit_note,
        attachments=[pdf_attachment(refund.credit_note)],
    )


def _money(amount: int, order: Order) -> str:
    return format_money(amount, order.currency, current_app.config["LOCALE"])


# --- sending to the provider, after the commit --------------------------------------------


def send_refunds(refund_ids) -> list[str]:
    """Ask the provider for each refund, after the transaction that decided them committed;
    each refund's outcome is committed on its own. Never raises for a provider failure."""
    return [send_refund(refund_id) for refund_id in refund_ids]


def send_refund(refund_id: int) -> str:
    # Orders first (shop.locks): a webhook about this refund, which locks the order and then
    # the refund, waits for this call's answer instead of deadlocking with it.
    order_id = db.session.scalar(sa.select(Refund.order_id).where(Refund.id == refund_id))
    if order_id is not None:
        locks.lock_order(order_id)
    refund = _claim(refund_id)
    if refund is None:
        db.session.rollback()
        return "not due"
    refund.attempts += 1
    try:
        outcome = providers.send(refund)
    except DomainError as err:
        try_later(refund, err.message)
        outcome = "will retry: " + err.message
    db.session.commit()
    return outcome


def _claim(refund_id: int) -> Refund | None:
    """The refund, locked, if it still waits for the provider; skipped if another copy of
    the job or request is sending it this moment."""
    found = locks.lock_refunds(
        Refund.id == refund_id, Refund.status == st.PENDING, Refund.reference.is_(None),
        skip_locked=True,
    )  # fmt: skip
    return found[0] if found else None


def try_later(refund: Refund, error: str) -> None:
    wait = min(FIRST_RETRY * 2 ** max(refund.attempts - 1, 0), LAST_RETRY)
    refund.last_error = error[:500]
    refund.next_attempt_at = utcnow() + wait
    current_app.logger.error("refund %s of order %s: %s", refund.id, refund.order_id, error)
