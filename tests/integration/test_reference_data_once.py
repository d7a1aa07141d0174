"""Reference data (rate tables, the chart of accounts, the store's details) is read once per
transaction, and a change to it is seen at once, in that transaction and after it."""

from datetime import date

import pytest
import sqlalchemy as sa

from shop.accounting import services as books
from shop.accounting.models import Account
from shop.extensions import db
from shop.orders.models import Order
from shop.shipping.models import Box, ShippingRate, ShippingService
from shop.shipping.packing import Unit
from shop.shipping.rates import Shipment, box_specs, quote_services, zone_for
from tests.factories.store import seed_reference_data, tent_and_stove
from tests.integration.checkout_helpers import ADDRESS
from tests.integration.one_page_helpers import place_from_page, update

MUG = Unit(variant_id=1, length_mm=300, width_mm=200, height_mm=50, weight_g=400)


def regular_price() -> int:
    """What Regular Parcel asks for one mug to downtown Toronto, in cents."""
    toronto = zone_for(country="CA", province="ON", postal_code="M5H 2N2")
    quotes = quote_services(zone=toronto, shipments=[Shipment([MUG], None)], goods_total=2500)
    return next(q.price for q in quotes if q.service.code == "regular")


def regular_rates():
    regular = sa.select(ShippingService.id).where(ShippingService.code == "regular")
    return sa.select(ShippingRate).where(ShippingRate.service_id == regular.scalar_subquery())


@pytest.fixture
def reference(app):
    seed_reference_data()


def test_a_rate_changed_by_the_orm_is_quoted_at_once_in_the_same_transaction(reference):
    before = regular_price()
    for rate in db.session.scalars(regular_rates()):
        rate.price += 1000
    assert regular_price() == before + 1000  # the flush forgot what was read


def test_a_rate_changed_by_a_statement_is_quoted_at_once_in_the_same_transaction(reference):
    before = regular_price()
    regular = sa.select(ShippingService.id).where(ShippingService.code == "regular")
    db.session.execute(
        sa.update(ShippingRate)
        .where(ShippingRate.service_id == regular.scalar_subquery())
        .values(price=ShippingRate.price + 500)
    )
    assert regular_price() == before + 500


def test_a_rate_changed_elsewhere_is_quoted_in_the_next_transaction(app, reference):
    before = regular_price()
    db.session.commit()
    with app.app_context():  # another request: its own session and transaction
        for rate in db.session.scalars(regular_rates()):
            rate.price += 250
        db.session.commit()
    assert regular_price() == before + 250


def cat_food(code: str, key: str):
    return books.post_entry(
        source_type="manual",
        source_key=key,
        on=date(2026, 12, 1),
        description="Cat food",
        lines=[books.Line(code, debit=1200), books.Line("1000", credit=1200)],
    )


def test_a_new_account_takes_entries_in_the_transaction_it_was_added(app):
    books.seed_chart()
    cat_food("5000", "manual:first")  # the chart is read for this entry
    books.create_account(code="6150", name="Shop cat", type="expense")
    entry = cat_food("6150", "manual:cat-food")
    assert {line.account.name for line in entry.lines} == {"Shop cat", "Bank"}


def shipping_reads(statements: list[str]) -> dict[str, int]:
    tables = ("shipping_rates", "zone_regions", "shipping_services", "boxes")
    return {t: sum(f"FROM {t} " in s for s in statements) for t in tables}


@pytest.fixture
def statements(app):
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(db.engine, "before_cursor_execute", record)


def test_re_pricing_and_placing_read_each_rate_table_once(client, statements):
    store = tent_and_stove()
    client.post("/cart/add", data={"variant_id": str(store["tent"].id), "quantity": "1"})
    statements.clear()
    page = client.post(
        "/checkout/", data={**ADDRESS, "action": "update"}, headers={"X-Requested-With": "reprice"}
    ).get_data(as_text=True)
    assert "Canada Post Regular Parcel" in page
    assert shipping_reads(statements) == dict.fromkeys(shipping_reads([]), 1)
    statements.clear()
    assert place_from_page(client, page).status_code == 303
    assert shipping_reads(statements) == dict.fromkeys(shipping_reads([]), 1)


def test_a_refused_order_keeps_the_new_address_typed_with_it(client):
    """Placing is undone alone: the address typed with "Place order and pay" stays."""
    store = tent_and_stove()
    client.post("/cart/add", data={"variant_id": str(store["tent"].id), "quantity": "1"})
    update(client)
    page = client.get("/checkout/").get_data(as_text=True)
    moved = {"line1": "1 Yonge St", "postal_code": "M5E 1E5"}
    response = place_from_page(client, page, reviewed="0" * 32, **moved)
    assert response.headers["Location"] == "/checkout/"
    again = client.get("/checkout/").get_data(as_text=True)
    assert 'value="1 Yonge St"' in again and 'value="M5E 1E5"' in again
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_a_box_taken_out_of_use_and_not_saved_yet_is_not_packed(reference):
    """A change not flushed yet counts, as it would for a query (autoflush)."""
    box = db.session.scalar(sa.select(Box).where(Box.is_active.is_(True)).limit(1))
    assert box.id in {spec.id for spec in box_specs()}  # read in this transaction
    box.is_active = False
    assert box.id not in {spec.id for spec in box_specs()}


def test_the_chart_read_before_expunge_all_is_read_again(app):
    """A batch that empties the session between batches (the demo's history) posts to the
    accounts as they are now in the session, never to copies taken out of it."""
    books.seed_chart()
    cat_food("5000", "manual:before")
    db.session.flush()
    db.session.expunge_all()
    bank = db.session.scalar(sa.select(Account).where(Account.code == "1000"))
    entry = cat_food("5000", "manual:after")
    db.session.commit()
    assert bank in [line.account for line in entry.lines]
