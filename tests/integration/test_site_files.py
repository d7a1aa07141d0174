"""The files every browser and crawler asks a site for: the favicon (the finding: a
404 on every page) and robots.txt, which keeps crawlers out of carts, accounts,
checkout and the back office."""

import io
import re
from datetime import datetime
from xml.etree import ElementTree

from PIL import Image

from tests.conftest import log_in
from tests.factories import CategoryFactory, ProductFactory, VariantFactory


def icon_links(page: str) -> list[str]:
    return re.findall(r'<link rel="icon" href="([^"]+)"', page)


def test_the_favicon_is_served_and_every_page_links_it(client, staff):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    image = Image.open(io.BytesIO(icon.data))
    assert image.format == "ICO" and image.size[0] >= 32
    assert "max-age" in icon.headers["Cache-Control"]

    log_in(client, staff["owner"].email)
    for path in ("/", "/cart/", "/account/login", "/admin/"):
        page = client.get(path, follow_redirects=True)
        links = icon_links(page.get_data(as_text=True))
        assert links, path
        for link in links:
            assert client.get(link).status_code == 200, (path, link)


def test_robots_txt_keeps_crawlers_out_of_private_pages(client):
    robots = client.get("/robots.txt")
    assert robots.status_code == 200 and robots.mimetype == "text/plain"
    rules = robots.get_data(as_text=True).splitlines()
    assert "User-agent: *" in rules
    for private in ("/admin/", "/account/", "/cart/", "/checkout/", "/orders/"):
        assert f"Disallow: {private}" in rules
    assert not any(rule.strip() == "Disallow: /" for rule in rules)  # the catalogue is open


SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def test_the_sitemap_lists_every_active_product_and_category_at_the_public_address(app, tax_class):
    public = app.config["BASE_URL"]
    tents = CategoryFactory(name="Tents", slug="tents")
    tent = VariantFactory(product=ProductFactory(name="Ridge Tent", slug="ridge", category=tents))
    VariantFactory(product=ProductFactory(name="Old Tent", slug="old-tent", is_active=False))
    VariantFactory(product=ProductFactory(name="Gone Tent", slug="gone-tent"), is_active=False)

    response = app.test_client().get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ElementTree.fromstring(response.data)
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    entries = {
        url.findtext("sm:loc", namespaces=SITEMAP_NS): url.findtext(
            "sm:lastmod", namespaces=SITEMAP_NS
        )
        for url in root.findall("sm:url", SITEMAP_NS)
    }
    assert f"{public}/" in entries
    assert f"{public}/c/tents" in entries
    product_url = f"{public}/p/ridge"
    assert datetime.fromisoformat(entries[product_url]) == tent.product.updated_at.replace(
        microsecond=0
    )
    assert f"{public}/p/old-tent" not in entries  # an inactive product
    assert f"{public}/p/gone-tent" not in entries  # no variant left on sale
    assert all(loc.startswith(public + "/") for loc in entries)

    robots = app.test_client().get("/robots.txt").get_data(as_text=True).splitlines()
    assert f"Sitemap: {public}/sitemap.xml" in robots
