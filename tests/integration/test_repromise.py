"""When a promise slips: a purchase order's expected date moves later (edited in the back
office, or the supplier is late) and every backorder waiting for it gets the new date,
the same on every page, with one email per affected order.

Every scenario runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.backorders import purchase_orders
from shop.backorders.repromise import repromise_late
from shop.clock import store_today
from shop.extensions import db
from shop.formatting import local_date
from shop.order_history import event_text
from shop.orders.models import OrderEvent, OrderLine
from shop.purchasing import services as purchasing
from shop.purchasing.models import PurchaseOrder
from tests.conftest import log_in
from tests.integration.backoffice_helpers import flashes, text_of
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy
from tests.integration.purchasing_helpers import backordered_item, mails, sent_po

HANDLING = 2


@pytest.fixture
def classes(app):
    return seed_reference_data()


@pytest.fixture
def stove(classes):
    return backordered_item(classes)


@pytest.fixture
def lantern(classes):
    return backordered_item(classes, name="Storm Lantern", sku="LANTERN-2")


def line_of(order, variant) -> OrderLine:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(OrderLine).where(
            OrderLine.order_id == order.id, OrderLine.variant_id == variant.id
        )
    )


def history(order, kind: str) -> list[str]:
    """The sentences the order page shows for the order's events of this kind."""
    return [
        event_text(e)
        for e in db.session.scalars(
            sa.select(OrderEvent)
            .where(OrderEvent.order_id == order.id, OrderEvent.kind == kind)
            .order_by(OrderEvent.id)
        )
    ]


def delayed_mails(to: str | None = None):
    found = mails("backorder_delayed")
    return [m for m in found if to is None or m.to_address == to]


def edit_po(app, staff, po, expected, note=""):
    """A buyer changes the purchase order's expected date in the back office."""
    client = app.test_client()
    log_in(client, staff["warehouse"].email)
    response = client.post(
        f"/admin/purchase-orders/{po.id}/edit",
        data={"expected_date": expected.isoformat() if expected else "", "note": note},
        follow_redirects=True,
    )
    assert response.status_code == 200
    return text_of(response)


def order_page(app, order) -> str:
    return text_of(app.test_client().get(f"/orders/{order.number}?t={order.access_token}"))


def ships_about(day) -> str:
    return f"ships about {local_date(day)}"


def test_a_later_po_date_re_dates_the_backorder_everywhere_and_emails_once(app, stove, staff):
    today = store_today()
    order = buy(app, [(stove, 2)], email="ann@example.com", full_name="Ann Avery")
    po = sent_po(stove, 5, expected=today + timedelta(days=4))
    old = today + timedelta(days=4 + HANDLING)
    assert line_of(order, stove).expected_ship_date == old
    assert ships_about(old) in order_page(app, order)

    page = edit_po(app, staff, po, today + timedelta(days=15), note="Supplier: container late")
    new = today + timedelta(days=15 + HANDLING)

    assert f"{po.number} saved. 1 order re-dated, 1 customer emailed." in flashes(page)
    assert line_of(order, stove).expected_ship_date == new
    # The customer's order page and a new customer's product page and cart say the same.
    shown = order_page(app, order)
    assert ships_about(new) in shown and ships_about(old) not in shown
    product = text_of(app.test_client().get(f"/p/{stove.product.slug}"))
    assert f"Out of stock - ships in about {(new - today).days} days" in product

    [mail] = delayed_mails()
    assert mail.to_address == "ann@example.com"
    assert order.number in mail.subject
    body = mail.body_text
    assert "2 x Trail Stove (SKU STOVE-9)" in body
    assert f"was expected to ship about {local_date(old)}; now about {local_date(new)}" in body
    link = f"http://shop.test/orders/{order.number}?t={order.access_token}#cancel-rest"
    assert link in body
    assert f'href="{link}"' in mail.body_html
    assert local_date(old) in mail.body_html and local_date(new) in mail.body_html
    [event] = history(order, "backorder_delayed")
    assert f"2 x STOVE-9 from {local_date(old)} to {local_date(new)}" in event
    who = db.session.scalar(
        sa.select(OrderEvent.user_id).where(OrderEvent.kind == "backorder_delayed")
    )
    assert who == staff["warehouse"].id
    # Staff see it on the order's history in the back office.
    staff_page = app.test_client()
    log_in(staff_page, staff["sales"].email)
    shown = text_of(staff_page.get(f"/admin/orders/{order.number}"))
    assert f"Expected ship date moved later: 2 x STOVE-9 from {local_date(old)}" in shown

    # The same later date again, then only the note: nobody is told twice.
    edit_po(app, staff, po, today + timedelta(days=15), note="Supplier: container late")
    edit_po(app, staff, po, today + timedelta(days=15), note="Called them again")
    assert len(delayed_mails()) == 1
    assert len(history(order, "backorder_delayed")) == 1
    db.session.expire_all()
    assert db.session.get(PurchaseOrder, po.id).note == "Called them again"


