"""The warehouse's printouts: packing slips, shipping labels, pick lists, purchase orders.

Orders are placed through checkout; shipments, parcels and purchase orders are
written as rows the way the services store them. Every PDF is read back: its
text with pypdf, its barcodes by rendering the page with pdfium at 300 dpi and
decoding the image with zxing-cpp, as a scanner at the packing bench would.
"""

import re
from datetime import UTC, datetime

import pytest
from babel.dates import format_date

from shop.accounts import roles
from shop.documents.label import render_label, render_labels
from shop.documents.packing_slip import render_packing_slip, render_packing_slips
from shop.documents.pick_list import render_pick_list
from shop.documents.purchase_order import render_purchase_order
from shop.extensions import db
from shop.fulfilment.printing import bin_locations, shipments_by_order
from shop.fulfilment.services import confirm_shipment, start_shipment
from shop.store_details.services import store_settings
from tests.conftest import log_in
from tests.factories import ProductFactory, SupplierFactory, VariantFactory
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.document_helpers import (
    barcodes_on_page,
    make_purchase_order,
    make_shipment,
    pdf_page_sizes,
    pdf_pages,
)
from tests.integration.order_helpers import buy

LOCALE = "en_CA"
TRACKING = "1Z999AA10123456784"
EARLIER = datetime(2026, 11, 2, 16, 30, tzinfo=UTC)


def variant(name, sku, *, stock, bin_location=None, classes):
    return VariantFactory(
        product=ProductFactory(name=name), sku=sku, tax_class=classes["standard"], stock=stock,
        stock__bin_location=bin_location,
    )  # fmt: skip


@pytest.fixture
def goods(app):
    classes = seed_reference_data()
    stove = variant("Camp Stove", "STOVE-1", stock=1, bin_location="A-01", classes=classes)
    stove.stock.supplier = SupplierFactory(name="Northern Gear", lead_time_days=10)
    db.session.commit()
    return {
        "tent": variant("Ridge Tent", "TENT-1", stock=5, bin_location="C-03", classes=classes),
        "stove": stove,
        "mug": variant("Enamel Mug", "MUG-1", stock=9, bin_location="B-02", classes=classes),
        "lamp": variant("Camp Lamp", "LAMP-1", stock=9, classes=classes),
    }


def line_of(order, sku):
    return next(line for line in order.lines if line.sku == sku)


@pytest.fixture
def order(app, goods):
    """Two tents, three stoves (one in stock, two backordered), one mug sent already."""
    placed = buy(
        app, [(goods["tent"], 2), (goods["stove"], 3), (goods["mug"], 1)],
        email="gail@example.com", policy="ship_available_now", company="Guest & Co",
        line2="Suite 400", phone="416-555-0199",
    )  # fmt: skip
    assert line_of(placed, "STOVE-1").quantity_backordered == 2
    assert line_of(placed, "STOVE-1").expected_ship_date is not None
    make_shipment(placed, [(line_of(placed, "MUG-1"), 1)], number="SH-1001", shipped_at=EARLIER,
                  tracking="EARLIER0001CA", parcels=[("Small", 200, 150, 100, 450)])  # fmt: skip
    return placed


@pytest.fixture
def shipment(order):
    """The tents, in two boxes, packed and not yet left."""
    return make_shipment(
        order, [(line_of(order, "TENT-1"), 2)], number="SH-1002", tracking=TRACKING,
        parcels=[("Large", 600, 400, 250, 3250), ("Medium", 300, 200, 50, 1250)],
    )  # fmt: skip


def slip_pdf(shipments):
    history = shipments_by_order({s.order_id for s in shipments})
    return render_packing_slips(
        shipments, settings=store_settings(), locale=LOCALE, order_shipments=history
    )


def words(data: bytes) -> list[str]:
    """Each page's text, its words separated by single spaces (cells are drawn one by one)."""
    return [" ".join(page.split()) for page in pdf_pages(data)]


def section(text, title, until=None):
    start = text.index(title)
    end = text.index(until, start) if until else len(text)
    return text[start:end]


# --- packing slip -----------------------------------------------------------------------------


