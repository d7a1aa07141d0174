"""The offline demo provider: no money moves. Stripe's test card numbers decide the outcome."""

import secrets
from dataclasses import dataclass

from shop import clock
from shop.accounting import services as books
from shop.db import utcnow
from shop.extensions import db
from shop.orders import services as orders
from shop.orders.models import Order, Payment
from shop.payments.services import FAILED, SUCCEEDED, PaymentEventData, apply_payment_event
from shop.store_details.services import store_settings

NAME = "demo"


@dataclass(frozen=True)
class TestCard:
    number: str
    outcome: str
    description: str


# The numbers Stripe documents for testing, so the demo behaves as Stripe's test mode would.
TEST_CARDS = [
    TestCard("4242424242424242", SUCCEEDED, "Visa: payment succeeds"),
    TestCard("5555555555554444", SUCCEEDED, "Mastercard: payment succeeds"),
    TestCard("4000000000000002", FAILED, "Visa: card declined"),
    TestCard("4000000000009995", FAILED, "Visa: insufficient funds"),
]
BRANDS = {"4": "Visa", "5": "Mastercard", "3": "American Express"}


class DemoCardError(Exception):
    """A card number that is not one of the test cards."""


def start_payment(order: Order) -> Payment:
    """A demo payment waiting for a test card; the pay page collects it."""
    payment = Payment(
        provider=NAME,
        reference=f"demo_{secrets.token_hex(12)}",
        amount=order.total,
        currency=order.currency,
    )
    order.payments.append(payment)
    db.session.flush()
    return payment


def charge(*, order: Order, card_number: str) -> TestCard:
    """Pay the order's total with a test card; the outcome goes through apply_payment_event.

    Before a card is charged, an order that gave its stock back is checked under
    the stock locks: CannotSupply names what can no longer be had, and nothing is paid.
    """
    digits = "".join(ch for ch in card_number if ch.isdigit())
    card = next((c for c in TEST_CARDS if c.number == digits), None)
    if card is None:
        raise DemoCardError(
            "Use one of the test card numbers shown: this demo takes no real cards."
        )
    if card.outcome == SUCCEEDED:
        order = orders.check_can_supply(order)
    payment = order.payments[-1] if order.payments else start_payment(order)
    method = f"{BRANDS.get(digits[0], 'Card')} ending {digits[-4:]} (demo)"
    outcome = apply_payment_event(
        PaymentEventData(
            provider=NAME,
            event_id=f"demo_evt_{secrets.token_hex(12)}",
            event_type=f"demo.charge.{card.outcome}",
            outcome=card.outcome,
            reference=payment.reference,
            amount=order.total,
            currency=order.currency,
            method=method,
            reason=card.description.split(": ")[1] if card.outcome == FAILED else "",
        )
    )
    if outcome == "order paid":
        _post_fee(order, payment)
    return card


def _post_fee(order: Order, payment: Payment) -> None:
    """The demo's processor fee, from the store's fee schedule, as Stripe would report one."""
    settings = store_settings()
    fee = books.demo_fee(order.total, settings.demo_fee_percent, settings.demo_fee_fixed)
    books.post_processor_fee(
        order=order, fee=fee, source_key=f"fee:{NAME}:{payment.reference}",
        on=clock.store_date(utcnow()), provider="Demo processor",
    )  # fmt: skip
