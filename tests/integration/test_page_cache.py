"""Category and product pages are kept rendered between requests (shop/page_cache.py),
yet never show what is no longer true: stock, prices, ship dates, products and categories
changed by any service show at the next request, also when another process (a second
gunicorn worker, a job worker) made the change; and no visitor's own parts (name, cart
count, CSRF token) ever reach another visitor.

Every scenario runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

import re
import socket
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from shop import create_app
from shop.backorders import purchase_orders
from shop.catalogue import services as catalogue
from shop.clock import store_today
from shop.db import utcnow
from shop.extensions import db
from shop.formatting import local_date
from shop.inventory import reasons
from shop.inventory.services import adjust_stock
from shop.inventory.variants import save_variant
from shop.purchasing import services as purchasing
from tests.conftest import PASSWORD
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    SupplierFactory,
    UserFactory,
    VariantFactory,
)
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy
from tests.integration.purchasing_helpers import sent_po
from tests.integration.test_query_count import count_queries

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def classes(app):
    return seed_reference_data()


@pytest.fixture
def tent(classes):
    """Three units of a tent that cannot be backordered, in Outdoor > Tents."""
    outdoor = CategoryFactory(name="Outdoor", slug="outdoor")
    tents = CategoryFactory(name="Tents", slug="tents", parent=outdoor)
    product = ProductFactory(name="Ridge Tent", category=tents, backorderable=False)
    variant = VariantFactory(
        product=product, sku="TENT-1", price=19900, tax_class=classes["standard"], stock=3
    )
    variant.stock.supplier = SupplierFactory(lead_time_days=10)
    db.session.commit()
    return variant


@pytest.fixture
def stove(classes):
    """A backorderable stove with none in stock, in Outdoor."""
    outdoor = CategoryFactory(name="Outdoor", slug="outdoor")
    product = ProductFactory(name="Trail Stove", category=outdoor, backorderable=True)
    variant = VariantFactory(
        product=product, sku="STOVE-1", price=4900, tax_class=classes["standard"], stock=0
    )
    variant.stock.supplier = SupplierFactory(lead_time_days=10)
    db.session.commit()
    return variant


def category_page(client, slug: str = "outdoor") -> str:
    response = client.get(f"/c/{slug}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def product_page(client, variant) -> str:
    response = client.get(f"/p/{variant.product.slug}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def both_pages(client, variant) -> tuple[str, str]:
    return category_page(client), product_page(client, variant)


def test_pages_are_kept_rendered_so_the_other_tests_mean_something(client, tent):
    """A write that goes around the services (plain SQL, not through the session) is not
    seen: the page really comes from the cache. Every change below goes through them."""
    category, product = both_pages(client, tent)
    assert "Only 3 left" in category and "Only 3 left" in product
    variant_id = tent.id
    db.session.commit()  # the test's own transaction ends: the plain SQL may write
    with db.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE stock_levels SET on_hand = 1 WHERE variant_id = :v"), {"v": variant_id}
        )
    # the session's CSRF token is signed with the second it is made: the rest must match
    assert without_token(both_pages(client, tent)) == without_token((category, product))


def without_token(pages: tuple[str, str]) -> tuple[str, ...]:
    return tuple(CSRF.sub("csrf_token", page) for page in pages)


def test_a_kept_page_costs_one_query_the_version(client, tent):
    for path in ("/c/outdoor", f"/p/{tent.product.slug}"):
        client.get(path)  # rendered and kept
        with count_queries() as statements:
            assert client.get(path).status_code == 200
        # pysqlite's transaction control (BEGIN) is no query of the page
        queries = [s for s in statements if s.strip().upper() not in ("BEGIN", "ROLLBACK")]
        assert len(queries) == 1 and "page_versions" in queries[0], statements


def test_a_stock_adjustment_shows_at_once(client, tent, staff):
    category, product = both_pages(client, tent)
    assert "Only 3 left" in category and "Only 3 left" in product

    adjust_stock(variant_id=tent.id, quantity=-2, reason=reasons.ADJUSTMENT, user=staff["owner"])
    db.session.commit()

    category, product = both_pages(client, tent)
    assert "Only 1 left" in category and "Only 1 left" in product
    assert "Only 3 left" not in category + product


def test_a_sale_of_the_last_units_shows_at_once(app, client, tent):
    category, product = both_pages(client, tent)
    assert "Add to cart" in product

    buy(app, [(tent, 3)])

    category, product = both_pages(client, tent)
    assert "Out of stock" in category and "Out of stock" in product
    assert "This option cannot be ordered right now." in product
    assert "Add to cart" not in product


def test_a_receipt_shows_at_once_and_so_does_the_purchase_order_before_it(client, stove, staff):
    assert "ships in about 12 days" in product_page(client, stove)  # lead 10 + handling 2

    expected = store_today() + timedelta(days=4)
    po = sent_po(stove, 8, expected=expected)
    ship_date = local_date(expected + timedelta(days=2))
    assert f"around {ship_date}" in product_page(client, stove)

    purchase_orders.receive_purchase_order(
        po=po, quantities={po.lines[0].id: 8}, user=staff["warehouse"]
    )
    db.session.commit()

    category, product = both_pages(client, stove)
    assert "In stock" in category and "In stock" in product
    assert "ships in" not in category + product


def test_a_new_price_shows_at_once(client, tent):
    category, product = both_pages(client, tent)
    assert "$199.00" in category and "$199.00" in product

    save_variant(product=tent.product, variant=tent, data={"sku": tent.sku, "price": 17900})
    db.session.commit()

    category, product = both_pages(client, tent)
    assert "$179.00" in category and "$179.00" in product
    assert "$199.00" not in category + product


def test_a_product_taken_off_sale_disappears_at_once(client, tent):
    assert "Ridge Tent" in category_page(client)
    product_page(client, tent)

    catalogue.save_product(
        data={"category_id": tent.product.category_id, "is_active": False}, product=tent.product
    )
    db.session.commit()

    assert client.get(f"/p/{tent.product.slug}").status_code == 404
    assert "Ridge Tent" not in category_page(client)


def test_a_renamed_category_shows_at_once_where_it_is_named(client, tent):
    assert "Tents" in category_page(client) and "Tents" in product_page(client, tent)
    tents = tent.product.category

    catalogue.save_category(name="Shelters", parent_id=tents.parent_id, category=tents)
    db.session.commit()

    assert "Shelters" in category_page(client, "tents")
    assert "Shelters" in category_page(client)  # the subcategory list of Outdoor
    assert "Shelters" in product_page(client, tent)  # the breadcrumbs


def test_a_change_made_by_another_process_shows_at_once(app, client, tent, staff):
    """Another worker (its own app, its own cache) adjusts stock: this one's page shows it."""
    assert "Only 3 left" in product_page(client, tent)
    other = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "INSTANCE_PATH": app.instance_path,
            "BASE_URL": app.config["BASE_URL"],
        }
    )
    variant_id = tent.id
    db.session.commit()  # the test's own transaction ends: the other process may write
    with other.app_context():
        adjust_stock(variant_id=variant_id, quantity=2, reason=reasons.ADJUSTMENT)
        db.session.commit()
        db.engine.dispose()

    category, product = both_pages(client, tent)
    assert "Only 5 left" in category and "Only 5 left" in product


