"""A return from the customer's request to the money back, with the demo provider.

A guest buys two tents, they ship; a customer who ordered earlier waits for one on
backorder. The guest asks to return both (defective), the warehouse authorises it and the
guest downloads the slip (its RMA barcode decodes); the parcel comes back with one tent
resellable and one damaged. The resellable one goes to the waiting customer, the damaged
one is written off; the money goes back through the provider with a credit note; the
books, the stock and the emails agree at each step.
"""

import csv as csv_module
import io
from decimal import Decimal

import lxml.html
import pytest
import sqlalchemy as sa

from shop.accounting import chart
from shop.accounts import roles
from shop.billing.models import Invoice
from shop.extensions import db
from shop.inventory import reasons, valuation
from shop.inventory.models import StockMovement
from shop.inventory.services import movement_total, stock_for
from shop.orders.models import Order, OrderEvent, OrderLine
from shop.refunds import status as refund_status
from shop.refunds.models import Refund
from shop.returns import status as return_status
from shop.returns.models import ReturnRequest
from tests.conftest import log_in
from tests.factories.store import two_person_tent
from tests.integration.backoffice_helpers import flashes
from tests.integration.books_helpers import balances, source_keys_posted_twice, unbalanced_entries
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.document_helpers import barcodes_on_page, pdf_pages
from tests.integration.order_helpers import buy
from tests.integration.returns_helpers import (
    ask_return,
    emails_to,
    order_link,
    page_text,
    requests_of,
    ship_everything,
)

GAIL = "gail@example.com"


@pytest.fixture
def tent(app):
    return two_person_tent(seed_reference_data(), stock=2)


def books_agree() -> None:
    assert sum(balances().values()) == 0  # the trial balance
    assert unbalanced_entries() == [] and source_keys_posted_twice() == []
    assert valuation.inventory_difference() == 0  # inventory account = stock at cost


def stock_agrees(variant) -> None:
    assert stock_for(variant.id).on_hand == movement_total(variant.id)


