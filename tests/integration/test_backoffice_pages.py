"""The back office as staff read it on a busy day: a menu grouped by who uses it (each
role sees only what it may open), lists newest first, bulk printing where the packer
works, a reorder list to edit before it becomes purchase orders, one date format and
counts that agree with their nouns."""

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from shop.accounts import roles
from shop.billing.services import invoice_for_order
from shop.extensions import db
from shop.planning.reorder import create_draft_pos
from shop.purchasing.errors import PurchasingError
from shop.purchasing.models import PurchaseOrder, PurchaseOrderLine
from tests.conftest import log_in
from tests.factories import ProductFactory, SupplierFactory, VariantFactory
from tests.integration.backoffice_helpers import errors_beside, text_of
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.document_helpers import make_shipment, pdf_pages
from tests.integration.order_helpers import buy


def menu_of(page: str) -> dict[str, list[str]]:
    """The back-office menu as a person reads it: each group's name and its links."""
    nav = re.search(r'<nav class="admin-nav" aria-label="Back office">(.*?)</nav>', page, re.S)
    groups = {}
    for name, body in re.findall(
        r'<li class="menu-group[^"]*" data-group="([^"]+)">(.*?)</details>', nav.group(1), re.S
    ):
        groups[name] = re.findall(r"<a [^>]*>([^<]+)</a>", body)
    return groups


def signed_in(app, role, staff):
    client = app.test_client()
    log_in(client, staff[role].email)
    return client


def test_the_menu_shows_each_role_only_the_groups_and_links_it_may_open(app, staff):
    owner = menu_of(text_of(signed_in(app, roles.OWNER, staff).get("/admin/")))
    assert list(owner) == ["Sell", "Warehouse", "Purchasing", "Books", "Reports", "Settings"]
    assert "Invoices and credit notes" in owner["Books"] and "Staff" in owner["Settings"]

    warehouse = menu_of(text_of(signed_in(app, roles.WAREHOUSE, staff).get("/admin/")))
    assert "Warehouse" in warehouse and "Books" not in warehouse and "Settings" not in warehouse
    assert warehouse["Warehouse"] == ["To pack", "Shipments", "Backorders", "Stock and counts"]
    assert "Refunds to see to" not in warehouse["Sell"]  # the bookkeeper's, not theirs

    bookkeeper = menu_of(text_of(signed_in(app, roles.BOOKKEEPER, staff).get("/admin/")))
    assert "Books" in bookkeeper and "Warehouse" in bookkeeper  # stock figures, no packing
    assert bookkeeper["Warehouse"] == ["Stock and counts"]
    assert "Purchasing" not in bookkeeper and "Staff" not in bookkeeper.get("Settings", [])


def test_the_menu_marks_the_page_being_read_and_its_group(app, staff):
    client = signed_in(app, roles.OWNER, staff)
    page = text_of(client.get("/admin/accounting/journal"))
    assert re.search(r'<li class="menu-group current" data-group="Books">', page)
    assert len(re.findall(r'class="menu-group current"', page)) == 1
    assert re.findall(r'<a [^>]*aria-current="page"[^>]*>([^<]+)</a>', page) == ["Journal"]
    # A page under a list (the journal's new entry) belongs to the list's group.
    page = text_of(client.get("/admin/accounting/journal/new"))
    assert re.search(r'<li class="menu-group current" data-group="Books">', page)


# --- lists newest first ------------------------------------------------------------


@pytest.fixture
def lamp(app):
    classes = seed_reference_data()
    return VariantFactory(
        product=ProductFactory(name="Brass Lamp"), sku="LAMP-1", price=10000,
        tax_class=classes["standard"], stock=50,
    )  # fmt: skip


@pytest.fixture
def three_sales(app, lamp, clock):
    """Sales on March 4, March 2 and March 3, made in that order (so the ids are not in
    date order): {store day: order}."""
    made = {}
    for day in (4, 2, 3):
        clock.move_to(datetime(2026, 3, day, 15, 0, tzinfo=UTC))
        made[day] = buy(app, [(lamp, 1)], email=f"march{day}@example.com")
    return made