def test_an_earlier_date_moves_the_backorder_quietly(app, stove, staff):
    today = store_today()
    order = buy(app, [(stove, 1)])
    po = sent_po(stove, 3, expected=today + timedelta(days=9))

    page = edit_po(app, staff, po, today + timedelta(days=3))

    new = today + timedelta(days=3 + HANDLING)
    assert f"{po.number} saved. 1 order re-dated, 0 customers emailed." in flashes(page)
    assert line_of(order, stove).expected_ship_date == new
    assert ships_about(new) in order_page(app, order)
    assert delayed_mails() == []
    [event] = history(order, "backorder_sooner")
    assert f"1 x STOVE-9 from {local_date(today + timedelta(days=9 + HANDLING))}" in event


def test_the_same_date_or_only_the_note_changes_nothing(app, stove, staff):
    today = store_today()
    order = buy(app, [(stove, 1)])
    po = sent_po(stove, 3, expected=today + timedelta(days=6))
    before = line_of(order, stove).expected_ship_date

    page = edit_po(app, staff, po, today + timedelta(days=6), note="Confirmed by phone")
    assert f"{po.number} saved." in flashes(page)

    assert line_of(order, stove).expected_ship_date == before
    assert delayed_mails() == []
    assert history(order, "backorder_delayed") == history(order, "backorder_sooner") == []


def test_two_orders_one_po_each_customer_gets_one_email(app, stove, staff):
    today = store_today()
    first = buy(app, [(stove, 2)], email="first@example.com")
    second = buy(app, [(stove, 1)], email="second@example.com")
    po = sent_po(stove, 6, expected=today + timedelta(days=5))

    edit_po(app, staff, po, today + timedelta(days=20))

    new = today + timedelta(days=20 + HANDLING)
    assert line_of(first, stove).expected_ship_date == new
    assert line_of(second, stove).expected_ship_date == new
    assert [m.to_address for m in delayed_mails()] == ["first@example.com", "second@example.com"]
    assert "2 x Trail Stove" in delayed_mails("first@example.com")[0].body_text
    assert "1 x Trail Stove" in delayed_mails("second@example.com")[0].body_text


def test_one_order_two_lines_on_one_po_get_one_email_naming_both(app, stove, lantern, staff):
    today = store_today()
    order = buy(app, [(stove, 1), (lantern, 3)], email="both@example.com")
    po = purchasing.create_purchase_order(
        supplier_id=stove.stock.supplier_id, user=None, expected_date=today + timedelta(days=4)
    )
    purchasing.add_line(po=po, sku=stove.sku, quantity=2, unit_cost=1500)
    purchasing.add_line(po=po, sku=lantern.sku, quantity=5, unit_cost=900)
    purchase_orders.send_purchase_order(po=po, user=None)
    db.session.commit()

    edit_po(app, staff, po, today + timedelta(days=11))

    [mail] = delayed_mails()
    new, old = today + timedelta(days=11 + HANDLING), today + timedelta(days=4 + HANDLING)
    for text in ("1 x Trail Stove (SKU STOVE-9)", "3 x Storm Lantern (SKU LANTERN-2)"):
        assert text in mail.body_text
    assert mail.body_text.count(f"now about {local_date(new)}") == 2
    assert local_date(old) in mail.body_text
    [event] = history(order, "backorder_delayed")
    assert "STOVE-9" in event and "LANTERN-2" in event