def test_a_defective_return_is_authorised_received_restocked_scrapped_and_refunded(
    app, tent, warehouse
):
    order = ship_everything(buy(app, [(tent, 2)], email=GAIL, service="expedited"))
    # Two customers wait for a tent now: Olive first, then Walt.
    olive = buy(app, [(tent, 1)], email="olive@example.com")
    walt = buy(app, [(tent, 1)], email="walt@example.com")
    assert [ln.quantity_backordered for o in (olive, walt) for ln in o.lines] == [1, 1]
    stock_agrees(tent)
    books_agree()

    # The guest asks from the order page (the link in her emails).
    guest = app.test_client()
    page = page_text(guest.get(order_link(order)))
    assert "Return items" in page
    asked = ask_return(guest, order, {order.lines[0]: (2, "defective")}, note="Poles snap.")
    assert asked.status_code == 302
    page = page_text(guest.get(asked.headers["Location"]))
    [rr] = requests_of(order)
    assert rr.number == "RMA-2026-000001" and rr.status == return_status.REQUESTED
    assert f"Return {rr.number} requested." in page and "Requested" in page
    assert [m.kind for m in emails_to(GAIL)][-1] == "return_requested"
    slip_url = f"/orders/{order.number}/returns/{rr.number}.pdf?t={order.access_token}"
    assert guest.get(slip_url).status_code == 404  # not before staff authorise it

    # The warehouse authorises it: the slip goes out by email.
    listed = page_text(warehouse.get("/admin/returns?status=requested"))
    assert rr.number in listed and "Does not work" in listed
    response = warehouse.post(
        f"/admin/returns/{rr.number}/authorise", data={"note": "Sorry about the poles."}
    )
    assert response.status_code == 302
    email = emails_to(GAIL)[-1]
    assert email.kind == "return_authorised" and "Sorry about the poles." in email.body_text
    assert [a.filename for a in email.attachments] == [f"{rr.number}.pdf"]

    slip = guest.get(slip_url)
    assert slip.status_code == 200 and slip.mimetype == "application/pdf"
    [text] = pdf_pages(slip.data)
    assert pdf_pages(email.attachments[0].data) == [text]
    for expected in ("Return slip", rr.number, order.number, "Ridge Tent", "TENT-2P",
                     "Does not work", "Poles snap.", "SEND THE PARCEL TO", "1 Front St W",
                     "M5J 2X5"):  # fmt: skip
        assert expected in text, expected
    assert (rr.number, "Code128") in barcodes_on_page(slip.data)
    assert "Return slip" in page_text(guest.get(order_link(order)))

    # The parcel arrives: one tent as good as new, one with its poles snapped.
    line = db.session.get(ReturnRequest, rr.id).lines[0]
    receipt_page = page_text(warehouse.get(f"/admin/returns/{rr.number}"))
    assert "the shipping goes back and no restocking fee is kept" in receipt_page
    before = balances()
    value_before = valuation.stock_value_total()
    response = warehouse.post(
        f"/admin/returns/{rr.number}/receive",
        data={f"resellable_{line.id}": "1", f"damaged_{line.id}": "1",
              "restocking_fee_percent": "0", "refund_shipping": "y"},
        follow_redirects=True,
    )  # fmt: skip
    assert response.status_code == 200, page_text(response)
    [refund] = db.session.scalars(sa.select(Refund)).all()
    credit_note = db.session.get(Invoice, refund.credit_note_id)
    assert flashes(page_text(response)) == [
        f"Return {rr.number} received; the stock is updated and the refund "
        f"(credit note {credit_note.number}) sent to the payment provider."
    ]

    # Stock: both came in at the order's cost, the damaged one went out; the resellable one
    # went to Olive, who waited longest; Walt still waits.
    movements = db.session.scalars(
        sa.select(StockMovement).where(StockMovement.reference == rr.number)
    ).all()
    assert [(m.reason, m.quantity) for m in movements] == [
        (reasons.RETURN, 2),
        (reasons.ADJUSTMENT, -1),
    ]
    assert movements[0].value == 2 * 8000
    stock = stock_for(tent.id)
    assert (stock.on_hand, stock.allocated) == (1, 1)
    assert valuation.stock_value_total() == value_before + 8000
    stock_agrees(tent)
    olive_line = db.session.get(Order, olive.id).lines[0]
    walt_line = db.session.get(Order, walt.id).lines[0]
    assert (olive_line.quantity_allocated, olive_line.quantity_backordered) == (1, 0)
    assert (walt_line.quantity_allocated, walt_line.quantity_backordered) == (0, 1)
    assert [m.kind for m in emails_to("olive@example.com")][-1] == "backorder_allocated"
    returned = db.session.get(OrderLine, order.lines[0].id)
    assert (returned.quantity_shipped, returned.quantity_returned) == (2, 2)

    # The money: both tents, the shipping and their tax, through the demo provider at once.
    order = db.session.get(Order, order.id)
    assert refund.status == refund_status.SUCCEEDED
    assert refund.reason == refund_status.RETURN and refund.return_id == rr.id
    assert order.shipping_total > 0
    assert (refund.restocking_fee, refund.shipping_amount) == (0, order.shipping_total)
    assert refund.amount == order.total
    assert credit_note.kind == "credit_note" and credit_note.total in (order.total, -order.total)
    assert db.session.get(ReturnRequest, rr.id).status == return_status.REFUNDED

    # The books: balanced, inventory = stock at cost, HST payable down by the credit note's tax.
    books_agree()
    after = balances()
    hst = chart.tax_role("HST")
    assert after[hst] - before[hst] == abs(credit_note.tax_total) > 0
    assert after[chart.INVENTORY] - before[chart.INVENTORY] == 8000
    # Both tents undo the cost of their sale; the damaged one is then scrapped to shrinkage.
    assert after[chart.COGS] - before[chart.COGS] == -2 * 8000
    assert after[chart.SHRINKAGE] - before.get(chart.SHRINKAGE, 0) == 8000

    # The customer is told; the order page says refunded; the history has every step.
    last = emails_to(GAIL)[-1]
    assert last.kind == "return_refunded"
    assert [a.filename for a in last.attachments] == [f"{credit_note.number}.pdf"]
    assert "$" in last.body_text and "refunded" in last.body_text
    # Shipping is refunded with its tax; the figure named is before tax, and says so.
    shipping = f"${order.shipping_total / 100:,.2f}"
    assert f"shipping of {shipping} before tax included" in last.body_text
    page = page_text(guest.get(order_link(order)))
    assert "Refunded" in page and "2 received" in page
    status = lxml.html.fromstring(page).xpath('//p[strong[@id="order-status"]]')[0]
    assert " ".join(status.text_content().split()).startswith("Status: Shipped (all returned)")
    kinds = db.session.scalars(
        sa.select(OrderEvent.kind).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
    ).all()
    steps = ["return_requested", "return_authorised", "return_received", "refund_decided",
             "return_refunded"]  # fmt: skip
    assert [k for k in kinds if k in steps] == steps


