"""The customer after paying: line statuses, shipments and tracking on the order page,
the invoice and credit notes to download, "Track your order" and "Buy again".

Orders are placed and paid through the demo checkout and shipped through the back
office, as customers and the warehouse do.
"""

import html
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from shop.billing.models import Invoice
from shop.cart.models import Cart
from shop.catalogue.models import Product
from shop.extensions import db
from shop.fulfilment.line_status import line_status
from shop.fulfilment.models import Shipment
from shop.fulfilment.tracking import tracking_link
from shop.orders.models import Order, OrderLine
from shop.shipping.models import Carrier
from shop.storefront.orders import NOT_FOUND, READ_ONLY
from tests.conftest import log_in
from tests.factories import ProductFactory, UserFactory, VariantFactory
from tests.factories.store import tent_and_stove
from tests.integration.backoffice_helpers import flashes, text_of
from tests.integration.document_helpers import pdf_pages
from tests.integration.order_helpers import buy

CANADA_POST_TRACKING = "https://www.canadapost-postescanada.ca/track-reperez/en#/details/"


@pytest.fixture
def store(app):
    store = tent_and_stove(boxed=False, at_cost=True)
    lamp = VariantFactory(
        product=ProductFactory(name="Lantern", backorderable=False), sku="LAMP-1", price=3900,
        tax_class=store["classes"]["standard"], stock=1,
    )  # fmt: skip
    return {"tent": store["tent"], "stove": store["stove"], "lamp": lamp}


@pytest.fixture
def guest(app):
    return app.test_client()


@pytest.fixture
def split_order(app, store, guest):
    """2 tents in stock and a stove backordered, shipping what is in stock now; paid."""
    return buy(
        app, [(store["tent"], 2), (store["stove"], 1)], email="ann@example.com",
        policy="ship_available_now", client=guest,
    )  # fmt: skip


def ship(warehouse, order) -> Shipment:
    response = warehouse.post(f"/admin/fulfilment/orders/{order.number}/start")
    assert response.status_code == 302, text_of(response)
    number = response.headers["Location"].rsplit("/", 1)[-1]
    response = warehouse.post(f"/admin/shipments/{number}/confirm")
    assert response.status_code == 302, text_of(response)
    return db.session.scalar(sa.select(Shipment).where(Shipment.number == number))


def start_packing(warehouse, order) -> Shipment:
    response = warehouse.post(f"/admin/fulfilment/orders/{order.number}/start")
    assert response.status_code == 302, text_of(response)
    number = response.headers["Location"].rsplit("/", 1)[-1]
    return db.session.scalar(sa.select(Shipment).where(Shipment.number == number))


def order_page(client, order, **query) -> str:
    response = client.get(f"/orders/{order.number}", query_string=query)
    assert response.status_code == 200
    return text_of(response)


def line_statuses(page: str) -> dict[str, str]:
    """SKU -> the status the order page shows for its line."""
    rows = re.findall(r'<tr data-sku="([^"]+)">(.*?)</tr>', page, re.S)
    return {
        sku: re.sub(
            r"\s+", " ", re.search(r'class="line-status"[^>]*>(.*?)</td>', row, re.S)[1]
        ).strip()
        for sku, row in rows
    }


def shown_date(app, day) -> str:
    with app.test_request_context():
        return app.jinja_env.filters["date"](day)


