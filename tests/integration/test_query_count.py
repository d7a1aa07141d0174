"""Listing pages cost a fixed number of SQL queries, however many products they show.

Pages are rendered afresh here (nothing kept: NullCache), so what is counted is the cost
of rendering them; a page kept rendered (shop/page_cache.py) costs less again, see
tests/integration/test_page_cache.py.
"""

import contextlib

import pytest
import sqlalchemy as sa

from shop.extensions import db
from tests.factories import CategoryFactory, ProductFactory, SupplierFactory, VariantFactory


@contextlib.contextmanager
def count_queries():
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)


@pytest.fixture
def app_config() -> dict:
    return {"CACHE_TYPE": "NullCache"}


def fill(category, n: int) -> None:
    supplier = SupplierFactory()
    for i in range(n):
        product = ProductFactory(category=category, name=f"Item {i}", option1_name="Size")
        for size in ("S", "M"):
            variant = VariantFactory(product=product, option1=size, stock=i % 3)
            variant.stock.supplier = supplier
    db.session.commit()


def queries_for(client, url: str) -> int:
    client.get(url)  # warm up: session, cart cookie
    with count_queries() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_category_page_costs_the_same_queries_for_4_or_48_products(app, tax_class):
    small, large = CategoryFactory(slug="small"), CategoryFactory(slug="large")
    fill(small, 4)
    fill(large, 48)
    client = app.test_client()
    few = queries_for(client, "/c/small")
    many = queries_for(client, "/c/large?sort=price_asc")
    assert few == many, f"{few} queries for 4 products, {many} for 48"
    assert few <= 10


def test_search_costs_the_same_queries_for_few_or_many_results(app, tax_class):
    shelf = CategoryFactory(slug="shelf")
    fill(shelf, 24)
    for i in range(4):
        VariantFactory(product=ProductFactory(category=shelf, name=f"Lamp {i}"), stock=1)
    client = app.test_client()
    many = queries_for(client, "/search?q=item")  # 24 products found
    assert queries_for(client, "/search?q=lamp") == many  # 4
    # one found: "Did you mean" asks, in one more query, whether each word is known
    assert queries_for(client, "/search?q=item+1") == many + 1
    assert many <= 12


def test_the_sitemap_costs_the_same_queries_for_ten_products_as_for_one(app, client, tax_class):
    def sitemap_queries() -> int:
        with count_queries() as statements:
            response = client.get("/sitemap.xml")
        assert response.status_code == 200
        return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    VariantFactory(product=ProductFactory(name="Mug 0"))
    one = sitemap_queries()
    for n in range(1, 10):
        VariantFactory(product=ProductFactory(name=f"Mug {n}"))
    assert sitemap_queries() == one <= 2  # the products, the categories
