"""The customer changes their mind: cancel the whole order before it is packed, or only
its backordered rest; the money comes back through the provider (demo here) with a
credit note, the stock goes to the oldest backorders, one email tells the customer.
Bad input gets a clear message and changes nothing.
"""

import html
from urllib.parse import urlsplit

import lxml.html
import pytest
import sqlalchemy as sa

from shop.billing.models import Invoice
from shop.extensions import db
from shop.inventory.services import adjust_stock, movement_total, stock_for
from shop.notifications.models import OutboxMessage
from shop.orders.models import Order, OrderEvent
from shop.refunds.models import Refund
from tests.conftest import log_in
from tests.factories.store import tent_and_stove
from tests.integration.backoffice_helpers import flashes, text_of
from tests.integration.document_helpers import pdf_pages
from tests.integration.order_helpers import buy
from tests.integration.test_order_page import (
    CANADA_POST_TRACKING,
    line_statuses,
    order_page,
    ship,
    start_packing,
)


@pytest.fixture
def store(app):
    return tent_and_stove(tent_stock=3, boxed=False, at_cost=True)


@pytest.fixture
def guest(app):
    return app.test_client()


@pytest.fixture
def split_order(app, store, guest):
    """2 tents allocated and a stove backordered, shipping what is in stock now by
    Expedited (never free, so the shipping refunded or kept shows); paid."""
    return buy(
        app, [(store["tent"], 2), (store["stove"], 1)], email="ann@example.com",
        policy="ship_available_now", service="expedited", client=guest,
    )  # fmt: skip


def fresh(order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def refunds_of(order) -> list[Refund]:
    return list(
        db.session.scalars(sa.select(Refund).where(Refund.order_id == order.id).order_by(Refund.id))
    )


def emails(kind: str) -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == kind)))


def events_of(order) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(OrderEvent.kind)
            .where(OrderEvent.order_id == order.id)
            .order_by(OrderEvent.id)
        )
    )


def quantities(order) -> dict[str, tuple[int, int, int, int]]:
    """SKU -> (allocated, backordered, shipped, cancelled)."""
    return {
        line.sku: (
            line.quantity_allocated,
            line.quantity_backordered,
            line.quantity_shipped,
            line.quantity_cancelled,
        )
        for line in fresh(order).lines
    }


def snapshot(order, *variants):
    """Everything a refused cancellation must leave as it was."""
    order = fresh(order)
    return (
        order.status,
        quantities(order),
        events_of(order),
        [(r.amount, r.status) for r in refunds_of(order)],
        [stock_for(v.id).allocated for v in variants],
        db.session.scalar(sa.select(sa.func.count()).select_from(Invoice)),
        db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)),
    )


def post(client, url, **query):
    response = client.post(url, query_string=query)
    assert response.status_code == 303, text_of(response)
    return text_of(client.get(response.headers["Location"]))


# --- the whole order ------------------------------------------------------------------


def test_cancelling_asks_first_and_a_tap_alone_changes_nothing(app, guest, split_order):
    """The order page's "Cancel the whole order" leads to a question, with what goes back;
    only "Yes, cancel the whole order" cancels. "Keep my order" goes back untouched."""
    page = order_page(guest, split_order)
    link = lxml.html.fromstring(page).xpath('//a[.="Cancel the whole order"]')[0]
    question = lxml.html.fromstring(guest.get(link.get("href")).get_data(as_text=True))
    question = " ".join(question.find(".//main").text_content().split())
    assert f"Cancel order {split_order.number}?" in question
    assert f"You get ${split_order.total / 100:,.2f} back, shipping included" in question
    assert fresh(split_order).status == "paid" and emails("order_cancelled") == []
    tree = lxml.html.fromstring(guest.get(link.get("href")).get_data(as_text=True))
    keep = tree.xpath('//a[.="Keep my order as it is"]')[0].get("href")
    assert urlsplit(keep).path == f"/orders/{split_order.number}"
    form = tree.xpath('//form[.//button[.="Yes, cancel the whole order"]]')[0]
    response = guest.post(form.action, data=dict(form.form_values()))
    assert response.status_code == 303 and fresh(split_order).status == "cancelled"

    rest = lxml.html.fromstring(order_page(guest, split_order)).xpath('//a[@id="cancel-rest"]')
    assert rest == []  # nothing is left to cancel
    assert "can no longer be cancelled" in " ".join(
        flashes(text_of(guest.get(link.get("href"), follow_redirects=True)))
    )