def test_a_window_of_one_day_reads_one_day(app, tent):
    from shop.store_details.services import store_settings

    order = ship_everything(buy(app, [(tent, 1)], email=GAIL))
    store_settings().return_window_days = 1
    db.session.commit()
    page = page_text(
        app.test_client().get(f"/orders/{order.number}/returns/new?t={order.access_token}")
    )
    assert "You may return shipped items within 1 day of their shipment." in page


def test_a_change_of_mind_keeps_the_restocking_fee_and_the_shipping(app, tent, warehouse, staff):
    owner = app.test_client()
    log_in(owner, staff[roles.OWNER].email)
    page = page_text(owner.get("/admin/store-settings"))
    assert 'name="return_window_days"' in page and 'value="30"' in page
    form = {
        "legal_name": "Maple & Pine", "address": "1 Front St W\nToronto ON  M5J 2X5\nCanada",
        "demo_fee_percent": "2.9", "demo_fee_fixed": "0.30", "return_window_days": "400",
        "restocking_fee_percent": "101",
    }  # fmt: skip
    refused = owner.post("/admin/store-settings", data=form)
    assert refused.status_code == 422
    assert "Enter a whole number from 0 to 365." in page_text(refused)
    assert "Enter a percentage from 0 to 100." in page_text(refused)
    saved = owner.post(
        "/admin/store-settings",
        data=form | {"return_window_days": "14", "restocking_fee_percent": "15"},
    )
    assert saved.status_code == 302
    from shop.store_details.services import store_settings

    settings = store_settings()
    assert (settings.return_window_days, settings.restocking_fee_percent) == (14, Decimal("15"))
    assert settings.refund_shipping_on_return is False

    order = ship_everything(buy(app, [(tent, 2)], email=GAIL, service="expedited"))
    guest = app.test_client()
    assert ask_return(guest, order, {order.lines[0]: (1, "changed_mind")}).status_code == 302
    [rr] = requests_of(order)
    assert warehouse.post(f"/admin/returns/{rr.number}/authorise", data={}).status_code == 302
    page = page_text(warehouse.get(f"/admin/returns/{rr.number}"))
    assert 'value="15"' in page and "a restocking fee of 15 % is kept" in page
    line = rr.lines[0]
    response = warehouse.post(
        f"/admin/returns/{rr.number}/receive",
        data={f"resellable_{line.id}": "1", f"damaged_{line.id}": "0",
              "restocking_fee_percent": "15"},
    )  # fmt: skip
    assert response.status_code == 302, page_text(response)
    refund = db.session.scalar(sa.select(Refund))
    assert refund.shipping_amount == 0 and order.shipping_total > 0
    assert refund.restocking_fee == 3000  # 15 % of one $200 tent
    credit_note = db.session.get(Invoice, refund.credit_note_id)
    # One tent less its fee, with HST on what goes back: (200 - 30) x 1.13
    assert refund.amount == 19210
    assert abs(credit_note.total) == 19210
    books_agree()
    stock_agrees(tent)

    # The returns report, by product and by reason, on the page and as CSV.
    report = page_text(owner.get("/admin/reports/returns"))
    assert "Ridge Tent" in report and "Changed my mind" in report
    csv = owner.get("/admin/reports/returns?format=csv&table=product").get_data(as_text=True)
    rows = list(csv_module.reader(io.StringIO(csv)))
    assert rows[0] == ["Product", "Units asked", "Received resellable", "Received damaged",
                       "Refunded (goods less fees, before tax)"]  # fmt: skip
    assert rows[1] == ["Ridge Tent", "1", "1", "0", "170.00"]
    by_reason = owner.get("/admin/reports/returns?format=csv&table=reason").get_data(as_text=True)
    assert "Changed my mind,1,1,0,170.00" in by_reason


