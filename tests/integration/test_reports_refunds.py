"""Refunds and returns in the owner's sales and margin reports: negatives in the period
they happen, the sale left in its own (shop/reports/refunds.py).

Orders are bought through checkout and paid with the demo provider, shipped by the
warehouse's use cases; refunds are made with the refund use case (refunds.refund_order,
refund_amount) and the return with the returns' (request, authorise, receive).

Every scenario runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import lxml.html
import pytest
import sqlalchemy as sa

from shop.accounts import roles
from shop.extensions import db
from shop.orders.models import OrderLine
from shop.refunds import services as refunds
from shop.refunds import status as refund_status
from shop.returns import services as returns
from tests.conftest import log_in
from tests.integration.backoffice_helpers import text_of
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy
from tests.integration.purchasing_helpers import backordered_item
from tests.integration.returns_helpers import ship_everything

PRICE, STOVE_COST, LANTERN_COST = 4900, 1500, 500
MARCH = "period=custom&date_from=2026-03-01&date_to=2026-03-31"
APRIL = "period=custom&date_from=2026-04-01&date_to=2026-04-10"
BOTH = "period=custom&date_from=2026-03-01&date_to=2026-04-10"


def line_of(order, sku) -> OrderLine:
    return db.session.scalar(
        sa.select(OrderLine).where(OrderLine.order_id == order.id, OrderLine.sku == sku)
    )


@pytest.fixture
def shop(app, clock, staff):
    """March 2: Ann buys 3 stoves and a lantern, Ben 2 stoves (shipped March 25). April 10:
    1 of Ann's stoves is cancelled and refunded; Ben's 2 stoves come back (1 resellable,
    1 damaged) and are refunded less a 15% restocking fee; a goodwill refund to Ann fails
    at the provider."""
    classes = seed_reference_data()
    stove = backordered_item(classes, on_hand=10, cost=STOVE_COST)
    lantern = backordered_item(
        classes, name="Storm Lantern", sku="LANTERN-2", on_hand=10, cost=LANTERN_COST
    )
    ann = buy(app, [(stove, 3), (lantern, 1)], email="ann@example.com")
    ben = buy(app, [(stove, 2)], email="ben@example.com")
    clock.shift(timedelta(days=23))  # March 25
    ben = ship_everything(ben)
    clock.shift(timedelta(days=16))  # April 10

    refunds.refund_order(
        order=ann, lines={line_of(ann, "STOVE-9").id: 1},
        reason=refund_status.CANCELLATION, note="Customer cancelled one",
    )  # fmt: skip
    asked = returns.request_return(
        order=ben, lines={line_of(ben, "STOVE-9").id: (2, "changed_mind")}
    )
    returns.authorise_return(request=asked, user=staff["sales"])
    _, with_fee = returns.receive_return(
        request=asked, received={asked.lines[0].id: returns.Receipt(resellable=1, damaged=1)},
        user=staff["warehouse"], restocking_fee_percent=Decimal("15"),
    )  # fmt: skip
    failed = refunds.refund_amount(order=ann, amount=1000, reason=refund_status.GOODWILL)
    failed.status = refund_status.FAILED
    db.session.commit()
    assert with_fee.restocking_fee == 1470  # 15% of 2 x 49.00
    client = app.test_client()
    assert log_in(client, staff[roles.OWNER].email).status_code == 302
    return client


def tile(page: str, label: str) -> str:
    doc = lxml.html.fromstring(page)
    return doc.xpath(f'//li[@data-tile="{label}"]/strong')[0].text_content().strip()


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


REFUNDED = PRICE + (2 * PRICE - 1470)  # goods given back, the fee kept


def test_the_sale_stays_in_its_period_and_the_refunds_come_off_theirs(shop):
    march = text_of(shop.get(f"/admin/reports/sales?{MARCH}"))
    assert tile(march, "Revenue") == "$294.00"  # 6 x 49.00, as sold
    assert tile(march, "Units sold") == "6"
    assert tile(march, "Refunded") == "$0.00"

    april = text_of(shop.get(f"/admin/reports/sales?{APRIL}"))
    assert tile(april, "Revenue") == "-$132.30"  # 49.00 + (98.00 - 14.70 fee kept)
    assert tile(april, "Refunded") == "$132.30"  # the failed goodwill refund gave nothing
    assert tile(april, "Units sold") == "-3"


def test_a_period_with_sales_and_refunds_shows_net_sales_and_margin(shop):
    page = text_of(shop.get(f"/admin/reports/sales?{BOTH}"))
    net = 6 * PRICE - REFUNDED
    assert tile(page, "Revenue") == "$161.70"
    assert net == 16170
    # Cost: 3 + 2 stoves and a lantern sold; 1 stove never left, 1 came back resellable
    # (the damaged one stays a cost).
    cost = 5 * STOVE_COST + LANTERN_COST - 2 * STOVE_COST
    assert tile(page, "Gross margin") == f"${(net - cost) / 100:,.2f}"

    # Over time per month, as the CSV has it: March as sold, April the refunds.
    rows = csv_rows(shop.get(f"/admin/reports/sales?{BOTH}&grain=month&format=csv&table=time"))
    assert rows[1][1:] == ["2", "6", "294.00"]
    assert rows[2][1:] == ["0", "-3", "-132.30"]
    assert rows[-1][1:] == ["2", "3", "161.70"]

    # The margin by product: the stove net of its refunds and of the units back in stock.
    rows = csv_rows(shop.get(f"/admin/reports/margin?{BOTH}&group=product&format=csv"))
    by_name = {row[0]: row[1:] for row in rows[1:]}
    assert by_name["Trail Stove"][:4] == ["2", "112.70", "45.00", "67.70"]
    assert by_name["Storm Lantern"][:4] == ["1", "49.00", "5.00", "44.00"]

    # The same by category and by province add up to the headline figure.
    rows = csv_rows(shop.get(f"/admin/reports/sales?{BOTH}&group=province&format=csv"))
    assert rows[-1][:4] == ["Total", "3", "2", "161.70"]


def test_a_refund_of_a_sale_made_before_the_period_shows_as_a_negative_row(shop):
    rows = csv_rows(shop.get(f"/admin/reports/margin?{APRIL}&group=product&format=csv"))
    assert rows[1][:5] == ["Trail Stove", "-3", "-132.30", "-30.00", "-102.30"]
    assert len(rows) == 2  # the lantern had nothing in April


def test_the_filters_narrow_the_refunds_like_the_sales(shop):
    counter = text_of(shop.get(f"/admin/reports/sales?{APRIL}&channel=counter"))
    assert tile(counter, "Revenue") == "$0.00"  # the refunds were of web orders
    web = text_of(shop.get(f"/admin/reports/sales?{APRIL}&channel=web"))
    assert tile(web, "Revenue") == "-$132.30"