def test_cancelling_the_backordered_rest_asks_first(app, guest, split_order):
    link = lxml.html.fromstring(order_page(guest, split_order)).xpath('//a[@id="cancel-rest"]')[0]
    question = guest.get(link.get("href")).get_data(as_text=True)
    assert f"Cancel the backordered items of order {split_order.number}?" in html.unescape(question)
    assert fresh(split_order).has_backorders
    form = lxml.html.fromstring(question).xpath(
        '//form[.//button[.="Yes, cancel the backordered items"]]'
    )[0]
    assert guest.post(form.action, data=dict(form.form_values())).status_code == 303
    assert not fresh(split_order).has_backorders


def test_the_customer_cancels_the_whole_order_before_it_is_packed(app, store, guest, split_order):
    tent, stove = store["tent"], store["stove"]
    # Someone else waits for a tent: paid later, backordered (3 in stock, 2 are Ann's).
    waiting = buy(app, [(tent, 2)], email="bob@example.com", policy="ship_available_now")
    assert quantities(waiting)["TENT-1"] == (1, 1, 0, 0)
    held = stock_for(tent.id).allocated
    page = order_page(guest, split_order)
    assert "Cancel the whole order" in page

    page = post(guest, f"/orders/{split_order.number}/cancel")
    order = fresh(split_order)
    assert f"Order {order.number} is cancelled. ${order.total / 100:,.2f} is on its way back" in (
        " ".join(flashes(page))
    )
    assert order.status == "cancelled"
    assert quantities(order) == {"TENT-1": (0, 0, 0, 2), "STOVE-1": (0, 0, 0, 1)}
    assert line_statuses(page) == {"TENT-1": "Cancelled", "STOVE-1": "Cancelled"}
    assert "Cancel the whole order" not in page and "cancel the backordered" not in page

    # The released tents: one goes at once to Bob, who waited; the other is free again.
    assert quantities(waiting)["TENT-1"] == (2, 0, 0, 0)
    assert stock_for(tent.id).allocated == held - 2 + 1
    assert stock_for(tent.id).on_hand == movement_total(tent.id) == 3
    assert stock_for(stove.id).allocated == 0
    [told] = emails("backorder_allocated")
    assert told.to_address == "bob@example.com"

    # Everything comes back, shipping included, with a credit note.
    [refund] = refunds_of(order)
    assert (refund.amount, refund.status, refund.reason) == (
        order.total,
        "succeeded",
        "cancellation",
    )
    assert refund.shipping_amount == order.shipping_total
    assert refund.credit_note.total == -order.total
    assert "Refunded" in page and f"Credit note {refund.credit_note.number}" in page

    # One email, with the credit note attached.
    [email] = emails("order_cancelled")
    assert email.to_address == "ann@example.com"
    assert email.subject == f"Order {order.number} is cancelled"
    assert f"We are refunding ${order.total / 100:,.2f} (shipping included)" in email.body_text
    assert "2 x Ridge Tent: Cancelled" in email.body_text
    assert [a.filename for a in email.attachments] == [f"{refund.credit_note.number}.pdf"]
    assert f"See your order: http://shop.test/orders/{order.number}?t=" in email.body_text
    assert not emails("refund_issued")  # not a second email
    kinds = events_of(order)
    assert kinds[-5:] == ["cancelled", "released", "refund_decided", "email", "refund_succeeded"]


def test_the_credit_note_downloads_from_the_order_page(app, guest, split_order):
    post(guest, f"/orders/{split_order.number}/cancel")
    [refund] = refunds_of(split_order)
    number = refund.credit_note.number
    response = guest.get(f"/orders/{split_order.number}/documents/{number}.pdf")
    assert response.status_code == 200
    text = pdf_pages(response.data)[0]
    assert number in text and "Credit note" in text
    xml = guest.get(f"/orders/{split_order.number}/documents/{number}.xml")
    assert xml.status_code == 200 and b"CreditNote" in xml.data


def test_cancelling_after_packing_started_is_refused_and_changes_nothing(
    store, guest, warehouse, split_order
):
    start_packing(warehouse, split_order)
    before = snapshot(split_order, store["tent"], store["stove"])
    page = post(guest, f"/orders/{split_order.number}/cancel")
    [message] = flashes(page)
    assert message.startswith(f"Order {split_order.number} is already being packed (SH-")
    assert "can no longer be cancelled" in message
    assert snapshot(split_order, store["tent"], store["stove"]) == before
    assert "Cancel the whole order" not in page  # the page no longer offers it


def test_cancelling_twice_says_it_is_already_cancelled(store, guest, split_order):
    post(guest, f"/orders/{split_order.number}/cancel")
    before = snapshot(split_order, store["tent"], store["stove"])
    page = post(guest, f"/orders/{split_order.number}/cancel")
    assert flashes(page) == [f"Order {split_order.number} is already cancelled."]
    assert snapshot(split_order, store["tent"], store["stove"]) == before
    assert len(refunds_of(split_order)) == 1


