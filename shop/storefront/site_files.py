"""The files browsers and crawlers ask every site for at fixed addresses: the favicon
(without it, every page's first visit logged a 404), robots.txt and the sitemap."""

from flask import Blueprint, Response, current_app, render_template, send_from_directory

from shop.catalogue import queries
from shop.links import public_url

bp = Blueprint("site_files", __name__)

ICON_MAX_AGE = 7 * 86400  # seconds browsers may keep the icon
# Pages of one customer or of staff: nothing a search engine should list or follow.
PRIVATE_PATHS = ("/admin/", "/account/", "/cart/", "/checkout/", "/orders/")


@bp.get("/favicon.ico")
def favicon():
    return send_from_directory(
        current_app.static_folder, "favicon.ico",
        mimetype="image/vnd.microsoft.icon", max_age=ICON_MAX_AGE,
    )  # fmt: skip


@bp.get("/robots.txt")
def robots():
    rules = ["User-agent: *", *(f"Disallow: {path}" for path in PRIVATE_PATHS)]
    rules += ["", f"Sitemap: {public_url('site_files.sitemap')}"]
    return Response("\n".join(rules) + "\n", mimetype="text/plain")


@bp.get("/sitemap.xml")
def sitemap():
    """The home page, every category and every product on sale, at the public address:
    one query for the products and one for the categories, however many there are (a
    sitemap holds up to 50,000 addresses; a catalogue beyond that needs a sitemap index)."""
    xml = render_template(
        "shop/sitemap.xml",
        products=queries.sitemap_products(),
        categories=queries.category_slugs(),
    )
    return Response(xml, mimetype="application/xml")