def test_two_customers_never_see_each_others_name_cart_or_token(app, tent):
    UserFactory(email="ann@example.com", name="Ann Archer")
    UserFactory(email="bob@example.com", name="Bob Baker")
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        ann, bob, guest = app.test_client(), app.test_client(), app.test_client()
        log_in_with_csrf(ann, "ann@example.com")
        log_in_with_csrf(bob, "bob@example.com")
        add_to_cart(ann, tent, 2)

        ann_page, bob_page = product_page(ann, tent), product_page(bob, tent)
        guest_page = product_page(guest, tent)
        assert "Ann Archer" in ann_page and "Bob Baker" not in ann_page
        assert "Bob Baker" in bob_page and "Ann Archer" not in bob_page
        assert "Ann Archer" not in guest_page and "Bob Baker" not in guest_page
        assert cart_count(ann_page) == 2 and cart_count(bob_page) == 0
        ann_token, bob_token = CSRF.search(ann_page)[1], CSRF.search(bob_page)[1]
        assert ann_token != bob_token

        # Each page's token is its reader's: Bob's works for Bob, Ann's does not.
        assert post_add(bob, tent, 1, ann_token).status_code == 400
        assert post_add(bob, tent, 1, bob_token).headers["Location"].endswith("/cart/")

        for client, name, count in ((ann, "Ann Archer", 2), (bob, "Bob Baker", 1)):
            page = category_page(client)
            assert name in page and cart_count(page) == count
        assert cart_count(category_page(guest)) == 0
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def log_in_with_csrf(client, email: str) -> None:
    token = CSRF.search(client.get("/account/login").get_data(as_text=True))[1]
    response = client.post(
        "/account/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def add_to_cart(client, variant, quantity: int) -> None:
    token = CSRF.search(product_page(client, variant))[1]
    assert post_add(client, variant, quantity, token).headers["Location"].endswith("/cart/")


def post_add(client, variant, quantity: int, token: str):
    data = {"variant_id": str(variant.id), "quantity": str(quantity), "csrf_token": token}
    return client.post("/cart/add", data=data)


def cart_count(page: str) -> int:
    return int(re.search(r'<span id="cart-count">(\d+)</span>', page)[1])


def test_a_suppliers_new_lead_time_shows_at_once(client, stove):
    category, product = both_pages(client, stove)
    assert "ships in about 12 days" in category and "ships in about 12 days" in product
    supplier = stove.stock.supplier

    purchasing.save_supplier(
        supplier=supplier, name=supplier.name, email=supplier.email, lead_time_days=20,
        currency=supplier.currency,
    )  # fmt: skip
    db.session.commit()

    category, product = both_pages(client, stove)
    assert "ships in about 22 days" in category and "ships in about 22 days" in product


def test_the_ship_date_moves_on_with_the_calendar(client, stove):
    """Nothing changed in the shop, but tomorrow the same wait ends a day later."""
    today = store_today()
    assert f"around {local_date(today + timedelta(days=12))}" in product_page(client, stove)

    with time_machine.travel(utcnow() + timedelta(days=1)):
        later = product_page(client, stove)
    assert f"around {local_date(today + timedelta(days=13))}" in later


def test_a_cache_that_is_down_costs_speed_never_the_page(app, tent):
    """Redis unreachable (nothing listens on the port): pages are rendered afresh."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    down = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "INSTANCE_PATH": app.instance_path,
            "BASE_URL": app.config["BASE_URL"],
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": f"redis://127.0.0.1:{port}/0",
        }
    )
    slug = tent.product.slug
    db.session.commit()
    with down.app_context():
        client = down.test_client()
        page = client.get(f"/p/{slug}", base_url=app.config["BASE_URL"])
        assert page.status_code == 200 and "Only 3 left" in page.get_data(as_text=True)
        assert client.get("/c/outdoor", base_url=app.config["BASE_URL"]).status_code == 200
        db.session.remove()
        db.engine.dispose()


def search_page(client, words: str = "tent") -> str:
    response = client.get("/search", query_string={"q": words})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_search_results_are_kept_and_follow_stock_prices_and_new_products(client, tent, classes):
    """Search pages are kept like categories (the same words and filters, the same page
    for everybody), and a change shows at the next search."""
    first = search_page(client)
    assert "Ridge Tent" in first and "$199.00" in first
    assert search_page(client) == first  # kept: the same page again
    with count_queries() as statements:
        search_page(client)
    assert not any("search_words" in s or "product_search" in s for s in statements)

    save_variant(product=tent.product, variant=tent, data={"sku": tent.sku, "price": 17900})
    VariantFactory(product=ProductFactory(name="Dome Tent"), tax_class=classes["standard"])
    db.session.commit()

    now = search_page(client)
    assert "$179.00" in now and "$199.00" not in now
    assert "Dome Tent" in now
    other = search_page(client, "dome")  # other words, another page
    assert "Dome Tent" in other and "Ridge Tent" not in other


def stock_changed_in_a_savepoint(variant, *, undone: bool) -> None:
    savepoint = db.session.begin_nested()
    variant.stock.on_hand += 1
    db.session.flush()
    savepoint.rollback() if undone else savepoint.commit()
    db.session.commit()


def test_a_change_its_savepoint_undid_keeps_the_kept_pages(client, tent):
    """An order refused at placing is undone by its savepoint, and the address typed is
    committed: every host keeps its pages, since nothing they show changed."""
    path = f"/p/{tent.product.slug}"
    kept = client.get(path).get_data(as_text=True)
    stock_changed_in_a_savepoint(tent, undone=True)
    with count_queries() as statements:
        assert client.get(path).get_data(as_text=True) == kept
    assert not any("FROM products" in s for s in statements), statements  # not drawn again
    stock_changed_in_a_savepoint(tent, undone=False)
    assert "Only 4 left" in product_page(client, tent)