def test_allocated_shipped_and_cancelled_lines_are_not_touched(app, classes, staff):
    today = store_today()
    stove = backordered_item(classes, on_hand=1)
    allocated = buy(app, [(stove, 1)], email="lucky@example.com")  # the one unit in stock
    waiting = buy(app, [(stove, 1)], email="waiting@example.com")
    po = sent_po(stove, 4, expected=today + timedelta(days=3))
    kept = line_of(allocated, stove).expected_ship_date

    edit_po(app, staff, po, today + timedelta(days=12))

    assert line_of(allocated, stove).expected_ship_date == kept
    assert line_of(waiting, stove).expected_ship_date == today + timedelta(days=12 + HANDLING)
    assert [m.to_address for m in delayed_mails()] == ["waiting@example.com"]
    assert history(allocated, "backorder_delayed") == []


def test_a_late_supplier_moves_the_dates_and_tells_each_customer_once(app, stove, clock):
    today = store_today()
    order = buy(app, [(stove, 2)], email="late@example.com")
    po = sent_po(stove, 4, expected=today + timedelta(days=3))
    promised = today + timedelta(days=3 + HANDLING)

    assert repromise_late().told == []  # not late yet: nothing moves
    db.session.commit()
    clock.shift(timedelta(days=3))
    assert repromise_late().told == []  # due today: still not late
    db.session.commit()

    clock.shift(timedelta(days=1))  # the day after it was due, nothing has come
    result = app.test_cli_runner().invoke(args=["backorders", "repromise"])
    assert result.exit_code == 0, result.output
    late_day = today + timedelta(days=4)
    grace = app.config["LATE_DELIVERY_GRACE_DAYS"]
    new = late_day + timedelta(days=grace + HANDLING)
    assert po.number in result.output and "1 order re-dated, 1 customer emailed" in result.output

    db.session.expire_all()
    assert db.session.get(PurchaseOrder, po.id).expected_date == late_day + timedelta(days=grace)
    assert line_of(order, stove).expected_ship_date == new
    assert ships_about(new) in order_page(app, order)
    [mail] = delayed_mails()
    assert f"was expected to ship about {local_date(promised)}; now about {local_date(new)}" in (
        mail.body_text
    )
    assert "has not arrived on time" in mail.body_text
    # The history keeps why as a code (French is coming) and the page reads the sentence.
    [event] = db.session.scalars(
        sa.select(OrderEvent).where(OrderEvent.kind == "backorder_delayed")
    )
    assert event.params["why"] == "supplier_late"
    assert "has not arrived on time" in event_text(event)

    # The job runs again the same day (and the morning report runs it too): nothing new.
    again = app.test_cli_runner().invoke(args=["backorders", "repromise"])
    assert again.exit_code == 0 and again.output.strip() == "no late purchase order"
    app.test_cli_runner().invoke(args=["backorders", "report"])
    assert len(delayed_mails()) == 1

    # A week later it still has not come: moved again, told again.
    clock.shift(timedelta(days=grace + 1))
    repromise_late()
    db.session.commit()
    assert len(delayed_mails()) == 2


def test_a_cancelled_purchase_order_tells_its_customers(app, stove, staff):
    today = store_today()
    order = buy(app, [(stove, 1)], email="cancel@example.com")
    po = sent_po(stove, 2, expected=today + timedelta(days=2))
    purchase_orders.cancel_purchase_order(po=po, user=staff["warehouse"])
    db.session.commit()
    assert line_of(order, stove).expected_ship_date == today + timedelta(days=10 + HANDLING)
    [mail] = delayed_mails()
    assert "will not come" in mail.body_text


def test_an_overdue_lead_time_promise_gets_a_new_date(app, stove, clock):
    today = store_today()
    order = buy(app, [(stove, 1)], email="nopo@example.com")  # no purchase order at all
    assert line_of(order, stove).expected_ship_date == today + timedelta(days=10 + HANDLING)
    clock.shift(timedelta(days=13))
    repromise_late()
    db.session.commit()
    assert line_of(order, stove).expected_ship_date == today + timedelta(days=13 + 10 + HANDLING)
    [mail] = delayed_mails()
    assert re.search(r"now about \w+ \d+, \d{4}", mail.body_text)
