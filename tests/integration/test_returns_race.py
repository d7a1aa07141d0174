"""Two people at once: the same unit asked back twice, the same parcel received twice.

Real threads, each with its own app context and database connection, released together.
Every change to a return locks its order first (shop.returns.services), so the second
waits, then sees what the first did and is refused with the message a person reads.
"""

import pytest
import sqlalchemy as sa

from shop.extensions import db
from shop.inventory import valuation
from shop.inventory.services import movement_total, stock_for
from shop.orders.models import Order, OrderLine
from shop.refunds.models import Refund
from shop.returns import services as returns
from shop.returns.models import ReturnRequest
from tests.factories import ProductFactory, VariantFactory
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.race_helpers import at_once
from tests.integration.returns_helpers import bought_and_shipped

ROUNDS = 4


@pytest.fixture
def lamp(app):
    classes = seed_reference_data()
    return VariantFactory(
        product=ProductFactory(name="Camp Lamp"), sku="LAMP", price=4500, cost=1500,
        tax_class=classes["standard"], stock=50,
    )  # fmt: skip


def ask(order_id: int, line_id: int, name: str):
    def step():
        order = db.session.get(Order, order_id)  # as the page reads it, without a lock
        returns.request_return(order=order, lines={line_id: (1, "changed_mind")})

    step.__name__ = name
    return step


def test_the_last_unit_asked_back_twice_at_once_is_asked_once(app, lamp):
    for _ in range(ROUNDS):
        order = bought_and_shipped(app, [(lamp, 1)])
        line_id = order.lines[0].id
        outcome = at_once(app, ask(order.id, line_id, "first"), ask(order.id, line_id, "second"))
        assert outcome.failed == []
        assert len(outcome.done) == 1
        assert outcome.refused == [
            "Every unit of Camp Lamp that was shipped is already being returned."
        ]
        count = sa.select(sa.func.count(ReturnRequest.id)).where(ReturnRequest.order_id == order.id)
        assert db.session.scalar(count) == 1


def receive(request_id: int, line_id: int, name: str):
    def step():
        request = db.session.get(ReturnRequest, request_id)
        returns.receive_return(request=request, received={line_id: returns.Receipt(1, 0)})

    step.__name__ = name
    return step


def test_a_parcel_received_twice_at_once_restocks_and_refunds_once(app, lamp):
    for _ in range(ROUNDS):
        order = bought_and_shipped(app, [(lamp, 1)])
        rr = returns.request_return(order=order, lines={order.lines[0].id: (1, "defective")})
        returns.authorise_return(request=rr, user=None)
        db.session.commit()
        on_hand = stock_for(lamp.id).on_hand
        line_id = rr.lines[0].id
        outcome = at_once(app, receive(rr.id, line_id, "bench"), receive(rr.id, line_id, "desk"))
        assert outcome.failed == []
        assert len(outcome.done) == 1
        assert outcome.refused == [f"Return {rr.number} is refunded; it cannot become received."]
        assert stock_for(lamp.id).on_hand == on_hand + 1 == movement_total(lamp.id)
        refunds = sa.select(sa.func.count(Refund.id)).where(Refund.order_id == order.id)
        assert db.session.scalar(refunds) == 1
        assert db.session.get(OrderLine, order.lines[0].id).quantity_returned == 1
    assert valuation.inventory_difference() == 0