def fresh(order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


# --- line statuses ------------------------------------------------------------------


def test_a_shipped_line_says_shipped_not_allocated(app, guest, warehouse, split_order):
    stove_date = next(ln for ln in split_order.lines if ln.sku == "STOVE-1").expected_ship_date
    assert line_statuses(order_page(guest, split_order)) == {
        "TENT-1": "Reserved",
        "STOVE-1": f"Backordered (ships about {shown_date(app, stove_date)})",
    }
    start_packing(warehouse, split_order)
    assert line_statuses(order_page(guest, split_order))["TENT-1"] == "Packed"
    warehouse.post(f"/admin/shipments/{_packing(split_order).number}/confirm")
    statuses = line_statuses(order_page(guest, split_order))
    assert statuses["TENT-1"] == "Shipped"
    assert statuses["STOVE-1"] == f"Backordered (ships about {shown_date(app, stove_date)})"


def _packing(order) -> Shipment:
    return db.session.scalar(
        sa.select(Shipment).where(Shipment.order_id == order.id, Shipment.status == "packing")
    )


def test_line_status_splits_a_line_into_its_parts(app):
    with app.test_request_context():
        mixed = OrderLine(
            quantity=3, quantity_shipped=2, quantity_allocated=0, quantity_backordered=1,
            quantity_cancelled=0, quantity_returned=0, expected_ship_date=date(2026, 12, 14),
        )  # fmt: skip
        assert line_status(mixed).label == "2 shipped, 1 backordered (ships about Dec 14, 2026)"
        assert [(p.quantity, p.state, p.date) for p in line_status(mixed).parts] == [
            (2, "shipped", None),
            (1, "backordered", date(2026, 12, 14)),
        ]
        returned = OrderLine(
            quantity=2, quantity_shipped=2, quantity_allocated=0, quantity_backordered=0,
            quantity_cancelled=0, quantity_returned=1,
        )  # fmt: skip
        assert line_status(returned).label == "1 returned, 1 shipped"
        cancelled = OrderLine(
            quantity=2, quantity_shipped=0, quantity_allocated=0, quantity_backordered=0,
            quantity_cancelled=2, quantity_returned=0,
        )  # fmt: skip
        assert line_status(cancelled).label == "Cancelled"
        packing = OrderLine(
            quantity=3, quantity_shipped=0, quantity_allocated=3, quantity_backordered=0,
            quantity_cancelled=0, quantity_returned=0,
        )  # fmt: skip
        assert line_status(packing, packing=2).label == "2 packed, 1 reserved"
        expired = OrderLine(
            quantity=1, quantity_shipped=0, quantity_allocated=0, quantity_backordered=0,
            quantity_cancelled=0, quantity_returned=0,
        )  # fmt: skip
        assert line_status(expired).label == "Not reserved"


def test_the_back_office_order_page_shows_the_same_status(app, staff, warehouse, split_order):
    ship(warehouse, split_order)
    page = text_of(warehouse.get(f"/admin/orders/{split_order.number}"))
    assert re.search(r'<td class="line-status"[^>]*>Shipped</td>', page)
    assert re.search(r'<td class="line-status"[^>]*>Backordered \(ships about', page)


# --- shipments and tracking -------------------------------------------------------------


def test_the_order_page_shows_each_shipment_with_its_tracking_link(
    app, guest, warehouse, split_order
):
    shipment = ship(warehouse, split_order)
    page = order_page(guest, split_order)
    section = page[page.index(f'id="shipment-{shipment.number}"') :]
    section = section[: section.index("</section>")]
    # the store's calendar day of the moment it left (not the UTC one)
    assert f"shipped {shown_date(app, shipment.shipped_at)}" in section
    assert "Canada Post Regular Parcel" in section
    assert f'href="{CANADA_POST_TRACKING}{shipment.tracking_number}"' in section
    assert re.search(r"Ridge Tent .*?SKU TENT-1</span></td><td class=\"num\">2</td>", section)
    assert "Camp Stove" not in section


def test_the_shipped_email_links_the_tracking_page_and_shows_line_statuses(
    app, warehouse, split_order
):
    from shop.notifications.models import OutboxMessage

    shipment = ship(warehouse, split_order)
    [email] = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "shipment_shipped")
    ).all()
    link = f"{CANADA_POST_TRACKING}{shipment.tracking_number}"
    assert f"Track it: {link}" in email.body_text
    assert f'href="{link}"' in html.unescape(email.body_html)
    assert "2 x Ridge Tent: Shipped" in email.body_text
    assert "1 x Camp Stove: Backordered (ships about" in email.body_text
    assert f"http://shop.test/orders/{split_order.number}?t=" in email.body_text


def test_a_tracking_link_escapes_the_number():
    assert tracking_link("https://track.example/{number}?x=1", "AB 12/3&") == (
        "https://track.example/AB%2012%2F3%26?x=1"
    )
    assert tracking_link("", "123") is None
    assert tracking_link("https://track.example/", "123") is None  # no place for it


def test_a_carrier_without_a_tracking_page_shows_the_number_without_a_link(
    guest, warehouse, split_order
):
    db.session.execute(sa.update(Carrier).values(tracking_url=""))
    db.session.commit()
    shipment = ship(warehouse, split_order)
    page = order_page(guest, split_order)
    assert f"<strong>{shipment.tracking_number}</strong>" in page
    assert "tracking-link" not in page