def test_the_packing_slip_names_both_addresses_the_parcel_what_is_to_come_and_what_left(
    shipment, order
):
    history = shipments_by_order([shipment.order_id])
    text = " ".join(words(render_packing_slip(shipment, settings=store_settings(),
                                              locale=LOCALE, order_shipments=history)))  # fmt: skip

    for line in ("Maple & Pine Outfitters", "1 Front St W", "Toronto ON M5J 2X5"):
        assert line in text, line
    for line in ("Gail Guest", "Guest & Co", "100 Queen St W", "Suite 400",
                 "Toronto ON M5H 2N2", "Canada", "416-555-0199"):  # fmt: skip
        assert line in text, line
    assert f"Order {order.number}" in text
    assert "SH-1002" in text

    in_parcel = section(text, "In this parcel", "Still to come")
    assert re.search(r"TENT-1 Ridge Tent 2\b", in_parcel)
    assert "STOVE-1" not in in_parcel and "MUG-1" not in in_parcel

    to_come = section(text, "Still to come", "Already sent")
    expected = format_date(line_of(order, "STOVE-1").expected_ship_date, "medium", locale=LOCALE)
    assert re.search(rf"STOVE-1 Camp Stove 2 expected {re.escape(expected)}", to_come), to_come
    assert re.search(r"STOVE-1 Camp Stove 1 in stock, sent in another parcel", to_come)
    assert "TENT-1" not in to_come and "MUG-1" not in to_come

    sent = section(text, "Already sent")
    assert re.search(r"MUG-1 Enamel Mug 1 shipment SH-1001, Nov 2, 2026", sent), sent
    assert "TENT-1" not in sent


def test_once_the_shipment_has_left_its_slip_still_lists_the_same_lines(shipment, order):
    tents = line_of(order, "TENT-1")
    tents.quantity_allocated, tents.quantity_shipped = 0, 2
    shipment.shipped_at = datetime(2026, 11, 9, 15, 0, tzinfo=UTC)
    db.session.commit()

    text = " ".join(words(slip_pdf([shipment])))

    assert re.search(r"TENT-1 Ridge Tent 2\b", section(text, "In this parcel", "Still to come"))
    to_come = section(text, "Still to come", "Already sent")
    assert "TENT-1" not in to_come
    assert re.search(r"STOVE-1 Camp Stove 2 expected", to_come)


def test_a_slip_that_completes_the_order_says_nothing_more_is_to_come(app, goods):
    placed = buy(app, [(goods["lamp"], 1)])
    shipment = make_shipment(placed, [(line_of(placed, "LAMP-1"), 1)], number="SH-2001")

    text = " ".join(words(slip_pdf([shipment])))

    assert "Nothing: with this parcel your order is complete." in text
    assert "Already sent" not in text


def test_the_slip_barcode_scans_as_the_order_number(shipment, order):
    assert barcodes_on_page(slip_pdf([shipment])) == [(order.number, "Code128")]


def test_a_batch_of_slips_is_one_pdf_with_each_slip_on_its_own_pages(app, goods, shipment, order):
    others = []
    for n in range(2):
        placed = buy(app, [(goods["lamp"], 1)], email=f"batch{n}@example.com")
        others.append(make_shipment(placed, [(line_of(placed, "LAMP-1"), 1)], number=f"SH-30{n}"))

    pages = words(slip_pdf([shipment, *others]))

    assert len(pages) == 3
    for page, slip in zip(pages, [shipment, *others], strict=True):
        assert f"Order {slip.order.number}" in page
        assert "Page 1 of 1" in page


def test_a_long_slip_runs_over_pages_repeating_its_headings(app):
    classes = seed_reference_data()
    many = [variant(f"Item {n:02d}", f"LONG-{n:02d}", stock=3, classes=classes) for n in range(45)]
    placed = buy(app, [(v, 1) for v in many])
    shipment = make_shipment(
        placed, [(line, 1) for line in placed.lines], number="SH-LONG", tracking="LONG1"
    )

    pages = words(slip_pdf([shipment]))

    assert len(pages) == 2
    assert "Page 1 of 2" in pages[0] and "Page 2 of 2" in pages[1]
    assert "(continued)" in pages[1] and placed.number in pages[1]
    assert "SKU Item Qty" in pages[1]  # the table's headings again
    listed = re.findall(r"LONG-\d\d", "\n".join(pages))
    assert listed == [f"LONG-{n:02d}" for n in range(45)]


# --- shipping label ----------------------------------------------------------------------------


def test_a_label_per_parcel_4_by_6_inches_with_everything_the_carrier_needs(shipment, order):
    data = render_label(shipment, settings=store_settings(), locale=LOCALE)

    assert pdf_page_sizes(data) == [(288, 432), (288, 432)]
    first, second = words(data)
    for line in ("Maple & Pine Outfitters", "1 Front St W", "Gail Guest", "Guest & Co",
                 "100 Queen St W", "Toronto ON M5H 2N2", "Canada", order.shipping_service_name,
                 TRACKING, order.number, "SH-1002"):  # fmt: skip
        assert line in first, line
    assert "Parcel 1 of 2" in first and "Parcel 2 of 2" in second
    assert "3.25 kg" in first and "60 x 40 x 25 cm" in first
    assert "1.25 kg" in second and "30 x 20 x 5 cm" in second


