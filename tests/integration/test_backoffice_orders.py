"""Staff find orders, read one in full, and cancel one that has shipped nothing."""

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from shop.accounts import roles
from shop.extensions import db
from shop.inventory.services import stock_for
from shop.orders.models import Order, OrderEvent
from tests.conftest import log_in
from tests.factories.store import tent_and_stove
from tests.integration.backoffice_helpers import errors_beside, flashes, text_of
from tests.integration.order_helpers import buy


@pytest.fixture
def store(app):
    return tent_and_stove()


@pytest.fixture
def orders(app, store):
    """Paid in stock; paid with the stove backordered; waiting for payment."""
    return {
        "paid": buy(app, [(store["tent"], 1)], email="ann@example.com"),
        "backordered": buy(
            app,
            [(store["tent"], 1), (store["stove"], 2)],
            email="bob@example.com",
            policy="ship_available_now",
        ),  # fmt: skip
        "unpaid": buy(app, [(store["tent"], 1)], email="cat@example.com", card=None),
    }


def logged_in(app, staff, role):
    client = app.test_client()
    log_in(client, staff[role].email)
    return client


@pytest.fixture
def sales(app, staff):
    return logged_in(app, staff, roles.SALES)


def listed(client, query="") -> list[str]:
    response = client.get(f"/admin/orders{query}")
    assert response.status_code == 200
    body = text_of(response)
    body = body[body.index("<tbody>") : body.index("</tbody>")]
    return re.findall(r'href="/admin/orders/([A-Z0-9]+)"', body)


def rows_of(page: str, table_class: str) -> list[list[str]]:
    table = re.search(rf'<table class="{table_class}">(.*?)</table>', page, re.S).group(1)
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
            for r in rows]  # fmt: skip


def allocated(variant) -> int:
    return stock_for(variant.id).allocated


def events_of(order) -> list[tuple[str, int | None]]:
    rows = db.session.execute(
        sa.select(OrderEvent.kind, OrderEvent.user_id)
        .where(OrderEvent.order_id == order.id)
        .order_by(OrderEvent.id)
    )
    return [tuple(r) for r in rows]


# --- the list --------------------------------------------------------------------


def test_the_list_shows_every_order_newest_first_with_status_total_and_badge(sales, orders):
    numbers = [orders[k].number for k in ("unpaid", "backordered", "paid")]
    assert listed(sales) == numbers
    page = text_of(sales.get("/admin/orders"))
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    assert "cat@example.com" in rows[0] and "Waiting for payment" in rows[0]
    assert "Backordered" not in rows[0] and "Backordered" not in rows[2]
    assert "bob@example.com" in rows[1] and "Paid" in rows[1] and "Backordered" in rows[1]
    paid = orders["paid"]
    assert f"${paid.total / 100:,.2f}" in rows[2]


def test_filters_by_status_backorders_and_search(sales, orders):
    assert listed(sales, "?status=paid") == [orders["backordered"].number, orders["paid"].number]
    assert listed(sales, "?status=pending_payment") == [orders["unpaid"].number]
    assert listed(sales, "?status=cancelled") == []
    assert listed(sales, "?backordered=y") == [orders["backordered"].number]
    assert listed(sales, "?q=BOB%40example") == [orders["backordered"].number]
    assert listed(sales, f"?q={orders['paid'].number.lower()}") == [orders["paid"].number]
    assert listed(sales, "?q=example.com&status=paid&backordered=y") == [
        orders["backordered"].number
    ]
    assert listed(sales, "?q=nobody") == []


def test_dates_are_days_in_the_store_time_zone(sales, orders):
    # 04:30 UTC on 10 January is 23:30 on 9 January in Toronto.
    db.session.execute(
        sa.update(Order)
        .where(Order.id == orders["paid"].id)
        .values(created_at=datetime(2026, 1, 10, 4, 30, tzinfo=UTC))
    )
    db.session.execute(
        sa.update(Order)
        .where(Order.id == orders["unpaid"].id)
        .values(created_at=datetime(2026, 1, 10, 5, 30, tzinfo=UTC))
    )
    db.session.commit()
    assert listed(sales, "?placed_from=2026-01-09&placed_to=2026-01-09") == [orders["paid"].number]
    assert listed(sales, "?placed_from=2026-01-10&placed_to=2026-01-10") == [
        orders["unpaid"].number
    ]
    assert listed(sales, "?placed_to=2026-01-10") == [
        orders["unpaid"].number,
        orders["paid"].number,
    ]
    assert listed(sales, "?placed_from=2026-01-11") == [orders["backordered"].number]