# --- invoice and credit notes ---------------------------------------------------------


def invoice_number(page: str) -> str:
    return re.search(r"Invoice ((?:INV|[A-Z]+)-[0-9-]+)", page)[1]


def test_a_guest_downloads_the_invoice_with_the_link_token(app, split_order):
    from shop.billing.services import invoice_for_order

    invoice = invoice_for_order(split_order)
    emailed = app.test_client()  # another browser, with only the emailed link
    page = order_page(emailed, split_order, t=split_order.access_token)
    pdf_link = f"/orders/{split_order.number}/documents/{invoice.number}.pdf?t="
    assert pdf_link in page
    response = emailed.get(
        f"/orders/{split_order.number}/documents/{invoice.number}.pdf",
        query_string={"t": split_order.access_token},
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert invoice.number in pdf_pages(response.data)[0]
    xml = emailed.get(
        f"/orders/{split_order.number}/documents/{invoice.number}.xml",
        query_string={"t": split_order.access_token},
    )
    assert xml.status_code == 200 and invoice.number.encode() in xml.data
    # Without the token (or with a wrong one) a stranger finds nothing.
    stranger = app.test_client()
    url = f"/orders/{split_order.number}/documents/{invoice.number}.pdf"
    assert stranger.get(url).status_code == 404
    assert stranger.get(url, query_string={"t": "wrong"}).status_code == 404


def test_another_orders_document_or_customer_is_not_found(app, store, split_order, customer):
    from shop.billing.services import invoice_for_order

    other = buy(app, [(store["tent"], 1)], email="bob@example.com")
    theirs = invoice_for_order(other)
    mine = app.test_client()
    assert (
        mine.get(
            f"/orders/{split_order.number}/documents/{theirs.number}.pdf",
            query_string={"t": split_order.access_token},
        ).status_code
        == 404
    )
    # A logged-in customer with someone else's order number: not found either.
    log_in(mine, customer.email)
    invoice = invoice_for_order(split_order)
    assert mine.get(f"/orders/{split_order.number}").status_code == 404
    url = f"/orders/{split_order.number}/documents/{invoice.number}.pdf"
    assert mine.get(url).status_code == 404


def test_a_customer_opens_their_order_and_invoice_from_the_account(app, store):
    user = UserFactory(email="dee@example.com", name="Dee")
    client = app.test_client()
    log_in(client, user.email)
    order = buy(app, [(store["tent"], 1)], email=user.email, client=client)
    from shop.billing.services import invoice_for_order

    invoice = invoice_for_order(order)
    account = text_of(client.get("/account/"))
    assert f'href="/orders/{order.number}"' in account
    page = order_page(client, order)
    assert f"Invoice {invoice.number}" in page
    assert client.get(f"/orders/{order.number}/documents/{invoice.number}.pdf").status_code == 200


# --- Track your order ---------------------------------------------------------------


def track(client, number, contact):
    return client.post("/orders/track", data={"number": number, "contact": contact})


def test_track_your_order_from_the_footer_by_email_or_postal_code(app, split_order):
    visitor = app.test_client()
    home = text_of(visitor.get("/"))
    assert '<a href="/orders/track">Track your order</a>' in home
    assert visitor.get(f"/orders/{split_order.number}").status_code == 404  # not yet
    assert visitor.get("/orders/track").status_code == 200

    response = track(visitor, split_order.number.lower(), "  ANN@example.com ")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/orders/{split_order.number}")
    assert "Ridge Tent" in order_page(visitor, split_order)

    by_postcode = app.test_client()
    assert track(by_postcode, split_order.number, "m5h2n2").status_code == 303
    assert "Ridge Tent" in order_page(by_postcode, split_order)


def test_tracking_by_postal_code_shows_the_order_but_acts_on_nothing(app, split_order):
    """The postal code is printed on the parcel: it shows where the order is, but cancelling,
    returning and the documents (with the link's token) need the email or the link."""
    by_postcode = app.test_client()
    track(by_postcode, split_order.number, "M5H 2N2")
    page = order_page(by_postcode, split_order)
    assert "Ridge Tent" in page and "Backordered" in page
    assert flashes(page) == [READ_ONLY]
    assert "cancel-rest" not in page and "Buy again" not in page
    assert split_order.access_token not in page and "documents/" not in page
    invoice = db.session.scalar(sa.select(Invoice).where(Invoice.order_id == split_order.id))
    number = split_order.number
    assert by_postcode.get(f"/orders/{number}/documents/{invoice.number}.pdf").status_code == 404
    token = by_postcode.get("/orders/track")  # a page with this browser's form token
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text_of(token))
    data = {"csrf_token": csrf.group(1)} if csrf else {}
    assert by_postcode.post(f"/orders/{number}/cancel-rest", data=data).status_code == 404
    assert by_postcode.post(f"/orders/{number}/cancel", data=data).status_code == 404
    assert db.session.get(Order, split_order.id).status == "paid"

    by_email = app.test_client()
    track(by_email, number, "ann@example.com")
    assert "cancel-rest" in order_page(by_email, split_order)


