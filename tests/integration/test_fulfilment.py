"""The warehouse packs and ships: To pack, a shipment from packing to shipped, bad input.

Orders are placed and paid through the demo checkout, as customers place them.
"""

import re

import pytest
import sqlalchemy as sa

from shop.accounting.models import JournalEntry
from shop.accounts import roles
from shop.after_sale.cancellations import cancel_order
from shop.extensions import db
from shop.fulfilment import services as fulfilment
from shop.fulfilment.models import Shipment
from shop.inventory import reasons
from shop.inventory.models import StockMovement
from shop.inventory.services import movement_total, stock_for
from shop.notifications.models import OutboxMessage
from shop.orders.models import Order
from shop.shipping.models import Carrier, ShippingService
from tests.conftest import log_in
from tests.factories import VariantFactory
from tests.factories.store import TENT_COST, tent_and_stove
from tests.integration.backoffice_helpers import errors_beside, flashes, text_of
from tests.integration.order_helpers import buy
from tests.integration.test_query_count import count_queries


@pytest.fixture
def store(app):
    return tent_and_stove(at_cost=True)


@pytest.fixture
def orders(app, store):
    """Ships now with the stove backordered; waits to ship complete with the stove
    backordered; ships complete with everything in stock; not paid."""
    tent, stove = store["tent"], store["stove"]
    return {
        "ship_now": buy(
            app, [(tent, 2), (stove, 1)], email="ann@example.com", policy="ship_available_now"
        ),
        "waiting": buy(app, [(tent, 1), (stove, 1)], email="bob@example.com"),
        "complete": buy(app, [(tent, 1)], email="cat@example.com"),
        "unpaid": buy(app, [(tent, 1)], email="dan@example.com", card=None),
    }


def to_pack_rows(client) -> dict[str, str]:
    """Order number -> the text of its row on To pack."""
    response = client.get("/admin/fulfilment/to-pack")
    assert response.status_code == 200
    page = text_of(response)
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        number = re.search(r'href="/admin/orders/([A-Z0-9]+)"', row)
        if number:
            rows[number.group(1)] = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))
    return rows


def start(client, order) -> Shipment:
    response = client.post(f"/admin/fulfilment/orders/{order.number}/start")
    assert response.status_code == 302, text_of(response)
    location = response.headers["Location"]
    assert client.get(location).status_code == 200  # the page, and its message read
    number = location.rsplit("/", 1)[-1]
    return db.session.scalar(sa.select(Shipment).where(Shipment.number == number))


def confirm(client, shipment, **data):
    response = client.post(f"/admin/shipments/{shipment.number}/confirm", data=data)
    if response.status_code == 302:
        assert client.get(response.headers["Location"]).status_code == 200
    return response


def fresh(order) -> Order:
    return db.session.get(Order, order.id)


def line_of(order, sku):
    return next(line for line in fresh(order).lines if line.sku == sku)


def ledger_matches(*variants) -> None:
    for variant in variants:
        assert stock_for(variant.id).on_hand == movement_total(variant.id), variant.sku


def shipped_emails() -> list[OutboxMessage]:
    return list(
        db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "shipment_shipped"))
    )


def cogs_entries(shipment) -> list[JournalEntry]:
    return list(
        db.session.scalars(
            sa.select(JournalEntry).where(JournalEntry.source_key == f"cogs:shipment:{shipment.id}")
        )
    )


def shown_date(app, day) -> str:
    with app.test_request_context():
        return app.jinja_env.filters["date"](day)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


# --- To pack ----------------------------------------------------------------------


def test_to_pack_lists_what_may_ship_under_each_policy(warehouse, orders):
    rows = to_pack_rows(warehouse)

    # Ships now: listed with only its allocated line; the stove is still to come.
    ship_now = rows[orders["ship_now"].number]
    assert "2 × TENT-1" in ship_now
    assert "STOVE-1" not in ship_now
    assert "More to come" in ship_now
    # Ship complete with every line allocated: listed. Waiting for the stove: not listed.
    assert "1 × TENT-1" in rows[orders["complete"].number]
    assert orders["waiting"].number not in rows
    # Not paid: not the warehouse's yet.
    assert orders["unpaid"].number not in rows
    # Oldest paid first.
    assert list(rows) == [orders["ship_now"].number, orders["complete"].number]


