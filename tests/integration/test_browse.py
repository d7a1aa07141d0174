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