def test_a_bad_filter_gets_a_message_and_is_left_out(sales, orders):
    page = text_of(sales.get("/admin/orders?placed_from=31/01/2026&status=lost"))
    assert errors_beside(page, "placed_from") == ["Enter a date like 2026-03-31."]
    assert errors_beside(page, "status") == ["Choose a status from the list."]
    assert len(listed(sales, "?placed_from=31/01/2026&status=lost")) == 3
    page = text_of(sales.get("/admin/orders?placed_from=2026-02-02&placed_to=2026-02-01"))
    assert errors_beside(page, "placed_to") == ["Choose a day on or after the first day."]


def test_the_list_pages_and_keeps_its_filters(app, sales, store, monkeypatch):
    monkeypatch.setattr("shop.orders.queries.LIST_PER_PAGE", 2)
    for n in range(3):
        buy(app, [(store["tent"], 1)], email=f"page{n}@example.com")
    buy(app, [(store["tent"], 1)], email="other@example.com")
    first = text_of(sales.get("/admin/orders?q=page&status=paid"))
    assert len(listed(sales, "?q=page&status=paid")) == 2
    assert "Page 1 of 2" in first
    assert "page=2" in first and "q=page" in first and "status=paid" in first
    assert len(listed(sales, "?q=page&status=paid&page=2")) == 1
    assert len(listed(sales, "?q=page&status=paid&page=0")) == 2  # the first page
    assert sales.get("/admin/orders?page=999999999999999999").status_code == 404


def test_the_list_makes_no_query_per_order(app, sales, store):
    statements = []

    def listen(*args):
        statements.append(args)

    def queries_for_list() -> int:
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", listen)
        try:
            assert sales.get("/admin/orders").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listen)
        return len(statements)

    buy(app, [(store["tent"], 1)])
    few = queries_for_list()
    buy(app, [(store["tent"], 1), (store["stove"], 1)])
    buy(app, [(store["stove"], 1)], card=None)
    assert queries_for_list() == few


# --- one order -------------------------------------------------------------------


def test_the_order_page_shows_lines_allocations_backorders_taxes_payments_and_history(
    sales, orders
):
    order = orders["backordered"]
    page = text_of(sales.get(f"/admin/orders/{order.number}"))
    assert "Gail Guest" in page and "100 Queen St W" in page and "Toronto ON  M5H 2N2" in page
    assert "Ship what is in stock now, the rest when it arrives" in page
    assert "Canada Post Regular Parcel" in page
    lines = {row[0]: row for row in rows_of(page, "order-lines")}
    stove = next(line for line in order.lines if line.sku == "STOVE-1")
    assert lines["TENT-1"][2:7] == ["1", "$349.00", "1", "0", "0"]
    assert lines["TENT-1"][7] == ""
    assert lines["STOVE-1"][2:7] == ["2", "$89.00", "0", "2", "0"]
    assert lines["STOVE-1"][7] != "" and str(stove.expected_ship_date.year) in lines["STOVE-1"][7]
    [tax] = order.taxes
    assert f"HST 13% on ${tax.taxable / 100:,.2f}" in page
    assert f"${tax.amount / 100:,.2f}" in page
    assert f"${order.total / 100:,.2f}" in page
    payments = re.search(r"<h2>Payments</h2>(.*?)</table>", page, re.S).group(1)
    assert "demo" in payments and "Visa ending 4242 (demo)" in payments and "succeeded" in payments
    history = rows_of(page, "history")
    kinds = [row[1] for row in history]
    assert kinds[0] == "placed" and kinds.index("paid") < kinds.index("email")
    assert "Order placed (ship what is in stock now" in history[0][2]
    assert "2 units backordered" in history[0][2]
    paid = history[kinds.index("paid")][2]
    assert paid.startswith(f"Payment of ${order.total / 100:,.2f} received through demo")
    assert all(row[0] for row in history)  # each says when
    assert all(row[3] == "System" for row in history)


def test_an_unknown_order_number_is_not_found(sales, orders):
    assert sales.get("/admin/orders/MP99999").status_code == 404
    assert sales.get("/admin/orders/" + "X" * 300).status_code == 404


# --- cancelling ------------------------------------------------------------------


def test_cancelling_an_unpaid_order_releases_its_stock_and_says_who(sales, staff, store, orders):
    order = orders["unpaid"]
    before = allocated(store["tent"])
    response = sales.post(
        f"/admin/orders/{order.number}/cancel", data={"reason": "Customer phoned"},
        follow_redirects=True,
    )  # fmt: skip
    page = text_of(response)
    assert f"Order {order.number} cancelled; its stock allocation is released." in flashes(page)
    assert "refund" not in " ".join(flashes(page))
    db.session.refresh(order)
    assert order.status == "cancelled"
    assert allocated(store["tent"]) == before - 1
    assert all(line.quantity_allocated == 0 for line in order.lines)
    assert events_of(order)[-2:] == [("cancelled", staff[roles.SALES].id), ("released", None)]
    history = rows_of(page, "history")
    assert ["cancelled", "Order cancelled: Customer phoned.", staff[roles.SALES].name] in [
        row[1:] for row in history
    ]
    assert "Cancel order" not in page