def test_to_pack_reads_a_whole_page_in_a_fixed_number_of_queries(app, store, orders):
    with count_queries() as few:
        assert len(fulfilment.orders_to_pack().items) == 2
    mug = VariantFactory(sku="MUG-1", stock=10, tax_class=store["tent"].tax_class)
    for n in range(4):
        buy(app, [(mug, 1)], email=f"more{n}@example.com")
    db.session.commit()
    with count_queries() as many:
        assert len(fulfilment.orders_to_pack().items) == 6
    selects = [[q for q in run if q.startswith("SELECT")] for run in (few, many)]
    assert len(selects[0]) == len(selects[1]) == 4  # count, orders, their lines, open shipments


def test_a_started_shipment_shows_on_to_pack_instead_of_a_start_button(warehouse, orders):
    shipment = start(warehouse, orders["ship_now"])
    row = to_pack_rows(warehouse)[orders["ship_now"].number]
    assert f"Packing: {shipment.number}" in row
    assert "Start shipment" not in row


# --- a partial shipment ------------------------------------------------------------


def test_ship_now_order_ships_its_allocated_part(app, warehouse, staff, store, orders):
    tent, stove = store["tent"], store["stove"]
    order = orders["ship_now"]
    before = stock_for(tent.id)
    on_hand, allocated = before.on_hand, before.allocated
    stove_date = line_of(order, "STOVE-1").expected_ship_date
    assert stove_date is not None

    shipment = start(warehouse, order)
    assert re.fullmatch(r"SH-\d{6}", shipment.number)
    assert [(line.order_line.sku, line.quantity) for line in shipment.lines] == [("TENT-1", 2)]
    # One parcel proposed by the packing rules; its weight is the goods and the box.
    [parcel] = shipment.parcels
    assert parcel.box_id is not None
    box_weight = parcel.weight_g - 2 * 2400
    assert box_weight > 0
    page = text_of(warehouse.get(f"/admin/shipments/{shipment.number}"))
    assert parcel.box_name in page and f"{parcel.weight_g} g" in page
    assert f"/admin/shipments/{shipment.number}/packing-slip.pdf" in page
    assert f"/admin/shipments/{shipment.number}/label.pdf" in page
    assert 'name="tracking_number"' not in page  # the built-in carrier's number is made here
    # Packing takes nothing yet.
    assert stock_for(tent.id).on_hand == on_hand

    response = confirm(warehouse, shipment)
    assert response.status_code == 302
    shipment = db.session.get(Shipment, shipment.id)
    assert shipment.status == "shipped" and shipment.shipped_at is not None
    assert shipment.user_id == staff[roles.WAREHOUSE].id
    tracking = shipment.tracking_number
    assert re.fullmatch(r"\d{16}", tracking) and luhn_ok(tracking)

    # Stock out, allocation consumed, the ledger still adds up.
    after = stock_for(tent.id)
    assert (after.on_hand, after.allocated) == (on_hand - 2, allocated - 2)
    ledger_matches(tent, stove)
    [movement] = db.session.scalars(
        sa.select(StockMovement).where(StockMovement.reason == reasons.SHIPMENT)
    ).all()
    assert (movement.variant_id, movement.quantity, movement.reference) == (
        tent.id, -2, shipment.number,
    )  # fmt: skip

    # The order: tent shipped, stove still backordered, partially shipped.
    order = fresh(order)
    assert order.status == "partially_shipped"
    tent_line = line_of(order, "TENT-1")
    assert (tent_line.quantity_allocated, tent_line.quantity_shipped) == (0, 2)
    assert line_of(order, "STOVE-1").quantity_backordered == 1
    kinds = [e.kind for e in order.events]
    assert "packing" in kinds and "shipped" in kinds

    # Cost of goods at cost, posted once.
    [entry] = cogs_entries(shipment)
    assert shipment.cost_of_goods == 2 * TENT_COST
    debits = {line.account.role: line.debit for line in entry.lines if line.debit}
    credits = {line.account.role: line.credit for line in entry.lines if line.credit}
    assert debits == {"cogs": 2 * TENT_COST} and credits == {"inventory": 2 * TENT_COST}
    assert entry.order_id == order.id

    # The customer's email: tracking, what is in the box, what is still to come and when.
    [email] = shipped_emails()
    assert email.to_address == "ann@example.com"
    assert tracking in email.body_text and tracking in email.body_html
    assert "2 x Ridge Tent" in email.body_text
    still = email.body_text[email.body_text.index("Still to come:") :]
    assert f"1 x Camp Stove (SKU STOVE-1): ships about {shown_date(app, stove_date)}" in still
    assert "Ridge Tent" not in still
    assert "Still to come" in email.body_html

    # Nothing of it is left to pack: the order leaves To pack.
    assert order.number not in to_pack_rows(warehouse)


