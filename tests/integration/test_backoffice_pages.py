"""The back office as staff read it on a busy day: a menu grouped by who uses it (each
role sees only what it may open), lists newest first, bulk printing where the packer
works, a reorder list to edit before it becomes purchase orders, one date format and
counts that agree with their nouns."""

import re
from datetime import UTC, datetime

import pytest

from shop.accounts import roles
from shop.billing.services import invoice_for_order
from tests.conftest import log_in
from tests.factories import ProductFactory, VariantFactory
from tests.integration.backoffice_helpers import text_of
from tests.integration.checkout_helpers import seed_reference_data
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
