"""What search engines and link previews read of a product page: the meta description,
Open Graph tags, the canonical address and schema.org Product data (JSON-LD) with its
price and availability; and the button a person presses, "Pre-order" when the item
ships later. Every address in them is the store's public one, whatever Host was asked.
"""

import json
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from shop.catalogue.models import ProductImage
from shop.clock import store_today
from shop.extensions import db
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    SupplierFactory,
    VariantFactory,
)

PUBLIC = "https://shop.example.com/store"
OTHER = "evil.example"
SCHEMA = "https://schema.org/"
LONG_TEXT = (
    "A roomy two-person tent for three seasons, with two doors and two vestibules so nobody "
    "climbs over anybody at night, a full-coverage fly that sheds wind and rain, and colour-"
    "coded poles that go up in minutes even in the dark."
)


@pytest.fixture
def app_config():
    return {"BASE_URL": PUBLIC, "TRUSTED_HOSTS": [OTHER]}


class PageData(HTMLParser):
    """The head's meta and link tags, the JSON-LD blocks and the add-to-cart button."""

    def __init__(self, html: str):
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self.json_ld: list[str] = []
        self.buttons: list[str] = []
        self._in_json = False
        self._in_add_form = False
        self._in_button = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and ("name" in attrs or "property" in attrs):
            self.meta[attrs.get("name") or attrs["property"]] = attrs.get("content", "")
        elif tag == "link":
            self.links[attrs["rel"]] = attrs["href"]
        elif tag == "script" and attrs.get("type") == "application/ld+json":
            self._in_json = True
            self.json_ld.append("")
        elif tag == "form" and "add-to-cart" in attrs.get("class", ""):
            self._in_add_form = True
        elif tag == "button" and self._in_add_form:
            self._in_button = True
            self.buttons.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_json = False
        elif tag == "form":
            self._in_add_form = False
        elif tag == "button":
            self._in_button = False

    def handle_data(self, data):
        if self._in_json:
            self.json_ld[-1] += data
        elif self._in_button:
            self.buttons[-1] += data

    def product(self) -> dict:
        """The one schema.org Product (or ProductGroup) of the page, parsed back."""
        assert len(self.json_ld) == 1, self.json_ld
        return json.loads(self.json_ld[0])

    def button(self) -> str | None:
        """The add button's words, as a person reads them; None without one."""
        assert len(self.buttons) <= 1
        return " ".join(self.buttons[0].split()) if self.buttons else None


def page_of(client, path: str) -> PageData:
    response = client.get(path)
    assert response.status_code == 200, path
    return PageData(response.get_data(as_text=True))


@pytest.fixture
def evil(app):
    """A browser whose every request says Host: evil.example."""
    client = app.test_client()
    client.base_url = f"http://{OTHER}"
    return client


@pytest.fixture
def shelf(app, tax_class):
    """A tent in stock (with a picture and a barcode), a stove on order from a supplier
    10 days away, and a lamp out of stock that cannot be backordered."""
    tent = VariantFactory(
        product=ProductFactory(name="Ridge Tent 2P", slug="ridge-tent", description=LONG_TEXT),
        sku="TENT-2P", price=12900, barcode="0123456789012", stock=7,
    )  # fmt: skip
    db.session.add(ProductImage(product=tent.product, filename="ridge-tent-ab12.jpg", alt="Tent"))
    stove = VariantFactory(
        product=ProductFactory(name="Camp Stove", slug="camp-stove"),
        sku="STOVE-1", price=8950, stock=0,
    )  # fmt: skip
    stove.stock.supplier = SupplierFactory(lead_time_days=10)
    lamp = VariantFactory(
        product=ProductFactory(name="Brass Lamp", slug="brass-lamp", backorderable=False),
        sku="LAMP-1", price=4000, stock=0,
    )  # fmt: skip
    db.session.commit()
    return {"tent": tent, "stove": stove, "lamp": lamp}


def assert_one_offer(data: dict, *, sku: str, price: str, availability: str) -> dict:
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Product"
    assert data["sku"] == sku
    offer = data["offers"]
    assert offer["@type"] == "Offer"
    assert offer["price"] == price and isinstance(offer["price"], str)
    assert offer["priceCurrency"] == "CAD"
    assert offer["availability"] == SCHEMA + availability
    assert offer["url"] == data["url"]
    return offer


def test_an_in_stock_product_tells_search_engines_its_price_and_that_it_ships_now(shelf, evil):
    page = page_of(evil, "/p/ridge-tent")
    canonical = f"{PUBLIC}/p/ridge-tent"

    data = page.product()
    assert data["name"] == "Ridge Tent 2P"
    assert data["description"] == LONG_TEXT
    assert data["url"] == canonical
    assert data["gtin13"] == "0123456789012"
    assert data["image"] == [f"{PUBLIC}/media/ridge-tent-ab12.product.webp"]
    offer = assert_one_offer(data, sku="TENT-2P", price="129.00", availability="InStock")
    assert "availabilityStarts" not in offer

    description = page.meta["description"]
    kept = description.removesuffix("…")
    assert len(description) <= 155 and kept != description and LONG_TEXT.startswith(kept)
    assert not LONG_TEXT[len(kept)].isalnum()  # cut between words
    assert page.meta["og:type"] == "product"
    assert page.meta["og:site_name"] == "Maple & Pine Outfitters"
    assert page.meta["og:title"] == "Ridge Tent 2P"
    assert page.meta["og:description"] == description
    assert page.meta["og:url"] == canonical
    assert page.meta["og:image"] == f"{PUBLIC}/media/ridge-tent-ab12.product.webp"
    assert page.links["canonical"] == canonical
    assert page.button() == "Add to cart"