def test_cancelling_a_paid_order_refunds_it_with_a_credit_note_and_an_email(sales, store, orders):
    from shop.notifications.models import OutboxMessage
    from shop.refunds.models import Refund

    order = orders["backordered"]
    before = allocated(store["tent"])
    page = text_of(sales.post(f"/admin/orders/{order.number}/cancel", follow_redirects=True))
    [message] = flashes(page)
    assert message.startswith(f"Order {order.number} cancelled")
    # Before: "refund the payment in the payment provider; the shop has not refunded it".
    assert f"${order.total / 100:,.2f} is refunded through demo (credit note CN-" in message
    db.session.refresh(order)
    assert order.status == "cancelled"
    assert allocated(store["tent"]) == before - 1
    assert [
        (line.quantity_allocated, line.quantity_backordered, line.quantity_cancelled)
        for line in order.lines
    ] == [(0, 0, 1), (0, 0, 2)]
    [refund] = db.session.scalars(sa.select(Refund).where(Refund.order_id == order.id)).all()
    assert (refund.amount, refund.status, refund.reason) == (
        order.total,
        "succeeded",
        "cancellation",
    )
    assert refund.shipping_amount == order.shipping_total
    [email] = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "order_cancelled")
    ).all()
    assert email.to_address == "bob@example.com"
    assert [a.filename for a in email.attachments] == [f"{refund.credit_note.number}.pdf"]
    assert f"We have cancelled your order {order.number}." in email.body_text
    assert "as you asked" not in email.body_text
    assert f"We are refunding ${order.total / 100:,.2f}" in email.body_text
    kinds = [e.kind for e in db.session.scalars(
        sa.select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
    )]  # fmt: skip
    assert kinds[-5:] == ["cancelled", "released", "refund_decided", "email", "refund_succeeded"]


def cancel_refused(client, order, message):
    before = events_of(order)
    response = client.post(f"/admin/orders/{order.number}/cancel")
    assert response.status_code == 422
    assert message in flashes(text_of(response))
    assert events_of(order) == before


def test_a_cancelled_order_cannot_be_cancelled_again(sales, store, orders):
    order = orders["unpaid"]
    sales.post(f"/admin/orders/{order.number}/cancel")
    held = allocated(store["tent"])
    cancel_refused(
        sales, order,
        f"Order {order.number} is cancelled; only an order waiting for payment or paid can be "
        "cancelled.",
    )  # fmt: skip
    assert allocated(store["tent"]) == held


def test_a_shipped_or_partly_shipped_order_cannot_be_cancelled(sales, store, orders):
    order = orders["backordered"]
    tent_line = next(line for line in order.lines if line.sku == "TENT-1")
    tent_line.quantity_allocated, tent_line.quantity_shipped = 0, 1
    db.session.commit()
    held = allocated(store["tent"])
    cancel_refused(
        sales, order,
        f"Part of order {order.number} has shipped; it can no longer be cancelled.",
    )  # fmt: skip
    db.session.refresh(order)
    assert order.status == "paid" and allocated(store["tent"]) == held

    shipped = orders["paid"]
    shipped.status = "shipped"
    shipped.lines[0].quantity_allocated, shipped.lines[0].quantity_shipped = 0, 1
    db.session.commit()
    cancel_refused(
        sales, shipped,
        f"Order {shipped.number} is shipped; only an order waiting for payment or paid can be "
        "cancelled.",
    )  # fmt: skip
    assert "Cancel order" not in text_of(sales.get(f"/admin/orders/{shipped.number}"))


def test_an_over_long_reason_is_refused_and_nothing_changes(sales, orders):
    order = orders["unpaid"]
    response = sales.post(f"/admin/orders/{order.number}/cancel", data={"reason": "r" * 201})
    assert response.status_code == 422
    assert errors_beside(text_of(response), "reason") == ["Use at most 200 characters."]
    db.session.refresh(order)
    assert order.status == "pending_payment"


@pytest.mark.parametrize("role", [roles.WAREHOUSE, roles.BOOKKEEPER])
def test_warehouse_and_bookkeeper_read_orders_but_cannot_cancel(app, staff, orders, role):
    client = logged_in(app, staff, role)
    order = orders["unpaid"]
    page = text_of(client.get(f"/admin/orders/{order.number}"))
    assert order.number in page and "Cancel order" not in page
    assert client.post(f"/admin/orders/{order.number}/cancel").status_code == 403
    db.session.refresh(order)
    assert order.status == "pending_payment"