def test_someone_elses_order_cannot_be_cancelled(app, store, split_order, customer):
    before = snapshot(split_order, store["tent"], store["stove"])
    stranger = app.test_client()
    assert stranger.post(f"/orders/{split_order.number}/cancel").status_code == 404
    assert stranger.post(f"/orders/{split_order.number}/cancel-rest").status_code == 404
    assert (
        stranger.post(f"/orders/{split_order.number}/cancel", query_string={"t": "x"}).status_code
        == 404
    )
    assert stranger.get(f"/orders/{split_order.number}/cancel").status_code == 404
    log_in(stranger, customer.email)
    assert stranger.post(f"/orders/{split_order.number}/cancel").status_code == 404
    assert stranger.get(f"/orders/{split_order.number}/cancel-rest").status_code == 404
    assert snapshot(split_order, store["tent"], store["stove"]) == before


def test_the_emailed_link_cancels_from_another_browser(app, split_order):
    other = app.test_client()
    token = split_order.access_token
    page = order_page(other, split_order, t=token)
    assert f'href="/orders/{split_order.number}/cancel?t={token}"' in page
    question = other.get(f"/orders/{split_order.number}/cancel", query_string={"t": token})
    assert f'action="/orders/{split_order.number}/cancel?t={token}"' in question.text
    response = other.post(f"/orders/{split_order.number}/cancel", query_string={"t": token})
    assert response.status_code == 303
    assert f"t={token}" in response.headers["Location"]
    assert fresh(split_order).status == "cancelled"


# --- the backordered rest ("I don't want to wait") ----------------------------------------


def test_cancelling_the_backordered_rest_after_the_rest_shipped(
    app, store, guest, warehouse, split_order
):
    shipment = ship(warehouse, split_order)
    order = fresh(split_order)
    assert order.status == "partially_shipped"
    page = order_page(guest, order)
    assert "I don't want to wait" in page

    page = post(guest, f"/orders/{order.number}/cancel-rest")
    order = fresh(order)
    stove = next(line for line in order.lines if line.sku == "STOVE-1")
    # The stove's goods and tax come back, and the shipping paid for its own parcel: the
    # order paid for two departures and takes one, as an order of the tents alone would.
    [refund] = refunds_of(order)
    saved = order.shipping_total - tents_alone_shipping(app, store)
    assert saved > 0 and refund.shipping_amount == saved
    tax = refund.amount - stove.line_total - saved
    assert tax == round((stove.line_total + saved) * 0.13)
    [(line_id, units)] = [(rl.order_line_id, rl.quantity) for rl in refund.lines]
    assert (line_id, units) == (stove.id, 1)
    assert f"${refund.amount / 100:,.2f} is on its way back to you" in " ".join(flashes(page))
    # Everything left has shipped: the order is shipped.
    assert order.status == "shipped"
    assert quantities(order) == {"TENT-1": (0, 0, 2, 0), "STOVE-1": (0, 0, 0, 1)}
    assert line_statuses(page) == {"TENT-1": "Shipped", "STOVE-1": "Cancelled"}
    assert "I don't want to wait" not in page
    [email] = emails("order_cancelled")
    assert email.subject == f"Order {order.number}: your backordered items are cancelled"
    assert "1 x Camp Stove (SKU STOVE-1)" in email.body_text
    assert f"(with ${saved / 100:,.2f} of shipping before tax: the rest leaves in one parcel)" in (
        email.body_text
    )
    assert f"tracking number {shipment.tracking_number}" in email.body_text
    link = f"Track it: {CANADA_POST_TRACKING}{shipment.tracking_number}"
    assert link in email.body_text
    assert [a.filename for a in email.attachments] == [f"{refund.credit_note.number}.pdf"]
    assert "backorder_cancelled" in events_of(order)


def test_cancelling_the_rest_before_anything_shipped_keeps_the_order_going(
    app, store, guest, split_order
):
    post(guest, f"/orders/{split_order.number}/cancel-rest")
    order = fresh(split_order)
    assert order.status == "paid"  # the tents still ship
    assert quantities(order) == {"TENT-1": (2, 0, 0, 0), "STOVE-1": (0, 0, 0, 1)}
    [refund] = refunds_of(order)
    assert refund.shipping_amount == order.shipping_total - tents_alone_shipping(app, store)


