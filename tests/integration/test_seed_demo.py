"""`flask seed-demo` builds a believable store, and `--if-empty` leaves it alone."""

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from shop.accounting import chart
from shop.accounting.models import Account, JournalEntry, JournalLine
from shop.accounts import roles
from shop.accounts.models import User
from shop.catalogue.models import Category, Product, ProductImage, Variant
from shop.demo import ean13, option_code
from shop.extensions import db
from shop.inventory import valuation
from shop.inventory.models import StockLevel, StockMovement
from shop.purchasing.services import RECEIPT_SOURCE
from tests.integration.books_helpers import balances
from tests.two_factor_helpers import CODE_STEP_PATH, code_at


@pytest.fixture
def app(demo_app):
    """Every test here reads the demo store: seeded once per worker, copied for each test."""
    return demo_app


@pytest.fixture
def seeded(app, demo_template):
    """The store `flask seed-demo` built, and what it printed (`.output`: the login table)."""
    assert demo_template.exit_code == 0, demo_template.output
    return demo_template


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_catalogue_is_large_nested_stocked_and_real_looking(seeded):
    products = db.session.scalars(sa.select(Product).where(Product.is_active)).all()
    assert len(products) >= 40
    categories = {c.id: c for c in db.session.scalars(sa.select(Category))}
    depths = [len(c.ancestors()) for c in categories.values()]
    assert max(depths) >= 2
    on_hand = db.session.scalars(sa.select(StockLevel.on_hand)).all()
    assert any(q == 0 for q in on_hand)
    assert any(1 <= q <= 5 for q in on_hand)
    assert sum(q > 5 for q in on_hand) > len(on_hand) / 2
    assert any(not p.backorderable for p in products)
    variants = db.session.scalars(sa.select(Variant)).all()
    for v in variants:
        assert v.price > v.cost > 0
        assert v.weight_g > 0 and v.length_mm > 0 and v.width_mm > 0 and v.height_mm > 0
        assert v.barcode == ean13(v.barcode[:12])
        assert v.stock.supplier is not None and v.stock.reorder_point > 0
    assert {v.tax_class.code for v in variants} == {
        "standard", "zero-rated", "printed-books", "childrens-clothing"
    }  # fmt: skip
    # the books and the children's sizes are in the classes the law relieves
    for v in variants:
        if v.sku.startswith("BK-"):
            assert v.tax_class.code == "printed-books", v.sku
        elif v.sku.startswith(("KT-", "KJ-")):
            assert v.tax_class.code == "childrens-clothing", v.sku
    with_colours = [v for v in variants if v.product.option2_name == "Colour"]
    assert with_colours and all(v.option1 and v.option2 for v in with_colours)


def test_on_hand_equals_the_sum_of_movements(seeded):
    totals = dict(
        db.session.execute(
            sa.select(StockMovement.variant_id, sa.func.sum(StockMovement.quantity)).group_by(
                StockMovement.variant_id
            )
        ).all()
    )
    levels = db.session.scalars(sa.select(StockLevel)).all()
    assert len(levels) == count(Variant)
    for level in levels:
        assert level.on_hand == totals.get(level.variant_id, 0), level.variant.sku


def test_the_opening_stock_is_in_the_books_at_cost(seeded):
    """Each variant's opening stock posts inventory / opening balance equity at its cost,
    so the inventory account is the stock at cost, to the cent."""
    levels = db.session.scalars(sa.select(StockLevel)).all()
    for level in levels:
        assert level.stock_value == level.on_hand * level.variant.cost, level.variant.sku
    total = sum(level.stock_value for level in levels)
    assert total > 0 and valuation.stock_value_total() == total
    assert valuation.inventory_balance() == total and valuation.inventory_difference() == 0
    # The rest came in on the demo's received purchase orders, against goods received not
    # billed and then the supplier's bill.
    received = db.session.scalar(
        sa.select(sa.func.sum(JournalLine.debit))
        .join(JournalLine.entry)
        .join(JournalLine.account)
        .where(JournalEntry.source_type == RECEIPT_SOURCE, Account.role == chart.INVENTORY)
    )
    assert received > 0
    assert balances()[chart.OPENING_BALANCE] == -(total - received)


def test_every_product_has_an_image_served_from_media(app, client, seeded):
    folder = Path(app.instance_path) / "images"
    for product in db.session.scalars(sa.select(Product)):
        assert product.images, product.name
        assert (folder / product.main_image.filename).is_file()
    image = db.session.scalars(sa.select(ProductImage)).first()
    response = client.get(f"/media/{image.filename}")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data == (folder / image.filename).read_bytes()