def test_the_last_shipment_makes_the_order_shipped(warehouse, store, orders):
    order = orders["complete"]
    shipment = start(warehouse, order)
    assert confirm(warehouse, shipment).status_code == 302

    order = fresh(order)
    assert order.status == "shipped"
    assert all(line.quantity_shipped == line.quantity for line in order.lines)
    [email] = shipped_emails()
    assert "Still to come" not in email.body_text
    assert "your order is on its way" in email.body_text
    page = text_of(warehouse.get(f"/admin/shipments/{shipment.number}"))
    assert "Shipped" in page and "Confirm shipment" not in page
    ledger_matches(store["tent"])


# --- bad input: a clear message, nothing changes ------------------------------------


def snapshot(store, order):
    tent = stock_for(store["tent"].id)
    return (
        tent.on_hand,
        tent.allocated,
        fresh(order).status,
        [(line.quantity_allocated, line.quantity_shipped) for line in fresh(order).lines],
        db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement)),
        db.session.scalar(sa.select(sa.func.count()).select_from(JournalEntry)),
        len(shipped_emails()),
    )


def test_shipping_more_than_allocated_is_refused(warehouse, store, orders):
    order = orders["ship_now"]
    shipment = start(warehouse, order)
    [line] = shipment.lines
    [parcel] = shipment.parcels
    before = snapshot(store, order)

    response = warehouse.post(
        f"/admin/shipments/{shipment.number}/parcels",
        data={
            "lines-0-line_id": str(line.id), "lines-0-quantity": "3",
            "parcels-0-parcel_id": str(parcel.id), "parcels-0-box": str(parcel.box_id),
            "parcels-0-weight_g": str(parcel.weight_g),
        },
    )  # fmt: skip

    assert response.status_code == 422
    assert flashes(text_of(response)) == [
        f"Only 2 of TENT-1 (Ridge Tent) are allocated to order {order.number}; "
        "a shipment cannot take 3."
    ]
    assert db.session.get(Shipment, shipment.id).lines[0].quantity == 2
    assert snapshot(store, order) == before


def test_a_cancelled_order_cannot_ship(warehouse, staff, store, orders):
    order = orders["ship_now"]
    shipment = start(warehouse, order)
    cancel_order(order=fresh(order), user=staff[roles.SALES], reason="customer asked")
    db.session.commit()
    before = snapshot(store, order)

    response = confirm(warehouse, shipment)

    assert response.status_code == 422
    # Cancelling the order cancelled the shipment being packed with it.
    assert flashes(text_of(response)) == [
        f"Shipment {shipment.number} is cancelled; it cannot become shipped."
    ]
    assert db.session.get(Shipment, shipment.id).status == "cancelled"
    assert snapshot(store, order) == before
    ledger_matches(store["tent"])


def test_confirming_twice_ships_once(warehouse, store, orders):
    order = orders["ship_now"]
    shipment = start(warehouse, order)
    assert confirm(warehouse, shipment).status_code == 302
    before = snapshot(store, order)

    response = confirm(warehouse, shipment)

    assert response.status_code == 422
    assert flashes(text_of(response)) == [f"Shipment {shipment.number} is already shipped."]
    assert snapshot(store, order) == before
    assert len(cogs_entries(shipment)) == 1


def test_orders_that_may_not_be_packed_yet_say_why(warehouse, store, orders):
    waiting, unpaid = orders["waiting"], orders["unpaid"]
    before = snapshot(store, waiting)

    response = warehouse.post(f"/admin/fulfilment/orders/{waiting.number}/start")
    assert response.status_code == 422
    assert flashes(text_of(response)) == [
        f"Order {waiting.number} waits to ship complete and part of it is backordered; "
        "it can be packed once every line is allocated."
    ]
    response = warehouse.post(f"/admin/fulfilment/orders/{unpaid.number}/start")
    assert flashes(text_of(response)) == [
        f"Order {unpaid.number} is waiting for payment; "
        "only a paid order can be packed and shipped."
    ]
    shipment = start(warehouse, orders["complete"])
    response = warehouse.post(f"/admin/fulfilment/orders/{orders['complete'].number}/start")
    assert flashes(text_of(response)) == [
        f"Shipment {shipment.number} of order {orders['complete'].number} is already packing."
    ]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Shipment)) == 1
    assert snapshot(store, waiting)[:2] == before[:2]
    assert warehouse.post("/admin/fulfilment/orders/MP99999/start").status_code == 404
    assert warehouse.get("/admin/shipments/SH-999999").status_code == 404