def column(page: str, table_class: str, cell: int) -> list[str]:
    """The text of one cell of each body row of a table, top to bottom."""
    body = re.search(rf'<table class="{table_class}">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]
    return [re.sub(r"<[^>]+>", "", c[cell]).strip() for c in cells if len(c) > cell]


def test_the_invoice_list_shows_the_newest_first(app, three_sales, staff):
    numbers = {day: invoice_for_order(order).number for day, order in three_sales.items()}
    client = signed_in(app, roles.BOOKKEEPER, staff)
    page = text_of(client.get("/admin/accounting/invoices"))
    assert column(page, "invoices", 0) == [numbers[4], numbers[3], numbers[2]]


def test_the_journal_shows_the_newest_first(app, three_sales, staff):
    client = signed_in(app, roles.BOOKKEEPER, staff)
    page = text_of(client.get("/admin/accounting/journal?source=sale"))
    sales = re.findall(r'<tbody id="entry-\d+" data-source="sale">(.*?)</tbody>', page, re.S)
    orders = [re.search(r"order (\w+)", body).group(1) for body in sales]
    assert orders == [three_sales[day].number for day in (4, 3, 2)]


# --- printing where the packer works ---------------------------------------------------


@pytest.fixture
def three_shipments(app, lamp):
    """One order of three lamps, packed as three shipments of one lamp each."""
    order = buy(app, [(lamp, 3)], email="packer@example.com")
    line = order.lines[0]
    return [
        make_shipment(order, [(line, 1)], number=f"SH-300{n}", tracking=f"TRACK000{n}CA",
                      parcels=[("Small", 200, 150, 100, 450)])
        for n in (1, 2, 3)
    ]  # fmt: skip


def print_form(page: str) -> dict:
    """The shipments page's print form as a browser sees it: where each button posts, and
    each shipment's checkbox (ticked or not)."""
    form = re.search(
        r'<form method="post" action="([^"]+)" id="print"[^>]*>(.*?)</form>', page, re.S
    )
    buttons = dict(
        re.findall(r'<button type="submit"(?: formaction="([^"]+)")?>Print (\w+)', form.group(2))
    )
    boxes = re.findall(
        r'<input type="checkbox" name="shipment" value="([^"]+)" form="print"[^>]*?( checked)?>',
        page,
    )
    return {
        "slips": form.group(1),
        "labels": next(action for action, what in buttons.items() if what == "labels"),
        "boxes": {number: bool(checked) for number, checked in boxes},
    }


def test_the_packer_ticks_shipments_and_prints_their_slips_and_labels(app, staff, three_shipments):
    client = signed_in(app, roles.WAREHOUSE, staff)
    page = text_of(client.get("/admin/shipments"))
    form = print_form(page)
    assert form["boxes"] == {"SH-3003": False, "SH-3002": False, "SH-3001": False}
    everything = print_form(text_of(client.get("/admin/shipments?tick=print")))
    assert set(everything["boxes"].values()) == {True}
    assert set(print_form(text_of(client.get("/admin/shipments?tick=none")))["boxes"].values()) == {
        False
    }

    slips = client.post(form["slips"], data={"shipment": ["SH-3001", "SH-3003"]})
    assert slips.status_code == 200 and slips.mimetype == "application/pdf"
    text = " ".join(pdf_pages(slips.data))
    assert "SH-3001" in text and "SH-3003" in text and "SH-3002" not in text
    labels = client.post(form["labels"], data={"shipment": ["SH-3002"]})
    assert labels.mimetype == "application/pdf"
    text = " ".join(pdf_pages(labels.data))
    assert "TRACK0002CA" in text and "TRACK0001CA" not in text


# --- the reorder list --------------------------------------------------------------


@pytest.fixture
def low_stock(app, lamp):
    """Two variants of one supplier below their reorder point: {sku: variant}."""
    supplier = SupplierFactory(name="Lamp Works")
    lantern = VariantFactory(sku="LANTERN-1", tax_class=lamp.tax_class, stock=1, cost=900)
    for variant in (lamp, lantern):
        variant.stock.supplier = supplier
        variant.stock.reorder_point, variant.stock.reorder_quantity = 60, 10
    lantern.stock.reorder_point = 4
    db.session.commit()
    return {"LAMP-1": lamp, "LANTERN-1": lantern}


def reorder_boxes(page: str) -> dict[str, bool]:
    """Each row's SKU and whether its box is ticked."""
    return {
        sku: bool(checked)
        for checked, sku in re.findall(
            r'<input type="checkbox" name="variant_ids" value="\d+" id="reorder-\d+"( checked)?>'
            r'</td>\s*<td><label for="reorder-\d+">([^<]+)</label>',
            page,
        )
    }


def purchase_order_lines() -> list[tuple[str, int]]:
    return sorted(
        (line.variant.sku, line.quantity)
        for line in db.session.scalars(sa.select(PurchaseOrderLine))
    )


def test_the_reorder_list_ticks_all_or_none_and_none_orders_nothing(app, staff, low_stock):
    client = signed_in(app, roles.WAREHOUSE, staff)
    page = text_of(client.get("/admin/reorder"))
    assert reorder_boxes(page) == {"LAMP-1": True, "LANTERN-1": True}  # with a supplier
    assert reorder_boxes(text_of(client.get("/admin/reorder?tick=none"))) == {
        "LAMP-1": False, "LANTERN-1": False,
    }  # fmt: skip
    assert 'href="/admin/reorder?tick=reorder"' in page

    response = client.post("/admin/reorder", data={})  # every box unticked
    assert response.status_code == 422
    assert "Tick the variants to order first." in errors_beside(text_of(response), "variant_ids")
    assert db.session.scalar(sa.select(sa.func.count(PurchaseOrder.id))) == 0


def test_a_quantity_typed_on_the_reorder_list_is_what_the_purchase_order_asks(
    app, staff, low_stock
):
    client = signed_in(app, roles.WAREHOUSE, staff)
    lamp, lantern = low_stock["LAMP-1"], low_stock["LANTERN-1"]
    page = text_of(client.get("/admin/reorder"))
    assert re.search(rf'name="quantity_{lamp.id}"[^>]* value="10"', page)  # the suggestion
    response = client.post(
        "/admin/reorder",
        data={"variant_ids": [str(lamp.id), str(lantern.id)], f"quantity_{lamp.id}": "25",
              f"quantity_{lantern.id}": "3"},
    )  # fmt: skip
    assert response.status_code == 302, text_of(response)
    assert purchase_order_lines() == [("LAMP-1", 25), ("LANTERN-1", 3)]


@pytest.mark.parametrize("typed", ["0", "-4", "ten", "2.5", "10000001", "99999999999999999999"])
def test_a_bad_quantity_is_refused_beside_its_row_and_nothing_is_ordered(
    app, staff, low_stock, typed
):
    client = signed_in(app, roles.WAREHOUSE, staff)
    lamp, lantern = low_stock["LAMP-1"], low_stock["LANTERN-1"]
    response = client.post(
        "/admin/reorder",
        data={"variant_ids": [str(lamp.id), str(lantern.id)], f"quantity_{lamp.id}": typed,
              f"quantity_{lantern.id}": "3"},
    )  # fmt: skip
    assert response.status_code == 422
    page = text_of(response)
    assert errors_beside(page, f"quantity_{lamp.id}") in (
        ["Enter a whole number, like 5."],
        ["Enter a whole number from 1 to 1,000,000."],
    )
    assert errors_beside(page, f"quantity_{lantern.id}") == []
    assert f'value="{typed}"' in page  # what was typed stays, to be corrected
    assert reorder_boxes(page) == {"LAMP-1": True, "LANTERN-1": True}
    assert db.session.scalar(sa.select(sa.func.count(PurchaseOrder.id))) == 0


def test_the_reorder_service_refuses_a_bad_quantity_too(app, staff, low_stock):
    lamp = low_stock["LAMP-1"]
    with pytest.raises(PurchasingError) as refused:
        create_draft_pos([lamp.id], staff[roles.OWNER], quantities={lamp.id: 0})
    assert refused.value.field == f"quantity_{lamp.id}"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(PurchaseOrder.id))) == 0


