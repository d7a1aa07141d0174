"""The files every browser and crawler asks a site for: the favicon (the finding: a
404 on every page) and robots.txt, which keeps crawlers out of carts, accounts,
checkout and the back office."""

import io
import re

from PIL import Image

from tests.conftest import log_in


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