def test_a_ship_complete_order_leaves_in_one_go(warehouse, store, app):
    order = buy(app, [(store["tent"], 2)], email="eve@example.com")
    shipment = start(warehouse, order)
    [line] = shipment.lines
    [parcel] = shipment.parcels

    response = warehouse.post(
        f"/admin/shipments/{shipment.number}/parcels",
        data={
            "lines-0-line_id": str(line.id), "lines-0-quantity": "1",
            "parcels-0-parcel_id": str(parcel.id), "parcels-0-box": str(parcel.box_id),
        },
    )  # fmt: skip

    assert response.status_code == 422
    assert flashes(text_of(response)) == [
        f"The customer asked for order {order.number} to ship complete; "
        "this shipment must take every unit of it."
    ]
    assert db.session.get(Shipment, shipment.id).lines[0].quantity == 2


# --- packing: boxes, weights, quantities; cancelling --------------------------------


def test_staff_choose_boxes_and_weights(warehouse, orders):
    shipment = start(warehouse, orders["ship_now"])
    [line] = shipment.lines
    [parcel] = shipment.parcels
    boxes = fulfilment.active_boxes()
    other = next(b for b in boxes if b.id != parcel.box_id)
    old_box = next(b for b in boxes if b.id == parcel.box_id)
    goods = parcel.weight_g - old_box.weight_g

    # A different box, weight left as it was: the weight follows the box.
    response = warehouse.post(
        f"/admin/shipments/{shipment.number}/parcels",
        data={
            "lines-0-line_id": str(line.id), "lines-0-quantity": "1",
            "parcels-0-parcel_id": str(parcel.id), "parcels-0-box": str(other.id),
            "parcels-0-weight_g": str(parcel.weight_g),
            "parcels-1-box": str(old_box.id), "parcels-1-weight_g": "2600",
        },
    )  # fmt: skip
    assert response.status_code == 302, text_of(response)
    shipment = db.session.get(Shipment, shipment.id)
    assert shipment.lines[0].quantity == 1  # ships now: staff may send fewer
    first, second = shipment.parcels
    assert (first.box_id, first.box_name, first.length_mm) == (
        other.id,
        other.name,
        other.length_mm,
    )
    assert first.weight_g == goods + other.weight_g
    assert (second.box_id, second.weight_g) == (old_box.id, 2600)

    # Weighed on the scale: the typed weight is kept; a parcel removed is gone.
    response = warehouse.post(
        f"/admin/shipments/{shipment.number}/parcels",
        data={
            "lines-0-line_id": str(line.id), "lines-0-quantity": "1",
            "parcels-0-parcel_id": str(first.id), "parcels-0-box": str(other.id),
            "parcels-0-weight_g": "2750",
            "parcels-1-parcel_id": str(second.id), "parcels-1-box": str(old_box.id),
            "parcels-1-remove": "y",
        },
    )  # fmt: skip
    assert response.status_code == 302, text_of(response)
    shipment = db.session.get(Shipment, shipment.id)
    assert [(p.id, p.weight_g) for p in shipment.parcels] == [(first.id, 2750)]


def test_bad_packing_input_is_refused_beside_its_field(warehouse, orders):
    shipment = start(warehouse, orders["ship_now"])
    [line] = shipment.lines
    [parcel] = shipment.parcels
    response = warehouse.post(
        f"/admin/shipments/{shipment.number}/parcels",
        data={
            "lines-0-line_id": str(line.id), "lines-0-quantity": "two",
            "parcels-0-parcel_id": str(parcel.id), "parcels-0-box": "999999",
            "parcels-0-weight_g": "0",
        },
    )  # fmt: skip
    assert response.status_code == 422
    page = text_of(response)
    assert errors_beside(page, "lines-0-quantity") == ["Enter a whole number, like 5."]
    assert errors_beside(page, "parcels-0-box") == ["Choose from the list."]
    assert errors_beside(page, "parcels-0-weight_g") == [
        "Enter a whole number from 1 to 1,000,000."
    ]
    assert db.session.get(Shipment, shipment.id).parcels[0].weight_g == parcel.weight_g


