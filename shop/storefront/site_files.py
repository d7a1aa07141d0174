"""The files browsers and crawlers ask every site for at fixed addresses: the favicon
(without it, every page's first visit logged a 404) and robots.txt."""

from flask import Blueprint, Response, current_app, send_from_directory

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
    return Response("\n".join(rules) + "\n", mimetype="text/plain")