def test_one_account_per_role_and_a_login_table(client, seeded):
    users = db.session.scalars(sa.select(User)).all()
    for role in roles.ALL:
        assert sum(u.role == role for u in users) == 1, role
    customer = next(u for u in users if u.role == roles.CUSTOMER)
    assert customer.addresses and customer.addresses[0].is_default
    assert "owner@example.com" in seeded.output
    assert f"Back office: {client.application.config['BASE_URL']}/admin/ " in seeded.output
    assert "oathtool --totp -b SECRET" in seeded.output


def login_row(seeded, email: str) -> list[str]:
    """The words of the login table's line for this account."""
    return next(line.split() for line in seeded.output.splitlines() if line.startswith(email))


# One seeded store for all the accounts: seeding takes seconds, signing in milliseconds.
def test_only_the_owner_and_bookkeeper_have_a_totp_secret_and_it_signs_them_in(app, seeded):
    for email in ("owner@example.com", "books@example.com"):
        row = login_row(seeded, email)
        password, secret = row[1], row[-1]
        assert re.fullmatch(r"[A-Z2-7]{32}", secret), email
        browser = app.test_client()
        response = browser.post("/account/login", data={"email": email, "password": password})
        assert response.headers["Location"].startswith(CODE_STEP_PATH), email
        response = browser.post(response.headers["Location"], data={"code": code_at(secret)})
        assert response.status_code == 302, email
        assert response.headers["Location"] == "/admin/"
        assert browser.get("/admin/").status_code == 200, email
    for email in ("sales@example.com", "warehouse@example.com", "carla@example.com"):
        assert len(login_row(seeded, email)) == 3, email  # email, password, role: no secret


def test_if_empty_changes_nothing(app, runner, seeded):
    models = (Product, Variant, Category, StockMovement, User, ProductImage)
    before = {m: count(m) for m in models}
    files = sorted((Path(app.instance_path) / "images").iterdir())
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0
    assert "already has products" in result.output
    db.session.expire_all()
    assert {m: count(m) for m in models} == before
    assert sorted((Path(app.instance_path) / "images").iterdir()) == files
    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code != 0 and "already has products" in refused.output
    db.session.expire_all()
    assert {m: count(m) for m in models} == before


def test_pages_show_products_and_availability(client, seeded):
    home = client.get("/").get_data(as_text=True)
    assert "Outdoor" in home and "Clothing" in home and "Kitchen" in home
    assert 'class="availability' in home
    page = client.get("/c/outdoor").get_data(as_text=True)
    assert "Ridgeline 2 Backpacking Tent" in page
    assert 'class="availability' in page
    assert "/media/" in page
    shirts = client.get("/c/men-t-shirts").get_data(as_text=True)
    assert "Men&#39;s Merino Crew Tee" in shirts and "Clothing" in shirts
    level = db.session.scalars(
        sa.select(StockLevel).where(StockLevel.on_hand == 0).order_by(StockLevel.id)
    ).first()
    product = level.variant.product
    page = client.get(f"/p/{product.slug}?variant={level.variant_id}").get_data(as_text=True)
    assert level.variant.sku in page
    assert "Out of stock" in page


def test_helpers():
    assert ean13("400638133393") == "4006381333931"
    assert option_code("Forest green") == "FG"
    assert option_code("2.8 L") == "28L"
    assert option_code("XL") == "XL"


def test_a_guest_can_buy_from_the_demo_store_with_a_test_card(seeded, client):
    from shop.orders.models import Order
    from tests.integration.checkout_helpers import fill_address, pay, place

    variant = db.session.scalar(
        sa.select(Variant)
        .join(StockLevel)
        .where(StockLevel.on_hand - StockLevel.allocated > 2)
        .order_by(Variant.id)
    )
    client.post("/cart/add", data={"variant_id": str(variant.id), "quantity": "1"})
    page = fill_address(client, province="QC", postal_code="H3A 3C6", city="Montréal")
    text = page.get_data(as_text=True)
    assert "Canada Post Regular Parcel" in text and "Canada Post Priority" in text
    form = client.post(
        "/checkout/delivery",
        data={"service": _first_service(text), "policy": "ship_complete"},
        follow_redirects=True,
    )
    review = form.get_data(as_text=True)
    assert "GST 5%" in review and "QST 9.975%" in review
    page = pay(client, place(client).headers["Location"]).get_data(as_text=True)
    order = db.session.scalar(sa.select(Order))
    assert f"Order {order.number} is confirmed" in page
    assert order.status == "paid"


def _first_service(page: str) -> str:
    import re

    return re.search(r'name="service" value="(\d+)"', page).group(1)