def test_an_item_that_ships_later_is_a_backorder_with_its_date_and_a_pre_order_button(shelf, evil):
    page = page_of(evil, "/p/camp-stove")
    data = page.product()
    assert data["name"] == "Camp Stove"
    offer = assert_one_offer(data, sku="STOVE-1", price="89.50", availability="BackOrder")
    # 10 days from the supplier and 2 of handling: the date the page itself shows
    assert offer["availabilityStarts"] == (store_today() + timedelta(days=12)).isoformat()
    assert page.meta["description"] == "A fine thing."
    assert "og:image" not in page.meta and "image" not in data  # it has no picture
    assert page.meta["og:url"] == page.links["canonical"] == f"{PUBLIC}/p/camp-stove"
    assert page.button() == "Pre-order"


def test_an_item_that_cannot_be_bought_is_out_of_stock_and_has_no_button(shelf, evil):
    page = page_of(evil, "/p/brass-lamp")
    offer = assert_one_offer(page.product(), sku="LAMP-1", price="40.00", availability="OutOfStock")
    assert "availabilityStarts" not in offer
    assert page.button() is None


def test_each_variant_has_its_own_offer_and_the_button_fits_the_variant_shown(app, tax_class):
    jacket = ProductFactory(
        name="Rain Shell", slug="rain-shell", option1_name="Size", option2_name="Colour"
    )
    small = VariantFactory(product=jacket, option1="S", option2="Red", stock=0)
    small.stock.supplier = SupplierFactory(lead_time_days=5)
    medium = VariantFactory(product=jacket, option1="M", option2="Red", stock=4)
    db.session.commit()
    client = app.test_client()

    # Without a choice the page shows (and its form posts) the first variant in stock.
    page = page_of(client, "/p/rain-shell")
    assert page.button() == "Add to cart"
    group = page.product()
    assert group["@type"] == "ProductGroup"
    assert group["name"] == "Rain Shell"
    assert group["url"] == f"{PUBLIC}/p/rain-shell"
    assert group["variesBy"] == [SCHEMA + "size", SCHEMA + "color"]
    by_sku = {v["sku"]: v for v in group["hasVariant"]}
    assert set(by_sku) == {small.sku, medium.sku}
    small_offer = by_sku[small.sku]["offers"]
    assert by_sku[small.sku]["size"] == "S" and by_sku[small.sku]["color"] == "Red"
    assert small_offer["availability"] == SCHEMA + "BackOrder"
    assert small_offer["availabilityStarts"] == (store_today() + timedelta(days=7)).isoformat()
    assert small_offer["url"] == f"{PUBLIC}/p/rain-shell?variant={small.id}"
    assert by_sku[medium.sku]["offers"]["availability"] == SCHEMA + "InStock"
    assert by_sku[medium.sku]["offers"]["price"] == "25.00"

    # The sold-out size chosen: the button says what pressing it does.
    assert page_of(client, f"/p/rain-shell?variant={small.id}").button() == "Pre-order"
    assert page_of(client, f"/p/rain-shell?variant={medium.id}").button() == "Add to cart"


def test_product_text_cannot_close_the_json_script(app, tax_class):
    trap = 'Bold </script><script>alert("x")</script> & <b>more</b>'
    VariantFactory(product=ProductFactory(name="Trap </script>", slug="trap", description=trap))
    response = app.test_client().get("/p/trap")
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html
    page = PageData(html)
    data = page.product()
    assert data["name"] == "Trap </script>"
    assert data["description"] == " ".join(trap.split())
    assert page.meta["description"] == trap


def test_home_and_category_pages_have_a_meta_description(app, tax_class):
    CategoryFactory(name="Tents", slug="tents", description="Tents for   one to six people.")
    CategoryFactory(name="Mugs", slug="mugs", description="")
    client = app.test_client()
    tagline = app.config["TAGLINE"]
    assert tagline
    home = page_of(client, "/")
    assert home.meta["description"] == tagline
    assert home.links["canonical"] == f"{PUBLIC}/"
    assert page_of(client, "/c/tents").meta["description"] == "Tents for one to six people."
    mugs = page_of(client, "/c/mugs")
    assert mugs.meta["description"] == tagline
    assert mugs.links["canonical"] == f"{PUBLIC}/c/mugs"


def test_the_sitemap_and_robots_txt_name_the_public_address_whatever_the_host(shelf, evil):
    from xml.etree import ElementTree

    response = evil.get("/sitemap.xml")
    assert response.status_code == 200
    namespace = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = [
        url.findtext("sm:loc", namespaces=namespace)
        for url in ElementTree.fromstring(response.data).findall("sm:url", namespace)
    ]
    for slug in ("ridge-tent", "camp-stove", "brass-lamp"):
        assert f"{PUBLIC}/p/{slug}" in locations
    assert all(loc.startswith(PUBLIC + "/") for loc in locations), locations
    assert f"Sitemap: {PUBLIC}/sitemap.xml" in evil.get("/robots.txt").get_data(as_text=True)