# --- one date format, counts that agree -----------------------------------------------


def test_a_day_reads_the_same_on_every_page_and_on_the_invoice(app, lamp, clock, staff):
    clock.move_to(datetime(2026, 3, 2, 15, 5, tzinfo=UTC))  # 10:05 in Toronto
    order = buy(app, [(lamp, 1)], email="march@example.com")
    invoice = invoice_for_order(order)
    client = signed_in(app, roles.OWNER, staff)

    invoices = text_of(client.get("/admin/accounting/invoices"))
    journal = text_of(client.get("/admin/accounting/journal?source=sale"))
    orders = text_of(client.get("/admin/orders"))
    assert column(invoices, "invoices", 1) == ["Mar 2, 2026, 10:05\u202fa.m."]
    assert "<td>Mar 2, 2026</td>" in journal
    assert "Mar 2, 2026, 10:05\u202fa.m." in orders
    pdf = client.get(f"/admin/invoices/{invoice.number}.pdf")
    assert "Mar 2, 2026" in " ".join(pdf_pages(pdf.data))
    for page in (invoices, journal, orders):
        assert "2026-03-02" not in re.sub(r'(href|value|action)="[^"]*"', "", page)


def test_counts_agree_with_their_nouns(app, lamp, staff):
    buy(app, [(lamp, 1)], email="one@example.com")
    client = signed_in(app, roles.OWNER, staff)
    assert "1 order</p>" in text_of(client.get("/admin/orders"))
    assert "1 document (credit notes" in text_of(client.get("/admin/accounting/invoices"))
    dashboard = " ".join(text_of(client.get("/admin/")).split())
    assert "1 paid order</strong></a> with goods ready to ship" in dashboard
    buy(app, [(lamp, 2)], email="two@example.com")
    assert "2 orders</p>" in text_of(client.get("/admin/orders"))


def test_plural_follows_the_locale_s_rules(app):
    from shop.formatting import plural

    assert [plural(n, "unit") for n in (0, 1, 2, 1250)] == [
        "0 units", "1 unit", "2 units", "1,250 units",
    ]  # fmt: skip
    assert (
        plural(1, "entry", "entries") == "1 entry" and plural(3, "entry", "entries") == "3 entries"
    )


def test_the_tick_links_keep_the_filters_and_ignore_url_options(app, staff, three_shipments):
    client = signed_in(app, roles.WAREHOUSE, staff)
    response = client.get("/admin/shipments?status=packing&_scheme=ftp&_external=1")
    assert response.status_code == 200
    page = text_of(response)
    assert 'href="/admin/shipments?status=packing&tick=print"' in page
    assert "ftp:" not in page