def test_the_label_barcode_scans_as_exactly_the_tracking_number(shipment):
    data = render_label(shipment, settings=store_settings(), locale=LOCALE)

    for page in (0, 1):
        assert barcodes_on_page(data, page) == [(TRACKING, "Code128")]


@pytest.mark.parametrize(
    "tracking", ["7489 2201 0034", "LX123456789CA", "9400111202555842761234", "AB" * 20]
)
def test_tracking_numbers_of_any_carrier_scan_back(shipment, tracking):
    shipment.tracking_number = tracking
    db.session.commit()

    data = render_labels([shipment], settings=store_settings(), locale=LOCALE)

    assert barcodes_on_page(data) == [(tracking, "Code128")]


def test_a_shipment_without_tracking_number_carries_its_own_number(app, goods):
    placed = buy(app, [(goods["lamp"], 1)])
    shipment = make_shipment(placed, [(line_of(placed, "LAMP-1"), 1)], number="SH-NOTRACK")

    data = render_label(shipment, settings=store_settings(), locale=LOCALE)

    assert "no tracking number yet" in words(data)[0]
    assert barcodes_on_page(data) == [("SH-NOTRACK", "Code128")]


# --- pick list --------------------------------------------------------------------------------


def test_the_pick_list_walks_the_bins_with_each_orders_quantity(app, goods, shipment, order):
    second = buy(app, [(goods["lamp"], 2), (goods["mug"], 3)], email="b@example.com")

    bins = bin_locations(line.variant_id for o in (order, second) for line in o.lines)
    text = " ".join(words(render_pick_list([order, second], bins=bins, locale=LOCALE)))

    assert order.number in text and second.number in text
    skus = re.findall(r"\b(?:STOVE|MUG|TENT|LAMP)-1\b", text)
    assert skus == ["STOVE-1", "MUG-1", "TENT-1", "LAMP-1"]  # bins A, B, C, then none
    first, second = re.escape(order.number), re.escape(second.number)
    # The two backordered stoves are not on the shelf; the first order's mug has left.
    assert re.search(rf"A-01 STOVE-1 Camp Stove 1 {first} x 1 ", text)
    assert re.search(rf"B-02 MUG-1 Enamel Mug 3 {second} x 3 ", text)
    assert re.search(rf"C-03 TENT-1 Ridge Tent 2 {first} x 2 ", text)
    assert re.search(rf" - LAMP-1 Camp Lamp 2 {second} x 2 ", text)


def test_a_pick_list_of_one_unit_says_one_unit_one_item_one_order(app, goods):
    single = buy(app, [(goods["lamp"], 1)], email="one@example.com")

    bins = bin_locations(line.variant_id for line in single.lines)
    text = " ".join(words(render_pick_list([single], bins=bins, locale=LOCALE)))

    assert "1 unit of 1 item for 1 order." in text
    assert re.search(r"Pick list, \w{3} \d{1,2}, \d{4}, 1 order\b", text)
    assert "orders" not in text and "units" not in text and "items" not in text


# --- purchase order ---------------------------------------------------------------------------


def test_the_purchase_order_lists_its_lines_and_total(goods):
    supplier = SupplierFactory(name="Northern Gear Supply", contact_name="Nora North")
    po = make_purchase_order(supplier, [(goods["stove"], 3, 1250), (goods["mug"], 10, 400)])

    text = " ".join(words(render_purchase_order(po, settings=store_settings(), locale=LOCALE)))

    assert "Purchase order PO-000042" in text
    assert "Northern Gear Supply" in text and "Nora North" in text
    assert "Maple & Pine Outfitters" in text and "1 Front St W" in text
    assert "STOVE-1 Camp Stove 3 $12.50 $37.50 Dec 15, 2026" in text
    assert "MUG-1 Enamel Mug 10 $4.00 $40.00 Dec 15, 2026" in text
    assert "Total CAD $77.50" in text
    assert "Deliver to the back door." in text


# --- the back office --------------------------------------------------------------------------


def logged_in(app, user):
    client = app.test_client()
    log_in(client, user.email)
    return client


def assert_pdf(response, filename):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert f'filename="{filename}"' in response.headers["Content-Disposition"] or (
        filename in response.headers["Content-Disposition"]
    )


