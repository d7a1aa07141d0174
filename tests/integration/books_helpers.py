"""Orders placed and paid through the real services, and the books read back, for the tests
of invoices and the ledger."""

import secrets
from collections import defaultdict

import sqlalchemy as sa

from shop.accounting.models import Account, JournalEntry, JournalLine
from shop.cart.models import Cart, CartLine
from shop.extensions import db
from shop.orders import services as orders
from shop.orders.models import Order, Payment
from shop.payments.services import SUCCEEDED, PaymentEventData, apply_payment_event
from shop.shipping.models import ShippingService

# A real address in each province and territory the tests ship to.
ADDRESSES = {
    "ON": ("Toronto", "M5H 2N2"),
    "QC": ("Montréal", "H2Y 1C6"),
    "BC": ("Vancouver", "V6B 1A1"),
    "AB": ("Calgary", "T2P 1J9"),
    "MB": ("Winnipeg", "R3C 0A1"),
    "SK": ("Regina", "S4P 3Y2"),
    "NS": ("Halifax", "B3H 1A1"),
    "NB": ("Moncton", "E1C 4M3"),
    "NL": ("St. John's", "A1C 1A1"),
    "PE": ("Charlottetown", "C1A 1A1"),
    "YT": ("Whitehorse", "Y1A 1A1"),
    "NU": ("Iqaluit", "X0A 0H0"),
}


def address(province: str) -> dict:
    city, postal_code = ADDRESSES[province]
    return {
        "full_name": "Bea Bookkeeper", "company": None, "line1": "1 Main St", "line2": None,
        "city": city, "province": province, "postal_code": postal_code, "country": "CA",
        "phone": None,
    }  # fmt: skip


def regular_service_id() -> int:
    return db.session.scalar(sa.select(ShippingService.id).where(ShippingService.code == "regular"))


def place_pending_order(
    items, *, province: str = "ON", email: str = "buyer@example.com", provider: str = "demo"
) -> Order:
    """A guest's order of [(variant_id, quantity), ...], placed as checkout places it; not
    committed. Returns the order, waiting for payment."""
    cart = Cart(lines=[CartLine(variant_id=v, quantity=q) for v, q in items])
    db.session.add(cart)
    db.session.flush()
    service = regular_service_id()
    request = orders.CheckoutRequest(email, address(province), service, "ship_complete")
    priced = orders.price_checkout(cart=cart, request=request)
    token = orders.review_fingerprint(cart=cart, request=request, priced=priced)
    return orders.place_order(
        cart=cart, user=None, request=request, reviewed=token, provider=provider
    )


def open_payment(order: Order, provider: str = "demo") -> Payment:
    """The order's payment with this provider, as its checkout started it (one per order)."""
    payment = next((p for p in order.payments if p.provider == provider), None)
    if payment is None:
        payment = Payment(
            provider=provider, reference=f"{provider}_{secrets.token_hex(8)}",
            amount=order.total, currency=order.currency,
        )  # fmt: skip
        order.payments.append(payment)
        db.session.flush()
    return payment


def paid_event(order: Order, payment: Payment, **changes) -> PaymentEventData:
    """The provider's word that the order's total was paid."""
    fields = {
        "provider": payment.provider, "event_id": f"evt_{secrets.token_hex(8)}",
        "event_type": "checkout.session.completed", "outcome": SUCCEEDED,
        "reference": payment.reference, "amount": order.total, "currency": order.currency,
        "method": "Visa ending 4242",
    }  # fmt: skip
    return PaymentEventData(**{**fields, **changes})


def pay(order: Order, provider: str = "demo") -> str:
    return apply_payment_event(paid_event(order, open_payment(order, provider)))


# --- reading the books -----------------------------------------------------------------


def balances() -> dict[str, int]:
    """Each account's debits less its credits, keyed by role (or code for accounts without)."""
    rows = db.session.execute(
        sa.select(Account.role, Account.code, JournalLine.debit, JournalLine.credit).join(
            JournalLine, JournalLine.account_id == Account.id
        )
    )
    result: dict[str, int] = defaultdict(int)
    for role, code, debit, credit in rows:
        result[role or code] += debit - credit
    return result


def unbalanced_entries() -> list[str]:
    query = (
        sa.select(JournalEntry.source_key)
        .join(JournalLine)
        .group_by(JournalEntry.id, JournalEntry.source_key)
        .having(sa.func.sum(JournalLine.debit) != sa.func.sum(JournalLine.credit))
    )
    return list(db.session.scalars(query))


def source_keys_posted_twice() -> list[str]:
    query = (
        sa.select(JournalEntry.source_key)
        .group_by(JournalEntry.source_key)
        .having(sa.func.count() > 1)
    )
    return list(db.session.scalars(query))