def tents_alone_shipping(app, store) -> int:
    """What another customer pays to have two tents sent by Expedited to the same place."""
    adjust_stock(variant_id=store["tent"].id, quantity=2, reason="adjustment")
    db.session.commit()
    alone = buy(app, [(store["tent"], 2)], email="bo@example.com", service="expedited")
    return alone.shipping_total


def test_an_order_that_shipped_free_is_refunded_without_saying_shipping_included(app, store, guest):
    order = buy(app, [(store["tent"], 1)], email="fay@example.com", client=guest)
    assert order.shipping_total == 0  # Regular Parcel is free over $150.00
    post(guest, f"/orders/{order.number}/cancel")
    [email] = emails("order_cancelled")
    assert f"We are refunding ${order.total / 100:,.2f} to the card" in email.body_text
    assert "shipping" not in email.body_text.split("We are refunding", 1)[1].split(".")[0]
    assert "(shipping included)" not in email.body_html


def test_cancelling_the_rest_twice_says_the_rest_is_already_cancelled(
    app, store, guest, warehouse, split_order
):
    ship(warehouse, split_order)
    post(guest, f"/orders/{split_order.number}/cancel-rest")
    again = post(guest, f"/orders/{split_order.number}/cancel-rest")
    assert flashes(again) == [
        f"The backordered items of order {split_order.number} are already cancelled."
    ]
    assert len(refunds_of(split_order)) == 1


def test_cancelling_the_rest_when_nothing_else_will_ship_cancels_the_order(app, store):
    guest = app.test_client()
    order = buy(
        app, [(store["stove"], 2)], email="cy@example.com", client=guest, service="expedited"
    )
    assert order.shipping_total > 0
    post(guest, f"/orders/{order.number}/cancel-rest")
    order = fresh(order)
    assert order.status == "cancelled"
    [refund] = refunds_of(order)
    assert refund.amount == order.total and refund.shipping_amount == order.shipping_total
    [email] = emails("order_cancelled")
    assert "(shipping included)" in email.body_text


def test_cancelling_the_rest_without_a_backorder_is_refused(app, store):
    guest = app.test_client()
    order = buy(app, [(store["tent"], 1)], email="di@example.com", client=guest)
    before = snapshot(order, store["tent"])
    assert "I don't want to wait" not in order_page(guest, order)
    page = post(guest, f"/orders/{order.number}/cancel-rest")
    assert flashes(page) == [
        f"Nothing of order {order.number} is waiting for stock; there is no backordered rest "
        "to cancel."
    ]
    assert snapshot(order, store["tent"]) == before


def test_an_unpaid_order_cancelled_by_the_customer_gives_its_stock_back_without_a_refund(
    app, store
):
    guest = app.test_client()
    order = buy(app, [(store["tent"], 1)], email="ed@example.com", client=guest, card=None)
    held = stock_for(store["tent"].id).allocated
    post(guest, f"/orders/{order.number}/cancel")
    assert fresh(order).status == "cancelled"
    assert stock_for(store["tent"].id).allocated == held - 1
    assert refunds_of(order) == []
    [email] = emails("order_cancelled")
    assert "refunding" not in email.body_text


def test_units_staff_refunded_by_hand_are_not_refunded_again_on_cancelling(
    app, store, guest, split_order
):
    from shop.refunds import services as refunds

    stove = next(line for line in fresh(split_order).lines if line.sku == "STOVE-1")
    refunds.refund_order(order=fresh(split_order), lines={stove.id: 1}, reason="goodwill")
    db.session.commit()
    page = post(guest, f"/orders/{split_order.number}/cancel-rest")
    assert quantities(split_order)["STOVE-1"] == (0, 0, 0, 1)
    by_hand, cancelled = refunds_of(split_order)
    # The stove is not paid twice: the cancellation gives back only the shipping its own
    # parcel would have cost, and the tax on it.
    assert not cancelled.lines and cancelled.shipping_amount > 0
    assert cancelled.amount == cancelled.shipping_amount + round(cancelled.shipping_amount * 0.13)
    money = f"${cancelled.amount / 100:,.2f}"
    assert flashes(page) == [
        f"The backordered items are cancelled. {money} is on its way back to you."
    ]

    stove_only = buy(app, [(store["stove"], 1)], email="di@example.com", service="expedited")
    refunds.refund_order(order=stove_only, lines={stove_only.lines[0].id: 1}, reason="goodwill")
    db.session.commit()
    post(app.test_client(), f"/orders/{stove_only.number}/cancel-rest", t=stove_only.access_token)
    assert len(refunds_of(stove_only)) == 2  # nothing ships: the shipping comes back
    [email] = [e for e in emails("order_cancelled") if e.to_address == "di@example.com"]
    assert "(shipping included)" in email.body_text