def test_warehouse_staff_download_slips_labels_and_pick_lists(app, staff, goods, shipment, order):
    client = logged_in(app, staff[roles.WAREHOUSE])

    slip = client.get("/admin/shipments/SH-1002/packing-slip.pdf")
    assert_pdf(slip, "packing-slip-SH-1002.pdf")
    assert "Still to come" in " ".join(words(slip.data))
    assert_pdf(client.get("/admin/shipments/SH-1002/label.pdf"), "label-SH-1002.pdf")

    batch = client.post(
        "/admin/documents/packing-slips.pdf", data={"shipment": ["SH-1002", "SH-1001"]}
    )
    assert_pdf(batch, "packing-slips.pdf")
    first, second = words(batch.data)
    assert "SH-1002" in first and "SH-1001" in second
    labels = client.post("/admin/documents/labels.pdf", data={"shipment": ["SH-1001", "SH-1002"]})
    assert_pdf(labels, "labels.pdf")
    assert len(words(labels.data)) == 3  # one parcel, then two

    chosen = client.get(f"/admin/documents/pick-list.pdf?order={order.number}")
    assert_pdf(chosen, "pick-list.pdf")
    assert "TENT-1" in " ".join(words(chosen.data))
    waiting = client.get("/admin/documents/pick-list.pdf")  # every paid order with stock to pick
    assert order.number in " ".join(words(waiting.data))


def test_unknown_numbers_are_not_found_and_an_empty_batch_is_refused(app, staff, shipment):
    client = logged_in(app, staff[roles.WAREHOUSE])

    assert client.get("/admin/shipments/SH-NOPE/packing-slip.pdf").status_code == 404
    assert client.get("/admin/shipments/SH-NOPE/label.pdf").status_code == 404
    assert client.get(f"/admin/shipments/{'9' * 300}/label.pdf").status_code == 404
    batch = client.post("/admin/documents/labels.pdf", data={"shipment": ["SH-1002", "SH-NOPE"]})
    assert batch.status_code == 404
    empty = client.post("/admin/documents/packing-slips.pdf", data={})
    assert empty.status_code == 400
    assert "Choose at least one shipment" in empty.get_data(as_text=True)
    assert client.get("/admin/documents/pick-list.pdf?order=NOPE").status_code == 404
    assert client.get("/admin/purchase-orders/PO-NOPE.pdf").status_code == 404


def test_purchase_orders_print_for_warehouse_and_sales_not_for_bookkeepers(app, staff, goods):
    po = make_purchase_order(SupplierFactory(), [(goods["stove"], 2, 1000)])

    for role in (roles.WAREHOUSE, roles.SALES, roles.OWNER):
        response = logged_in(app, staff[role]).get(f"/admin/purchase-orders/{po.number}.pdf")
        assert_pdf(response, f"{po.number}.pdf")
    bookkeeper = logged_in(app, staff[roles.BOOKKEEPER])
    assert bookkeeper.get(f"/admin/purchase-orders/{po.number}.pdf").status_code == 403


def test_customers_and_sales_staff_get_no_packing_slips(app, staff, customer, shipment):
    for user in (customer, staff[roles.SALES], staff[roles.BOOKKEEPER]):
        client = logged_in(app, user)
        assert client.get("/admin/shipments/SH-1002/packing-slip.pdf").status_code == 403
        response = client.post("/admin/documents/labels.pdf", data={"shipment": "SH-1002"})
        assert response.status_code == 403


# --- with the fulfilment services -----------------------------------------------------------


def test_a_shipment_packed_and_confirmed_by_the_services_prints_and_scans(app, goods, staff):
    placed = buy(app, [(goods["tent"], 2), (goods["stove"], 3)], policy="ship_available_now")
    shipment = start_shipment(order=placed, user=staff[roles.WAREHOUSE])
    db.session.commit()
    expected = format_date(line_of(placed, "STOVE-1").expected_ship_date, "medium", locale=LOCALE)

    packing = " ".join(words(slip_pdf([shipment])))
    assert re.search(r"In this parcel .* TENT-1 Ridge Tent 2 STOVE-1 Camp Stove 1 Still", packing)
    assert "Still to come" in packing
    assert re.search(rf"STOVE-1 Camp Stove 2 expected {re.escape(expected)}", packing)

    confirm_shipment(shipment=shipment, user=staff[roles.WAREHOUSE])
    db.session.commit()
    assert shipment.tracking_number

    shipped = " ".join(words(slip_pdf([shipment])))
    assert re.search(r"TENT-1 Ridge Tent 2 STOVE-1 Camp Stove 1 Still to come", shipped)
    assert "in stock, sent in another parcel" not in shipped
    assert re.search(rf"STOVE-1 Camp Stove 2 expected {re.escape(expected)}", shipped)
    labels = render_labels([shipment], settings=store_settings(), locale=LOCALE)
    for page in range(len(shipment.parcels)):
        assert barcodes_on_page(labels, page) == [(shipment.tracking_number, "Code128")]