def test_units_staff_already_refunded_by_hand_are_restocked_but_not_paid_twice(
    app, tent, warehouse
):
    from shop.refunds import services as refunds

    order = ship_everything(buy(app, [(tent, 2)], email=GAIL))
    guest = app.test_client()
    assert ask_return(guest, order, {order.lines[0]: (2, "wrong_item")}).status_code == 302
    [rr] = requests_of(order)
    assert warehouse.post(f"/admin/returns/{rr.number}/authorise", data={}).status_code == 302
    # Before the parcel comes, staff refund one tent from the order's page.
    first = refunds.refund_order(
        order=order, lines={order.lines[0].id: 1}, reason=refund_status.GOODWILL, user=None
    )
    db.session.commit()
    refunds.send_refunds([first.id])

    line = db.session.get(ReturnRequest, rr.id).lines[0]
    response = warehouse.post(
        f"/admin/returns/{rr.number}/receive",
        data={f"resellable_{line.id}": "2", f"damaged_{line.id}": "0",
              "restocking_fee_percent": "0"},
    )  # fmt: skip
    assert response.status_code == 302, page_text(response)
    second = db.session.scalars(sa.select(Refund).where(Refund.id != first.id)).one()
    assert [(rl.order_line_id, rl.quantity) for rl in second.lines] == [(order.lines[0].id, 1)]
    assert stock_for(tent.id).on_hand == 2
    books_agree()
    assert db.session.get(ReturnRequest, rr.id).status == return_status.REFUNDED


def test_a_parcel_whose_units_were_all_refunded_is_received_without_a_refund(app, tent, warehouse):
    from shop.refunds import services as refunds

    order = ship_everything(buy(app, [(tent, 1)], email=GAIL))
    rr = _authorised_request(app, order, warehouse)
    refunds.refund_order(
        order=order, lines={order.lines[0].id: 1}, reason=refund_status.GOODWILL, user=None
    )
    db.session.commit()
    line = rr.lines[0]
    response = warehouse.post(
        f"/admin/returns/{rr.number}/receive",
        data={f"resellable_{line.id}": "1", f"damaged_{line.id}": "0",
              "restocking_fee_percent": "0"},
        follow_redirects=True,
    )  # fmt: skip
    assert flashes(page_text(response))[-1] == (
        f"Return {rr.number} received; the stock is updated. Its units were already refunded: "
        "nothing more goes back."
    )
    assert db.session.get(ReturnRequest, rr.id).status == return_status.RECEIVED
    assert db.session.scalar(sa.select(sa.func.count(Refund.id))) == 1
    assert stock_for(tent.id).on_hand == 2  # the one left, and the one back
    assert emails_to(GAIL)[-1].subject == f"Return {rr.number} received"
    books_agree()


def _authorised_request(app, order, warehouse) -> ReturnRequest:
    guest = app.test_client()
    assert ask_return(guest, order, {order.lines[0]: (1, "wrong_item")}).status_code == 302
    rr = requests_of(order)[-1]
    assert warehouse.post(f"/admin/returns/{rr.number}/authorise", data={}).status_code == 302
    return db.session.get(ReturnRequest, rr.id)
