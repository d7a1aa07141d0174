"""A visitor browses categories, searches and opens products."""

from tests.factories import CategoryFactory, ProductFactory, VariantFactory, product_with_variants


def test_home_lists_top_categories(client, tax_class):
    outdoor = CategoryFactory(name="Outdoor", slug="outdoor")
    CategoryFactory(name="Tents", slug="tents", parent=outdoor)
    page = client.get("/").get_data(as_text=True)
    assert "Outdoor" in page and "Tents" in page


def test_category_page_shows_products_of_subcategories(client, tax_class):
    outdoor = CategoryFactory(name="Outdoor", slug="outdoor")
    tents = CategoryFactory(name="Tents", slug="tents", parent=outdoor)
    VariantFactory(product=ProductFactory(name="Ridge Tent 2P", category=tents), stock=5)
    page = client.get("/c/outdoor").get_data(as_text=True)
    assert "Ridge Tent 2P" in page
    assert "1 product" in page


def test_product_page_shows_price_and_availability(client, tax_class):
    product = product_with_variants(
        name="Merino Tee", options=[("M", "Blue"), ("L", "Blue")], stock=3
    )
    page = client.get(f"/p/{product.slug}").get_data(as_text=True)
    assert "Merino Tee" in page
    assert "$25.00" in page
    assert "Only 3 left" in page


def test_search_matches_name_sku_and_description(client, tax_class):
    VariantFactory(product=ProductFactory(name="Alpine Down Jacket"), sku="JKT-ALP-M", stock=4)
    VariantFactory(
        product=ProductFactory(name="Trail Socks", description="Merino wool blend, cushioned"),
        sku="SCK-TRL",
        stock=4,
    )
    assert "Alpine Down Jacket" in client.get("/search?q=down+jacket").get_data(as_text=True)
    assert "Alpine Down Jacket" in client.get("/search?q=jkt-alp").get_data(as_text=True)
    page = client.get("/search?q=MERINO").get_data(as_text=True)
    assert "Trail Socks" in page and "Alpine" not in page
    page = client.get("/search?q=kayak").get_data(as_text=True)
    assert "No products match" in page


def test_search_treats_wildcards_as_plain_text(client, tax_class):
    VariantFactory(product=ProductFactory(name="Plain Tee"), stock=1)
    assert "No products match" in client.get("/search?q=%25").get_data(as_text=True)
    assert "No products match" in client.get("/search?q=_").get_data(as_text=True)


def test_inactive_products_are_not_shown(client, tax_class):
    hidden = VariantFactory(product=ProductFactory(name="Old Model", is_active=False), stock=1)
    assert "Old Model" not in client.get("/search?q=old").get_data(as_text=True)
    assert client.get(f"/p/{hidden.product.slug}").status_code == 404


def test_category_pages_paginate_and_sort(client, tax_class):
    shelf = CategoryFactory(name="Mugs", slug="mugs")
    for n in range(30):
        VariantFactory(product=ProductFactory(name=f"Mug {n:02d}", category=shelf), price=1000 + n)
    first = client.get("/c/mugs").get_data(as_text=True)
    assert "30 products" in first and "Page 1 of 2" in first
    assert "Mug 00" in first and "Mug 29" not in first
    cheap_last = client.get("/c/mugs?sort=price_desc").get_data(as_text=True)
    assert cheap_last.index("Mug 29") < cheap_last.index("Mug 28")
    second = client.get("/c/mugs?page=2").get_data(as_text=True)
    assert "Mug 29" in second
    assert client.get("/c/mugs?page=abc&sort=bogus").status_code == 200


def test_product_page_variant_choice(client, tax_class):
    product = product_with_variants(
        name="Rain Shell", options=[("S", "Red"), ("M", "Red")], stock=8
    )
    small, medium = product.variants
    medium.price = 15900
    from shop.extensions import db

    db.session.commit()
    page = client.get(f"/p/{product.slug}?variant={medium.id}").get_data(as_text=True)
    assert "$159.00" in page
    assert f'value="{medium.id}"' in page
    assert "S / Red" in page and "M / Red" in page


def test_out_of_stock_variant_says_when_it_ships(client, tax_class):
    from shop.extensions import db
    from tests.factories import SupplierFactory

    variant = VariantFactory(product=ProductFactory(name="Camp Stove"), stock=0)
    variant.stock.supplier = SupplierFactory(lead_time_days=10)
    db.session.commit()
    page = client.get(f"/p/{variant.product.slug}").get_data(as_text=True)
    assert "Out of stock - ships in about 12 days" in page


def test_unknown_pages_get_the_stores_404(client):
    response = client.get("/p/no-such-thing")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    assert "Search" in response.get_data(as_text=True)  # in the store's layout
    assert client.get("/c/nowhere").status_code == 404
    assert client.get("/media/../secret_key").status_code == 404


def test_a_page_number_past_the_last_page_is_not_found_never_a_server_error(client, tax_class):
    shelf = CategoryFactory(name="Tents", slug="tents")
    for n in range(3):
        VariantFactory(product=ProductFactory(name=f"Tent {n}", category=shelf))
    for url in ("/search?q=tent", "/c/tents"):
        for page in ("999999999999999999", "99999", "2"):
            response = client.get(f"{url}&page={page}" if "?" in url else f"{url}?page={page}")
            assert response.status_code == 404, (url, page)
            assert "We could not find that page." in response.get_data(as_text=True)
        assert "Tent 0" in client.get(f"{url}{'&' if '?' in url else '?'}page=0").get_data(
            as_text=True
        )