def test_tracking_with_a_wrong_detail_says_one_thing_whatever_was_wrong(app, store, split_order):
    theirs = buy(app, [(store["tent"], 1)], email="bob@example.com", postal_code="K1A 0B1")
    visitor = app.test_client()
    answers = [
        track(visitor, split_order.number, "someone@example.com"),  # wrong email
        track(visitor, split_order.number, "K1A 0B1"),  # wrong postal code
        track(visitor, "MP99999", "ann@example.com"),  # no such order
        track(visitor, theirs.number, "ann@example.com"),  # another customer's order
    ]
    for response in answers:
        assert response.status_code == 404
        assert flashes(text_of(response)) == [NOT_FOUND]
    assert visitor.get(f"/orders/{split_order.number}").status_code == 404
    assert visitor.get(f"/orders/{theirs.number}").status_code == 404


def test_tracking_needs_both_fields(app, split_order):
    visitor = app.test_client()
    response = track(visitor, "", "")
    assert response.status_code == 422
    page = text_of(response)
    assert "Enter your order number." in page
    assert "Enter the email or the postal code of the order." in page


# --- Buy again --------------------------------------------------------------------------


def cart_lines(client) -> dict[str, int]:
    with client.session_transaction() as session:
        token = session.get("cart_token")
    cart = db.session.scalar(sa.select(Cart).where(Cart.token == token))
    return {line.variant.sku: line.quantity for line in cart.lines} if cart else {}


def test_buy_again_puts_the_items_in_the_cart_at_todays_prices(app, store, guest):
    order = buy(
        app, [(store["tent"], 1), (store["stove"], 2), (store["lamp"], 1)], client=guest,
        policy="ship_available_now",
    )  # fmt: skip
    # Since then: the tent costs more, the lantern sold out (not backorderable) and the
    # stove is no longer sold.
    store["tent"].price = 37900
    db.session.execute(
        sa.update(Product).where(Product.name == "Camp Stove").values(is_active=False)
    )
    db.session.commit()
    page = order_page(guest, order)
    assert "Buy again" in page
    response = guest.post(f"/orders/{order.number}/buy-again")
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart/")
    assert cart_lines(guest) == {"TENT-1": 1}
    messages = flashes(text_of(guest.get("/cart/")))
    assert "Added to your cart at today's prices: Ridge Tent." in messages
    [skipped] = [m for m in messages if m.startswith("Not added")]
    assert "Camp Stove (no longer sold)" in skipped and "Lantern (sold out)" in skipped
    assert "$379.00" in text_of(guest.get("/cart/"))


def test_buy_again_of_someone_elses_order_is_not_found(app, split_order):
    stranger = app.test_client()
    assert stranger.post(f"/orders/{split_order.number}/buy-again").status_code == 404
    assert cart_lines(stranger) == {}


def test_the_thanks_are_for_the_hour_after_paying_not_for_every_visit(clock, guest, split_order):
    """Right after paying the page thanks the customer; a day later (or once the rest is
    cancelled) it says where the order stands, without a thank-you for a new order."""
    page = order_page(guest, split_order)
    assert f"Thank you! Order {split_order.number} is confirmed" in page
    assert "We have emailed a confirmation" in page
    clock.shift(timedelta(days=1))
    page = order_page(guest, split_order)
    assert f"Order {split_order.number} is confirmed" in page
    assert "Thank you!" not in page and "We have emailed a confirmation" not in page