def test_cancelling_a_shipment_keeps_the_allocation(warehouse, store, orders):
    order = orders["ship_now"]
    shipment = start(warehouse, order)
    before = snapshot(store, order)

    response = warehouse.post(f"/admin/shipments/{shipment.number}/cancel")

    assert response.status_code == 302
    assert db.session.get(Shipment, shipment.id).status == "cancelled"
    assert snapshot(store, order) == before
    assert "Start shipment" in to_pack_rows(warehouse)[order.number]
    response = confirm(warehouse, shipment)
    assert flashes(text_of(response)) == [
        f"Shipment {shipment.number} is cancelled; it cannot become shipped."
    ]


# --- carriers other than the built-in one ------------------------------------------


@pytest.fixture
def courier_order(app, orders):
    """The complete order, carried by a courier whose tracking numbers are typed in."""
    courier = Carrier(code="courier", name="City Courier", dim_divisor=5000)
    service = ShippingService(carrier=courier, code="same-day", name="Same day", position=9)
    db.session.add_all([courier, service])
    db.session.flush()
    order = fresh(orders["complete"])
    order.shipping_service_id = service.id
    order.shipping_service_name = service.full_name
    db.session.commit()
    return order


def test_other_carriers_tracking_numbers_are_entered_by_hand(warehouse, store, courier_order):
    shipment = start(warehouse, courier_order)
    page = text_of(warehouse.get(f"/admin/shipments/{shipment.number}"))
    assert 'name="tracking_number"' in page
    before = snapshot(store, courier_order)

    response = confirm(warehouse, shipment, tracking_number="")
    assert response.status_code == 422
    assert errors_beside(text_of(response), "tracking_number") == [
        "Enter the tracking number that City Courier Same day gave for this shipment."
    ]
    response = confirm(warehouse, shipment, tracking_number="no way!")
    assert errors_beside(text_of(response), "tracking_number") == [
        "A tracking number has 6 to 40 letters, digits or dashes."
    ]
    assert snapshot(store, courier_order) == before

    assert confirm(warehouse, shipment, tracking_number=" cc-123 456 ").status_code == 302
    assert db.session.get(Shipment, shipment.id).tracking_number == "CC-123456"
    assert fresh(courier_order).status == "shipped"


# --- who may do it ------------------------------------------------------------------


@pytest.mark.parametrize("role", [roles.SALES, roles.BOOKKEEPER])
def test_only_the_warehouse_and_owner_pack(app, staff, orders, role):
    client = app.test_client()
    log_in(client, staff[role].email)
    assert client.get("/admin/fulfilment/to-pack").status_code == 403
    response = client.post(f"/admin/fulfilment/orders/{orders['complete'].number}/start")
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Shipment)) == 0

    owner = app.test_client()
    log_in(owner, staff[roles.OWNER].email)
    shipment = start(owner, orders["complete"])
    assert confirm(owner, shipment).status_code == 302


def test_the_warehouse_menu_has_to_pack_and_shipments(app, warehouse, staff):
    page = text_of(warehouse.get("/admin/"))
    assert 'href="/admin/fulfilment/to-pack"' in page and 'href="/admin/shipments"' in page
    sales = app.test_client()
    log_in(sales, staff[roles.SALES].email)
    page = text_of(sales.get("/admin/"))
    assert 'href="/admin/fulfilment/to-pack"' not in page


def test_the_shipment_list_filters_by_status(warehouse, orders):
    shipped = start(warehouse, orders["complete"])
    confirm(warehouse, shipped)
    packing = start(warehouse, orders["ship_now"])

    page = text_of(warehouse.get("/admin/shipments?status=packing"))
    assert packing.number in page and shipped.number not in page
    page = text_of(warehouse.get("/admin/shipments"))
    assert packing.number in page and shipped.number in page
    response = warehouse.get("/admin/shipments?status=lost")
    assert response.status_code == 200
    assert errors_beside(text_of(response), "status") == ["Choose a status from the list."]


def test_cancelling_an_order_cancels_its_shipment_still_being_packed(orders):
    from shop.after_sale.cancellations import cancel_order

    order = orders["complete"]
    shipment = fulfilment.start_shipment(order=order, user=None)
    assert shipment.tracking_number  # made at packing, so the label can be printed first
    db.session.commit()
    cancel_order(order=order, user=None, reason="changed mind")
    db.session.commit()
    assert db.session.get(Shipment, shipment.id).status == "cancelled"
