"""Returns asked or handled wrongly: a clear message, and nothing changes.

Each test buys and ships through the real use cases, then tries the wrong thing the way a
person would (the customer's form, the warehouse's buttons) and checks the message, that
no request, movement or email was added, and that the stock is as it was.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.extensions import db
from shop.inventory.models import StockMovement
from shop.inventory.services import stock_for
from shop.notifications.models import OutboxMessage
from shop.returns import services as returns
from shop.returns import status as return_status
from shop.returns.models import ReturnRequest
from tests.conftest import log_in
from tests.factories import UserFactory
from tests.factories.store import two_person_tent
from tests.integration.backoffice_helpers import errors_beside, flashes
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.returns_helpers import (
    ask_return,
    bought_and_shipped,
    order_link,
    page_text,
    requests_of,
)


@pytest.fixture
def tent(app):
    return two_person_tent(seed_reference_data(), stock=10)


def counts() -> tuple[int, int, int]:
    """Requests, stock movements and emails: what a refused attempt must not add to."""
    return (
        db.session.scalar(sa.select(sa.func.count(ReturnRequest.id))),
        db.session.scalar(sa.select(sa.func.count(StockMovement.id))),
        db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))),
    )


def test_returning_more_than_was_shipped_is_refused(app, tent):
    order = bought_and_shipped(app, [(tent, 2)])
    before = counts()
    response = ask_return(app.test_client(), order, {order.lines[0]: (3, "changed_mind")})
    assert response.status_code == 422
    assert flashes(page_text(response)) == [
        "You can return at most 2 of Ridge Tent (2 shipped, 0 already returned or being returned)."
    ]
    assert counts() == before


def test_the_same_unit_cannot_be_asked_back_in_two_requests(app, tent):
    order = bought_and_shipped(app, [(tent, 2)])
    guest = app.test_client()
    assert ask_return(guest, order, {order.lines[0]: (2, "wrong_size")}).status_code == 302
    before = counts()
    again = ask_return(guest, order, {order.lines[0]: (1, "wrong_size")})
    assert again.status_code == 422
    assert flashes(page_text(again)) == [
        "Every unit of Ridge Tent that was shipped is already being returned."
    ]
    assert counts() == before
    assert [r.status for r in requests_of(order)] == [return_status.REQUESTED]
    # ... and the order page no longer offers to return anything.
    assert "Return items" not in page_text(guest.get(order_link(order)))


def test_a_return_outside_the_window_is_refused(app, tent, clock):
    order = bought_and_shipped(app, [(tent, 1)])
    clock.shift(timedelta(days=30, hours=1))  # the store's window is 30 days
    before = counts()
    response = ask_return(app.test_client(), order, {order.lines[0]: (1, "changed_mind")})
    assert response.status_code == 422
    [message] = flashes(page_text(response))
    assert message.startswith("The return window for Ridge Tent closed on Apr 1, 2026")
    assert counts() == before


def test_a_line_of_another_order_is_refused(app, tent):
    order = bought_and_shipped(app, [(tent, 1)])
    other = bought_and_shipped(app, [(tent, 1)], email="other@example.com")
    before = counts()
    with pytest.raises(return_status.ReturnError, match=f"not part of order {order.number}"):
        returns.request_return(
            order=order, lines={other.lines[0].id: (1, "changed_mind")}, user=None
        )
    db.session.rollback()
    assert counts() == before


def test_another_customers_order_is_not_found(app, tent, customer):
    order = bought_and_shipped(app, [(tent, 1)], email="gail@example.com")
    assert ask_return(app.test_client(), order, {order.lines[0]: (1, "defective")}).status_code == (
        302
    )
    rr = requests_of(order)[0]
    returns.authorise_return(request=rr, user=None)
    db.session.commit()
    before = counts()

    someone = app.test_client()
    log_in(someone, customer.email)
    for url in (
        f"/orders/{order.number}/returns/new",
        f"/orders/{order.number}/returns/new?t=not-the-token",
        f"/orders/{order.number}/returns/{rr.number}.pdf",
        f"/orders/{order.number}/returns/{rr.number}.pdf?t=not-the-token",
    ):
        assert someone.get(url).status_code == 404, url
    response = someone.post(
        f"/orders/{order.number}/returns/new",
        data={f"qty_{order.lines[0].id}": "1", f"reason_{order.lines[0].id}": "defective"},
    )
    assert response.status_code == 404
    # Another order's request is not found through one's own order either.
    mine = bought_and_shipped(app, [(tent, 1)], email=customer.email)
    url = f"/orders/{mine.number}/returns/{rr.number}.pdf?t={mine.access_token}"
    assert someone.get(url).status_code == 404
    assert counts()[0] == before[0]


def _authorised(app, order, units: int, reason: str = "changed_mind") -> ReturnRequest:
    assert ask_return(app.test_client(), order, {order.lines[0]: (units, reason)}).status_code == (
        302
    )
    rr = requests_of(order)[-1]
    returns.authorise_return(request=rr, user=None)
    db.session.commit()
    return rr


def test_receiving_more_than_was_authorised_is_refused(app, tent, warehouse):
    order = bought_and_shipped(app, [(tent, 3)])
    rr = _authorised(app, order, 2)
    line = rr.lines[0]
    before, on_hand = counts(), stock_for(tent.id).on_hand
    response = warehouse.post(
        f"/admin/returns/{rr.number}/receive",
        data={f"resellable_{line.id}": "2", f"damaged_{line.id}": "1",
              "restocking_fee_percent": "0"},
    )  # fmt: skip
    assert response.status_code == 422
    assert flashes(page_text(response)) == [
        f"Ridge Tent: 3 received, but return {rr.number} authorised 2."
    ]
    assert counts() == before
    assert stock_for(tent.id).on_hand == on_hand
    assert db.session.get(ReturnRequest, rr.id).status == return_status.AUTHORISED
    assert order.lines[0].quantity_returned == 0


def test_refusing_twice_is_refused_and_a_refusal_needs_a_note(app, tent, warehouse):
    order = bought_and_shipped(app, [(tent, 1)])
    assert ask_return(
        app.test_client(), order, {order.lines[0]: (1, "changed_mind")}
    ).status_code == (302)
    rr = requests_of(order)[0]
    url = f"/admin/returns/{rr.number}/refuse"
    no_note = warehouse.post(url, data={"note": ""})
    assert no_note.status_code == 422
    assert errors_beside(page_text(no_note), "note") == [
        "Say why the return is refused: the customer reads it."
    ]
    refused = warehouse.post(url, data={"note": "Worn outdoors."}, follow_redirects=True)
    assert f"Return {rr.number} refused; the customer has been told why." in flashes(
        page_text(refused)
    )
    before = counts()
    again = warehouse.post(url, data={"note": "Worn outdoors, again."})
    assert again.status_code == 422
    assert flashes(page_text(again)) == [
        f"Return {rr.number} is refused; it cannot become refused."
    ]
    assert counts() == before
    assert db.session.get(ReturnRequest, rr.id).staff_note == "Worn outdoors."


def test_a_refused_request_cannot_be_received(app, tent, warehouse):
    order = bought_and_shipped(app, [(tent, 1)])
    assert ask_return(
        app.test_client(), order, {order.lines[0]: (1, "changed_mind")}
    ).status_code == (302)
    rr = requests_of(order)[0]
    returns.refuse_return(request=rr, note="Outside our policy.", user=None)
    db.session.commit()
    before, on_hand = counts(), stock_for(tent.id).on_hand
    line = rr.lines[0]
    response = warehouse.post(
        f"/admin/returns/{rr.number}/receive",
        data={f"resellable_{line.id}": "1", f"damaged_{line.id}": "0",
              "restocking_fee_percent": "0"},
    )  # fmt: skip
    assert response.status_code == 422
    assert flashes(page_text(response)) == [
        f"Return {rr.number} is refused; it cannot become received."
    ]
    assert counts() == before and stock_for(tent.id).on_hand == on_hand


def test_a_request_of_nothing_is_refused(app, tent):
    order = bought_and_shipped(app, [(tent, 1)])
    before = counts()
    response = ask_return(app.test_client(), order, {order.lines[0]: (0, "")})
    assert response.status_code == 422
    assert flashes(page_text(response)) == ["Choose at least one item to return and how many."]
    missing_reason = ask_return(app.test_client(), order, {order.lines[0]: (1, "")})
    assert flashes(page_text(missing_reason)) == ["Choose why you are returning Ridge Tent."]
    assert counts() == before


def test_the_customer_of_an_account_may_return_from_their_own_order(app, tent):
    shopper = UserFactory(email="sam@example.com", name="Sam Shopper")
    order = bought_and_shipped(app, [(tent, 1)], email=shopper.email)
    order.user_id = shopper.id  # as when Sam checks out logged in
    db.session.commit()
    client = app.test_client()
    log_in(client, shopper.email)
    response = ask_return(client, order, {order.lines[0]: (1, "changed_mind")}, token="")
    assert response.status_code == 302
    assert requests_of(order)[0].requested_by_id == shopper.id


def test_a_withdrawn_request_frees_its_units_and_cannot_be_withdrawn_again(app, tent):
    order = bought_and_shipped(app, [(tent, 1)], email="gail@example.com")
    guest = app.test_client()
    assert ask_return(guest, order, {order.lines[0]: (1, "changed_mind")}).status_code == 302
    [rr] = requests_of(order)
    url = f"/orders/{order.number}/returns/{rr.number}/withdraw?t={order.access_token}"
    assert f"Withdraw return {rr.number}" in page_text(guest.get(order_link(order)))

    someone = app.test_client()  # without the order's link
    assert someone.post(f"/orders/{order.number}/returns/{rr.number}/withdraw").status_code == 404

    done = guest.post(url, follow_redirects=True)
    assert f"Return {rr.number} withdrawn: keep the items." in flashes(page_text(done))
    assert db.session.get(ReturnRequest, rr.id).status == return_status.CANCELLED
    assert "Return items" in page_text(done)  # the tent may be asked back again
    before = counts()
    again = guest.post(url, follow_redirects=True)
    assert flashes(page_text(again)) == [
        f"Return {rr.number} is withdrawn; it cannot become withdrawn."
    ]
    assert counts() == before
    assert ask_return(guest, order, {order.lines[0]: (1, "changed_mind")}).status_code == 302
