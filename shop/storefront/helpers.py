"""Template filters and globals, and small helpers the views share."""

from urllib.parse import urlsplit

from flask import Flask, abort, current_app, request, session, url_for
from flask_login import current_user

from shop import media
from shop.accounts import roles
from shop.cart.services import item_count
from shop.formatting import (
    full_stop,
    local_date,
    local_datetime,
    local_number,
    local_percent,
    money,
    plural,
)
from shop.fulfilment.line_status import order_line_statuses
from shop.inventory import reasons
from shop.order_history import event_text
from shop.orders import services as orders
from shop.payments.providers import demo_mode

# The orders placed in this browser (by id), which it may open without the link's token,
# and those it found by "Track your order" with a postal code: those it may only read.
ORDERS = "my_orders"
TRACKED = "tracked_orders"


def visible_order(number: str, *, to_read: bool = False):
    """The order if this visitor may act on it (theirs, placed in this browser, tracked with
    its email, or with its link's token ?t=), or only read it (to_read: tracked with its
    postal code, which is printed on the parcel); anything else is 404, whether the order
    exists or not."""
    known = session.get(ORDERS, []) + (session.get(TRACKED, []) if to_read else [])
    order = orders.order_for_customer(
        number=number,
        user=current_user,
        token=request.args.get("t"),
        session_orders=known,
    )
    if order is None:
        abort(404)
    return order


def may_act_on(order) -> bool:
    """Whether this visitor may cancel, return or download what the order page shows."""
    found = orders.order_for_customer(
        number=order.number,
        user=current_user,
        token=request.args.get("t"),
        session_orders=session.get(ORDERS),
    )
    return found is not None


def order_link(order, anchor: str = "", build=url_for) -> str:
    """The order's page with its link token (whoever has the link may see it)."""
    url = build("checkout.order_status", number=order.number, t=order.access_token)
    return url + (f"#{anchor}" if anchor else "")


def is_safe_next(target: str | None) -> bool:
    """Only paths on this site: a login link must not send people elsewhere."""
    if not target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/")


def back_or(default_endpoint: str, **values) -> str:
    """The page the request came from, if it is ours; else the default."""
    referrer = request.referrer
    if referrer:
        parts = urlsplit(referrer)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        # is_safe_next: a path of //other.example would leave the site again.
        if parts.netloc == request.host and is_safe_next(path):
            return path
    return url_for(default_endpoint, **values)


def image_url(image, size: str | None = "product", build=url_for) -> str:
    """Where a browser fetches an image (a ProductImage or a file name such as the logo's)
    at one of shop.media.SIZES ("card", "product"), or its original when size is None.

    A size missing from an image kept before sizes existed is drawn when /media/ is first
    asked for it; from MEDIA_PUBLIC_URL (a public bucket or a CDN) it is not, so
    `flask media renditions` must have drawn it. build=public_url: the address at the
    store's public address, for pages read elsewhere (Open Graph, structured data).
    """
    filename = getattr(image, "filename", image)
    name = filename if size is None else media.rendition_name(filename, size)
    public = current_app.config.get("MEDIA_PUBLIC_URL")
    if public:
        return f"{public}/{name}"
    return build("media.image", filename=name)


def register(app: Flask) -> None:
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["datetime"] = local_datetime
    app.jinja_env.filters["date"] = local_date
    app.jinja_env.filters["number"] = local_number
    app.jinja_env.filters["percent"] = local_percent
    app.jinja_env.filters["full_stop"] = full_stop  # {{ at|datetime|full_stop }} ends a sentence
    app.jinja_env.filters["plural"] = plural  # {{ n|plural("order") }}: "1 order", "2 orders"
    app.jinja_env.filters["event_text"] = event_text  # an order event's sentence
    app.jinja_env.globals["reason_labels"] = reasons.LABELS
    app.jinja_env.globals["image_url"] = image_url
    app.jinja_env.globals["role_labels"] = roles.LABELS
    # Each line's status, from one place (shop.fulfilment.line_status): pages and emails alike.
    app.jinja_env.globals["line_statuses"] = order_line_statuses

    @app.context_processor
    def _globals():
        return {
            "store_name": app.config["STORE_NAME"],
            "cart_count": lambda: item_count(current_user),
            "demo_payments": demo_mode,
        }
