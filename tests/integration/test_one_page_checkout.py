"""The one-page checkout (demo provider): address, delivery choice and review on one page,
one post to place the order; the server checks and prices every post again."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from shop.cart import services as carts
from shop.cart.models import Cart
from shop.discounts.models import PERCENT, Discount
from shop.extensions import db
from shop.inventory.services import stock_for
from shop.orders.models import Order
from tests.conftest import log_in
from tests.factories import AddressFactory
from tests.factories.store import tent_and_stove
from tests.integration.backoffice_helpers import errors_beside, flashes
from tests.integration.checkout_helpers import pay, reviewed_token
from tests.integration.one_page_helpers import (
    apply_code,
    place_from_page,
    shown_choice,
    shown_fields,
    shown_total,
    update,
)
from tests.integration.order_helpers import service_id
from tests.integration.race_helpers import at_once

REFUSED = (
    "M5V 2T6 is not a postal code in British Columbia: check the postal code and the province."
)


@pytest.fixture
def store(app):
    return tent_and_stove()


def add(client, variant, quantity=1):
    client.post("/cart/add", data={"variant_id": str(variant.id), "quantity": str(quantity)})


def orders_placed() -> int:
    return db.session.scalar(sa.select(sa.func.count(Order.id)))


def saved_choices() -> dict:
    return carts.checkout_choices(db.session.scalar(sa.select(Cart)))


def test_a_fresh_guest_checks_out_on_one_page_and_pays_with_the_demo_card(client, store):
    add(client, store["tent"], 2)
    page = client.get("/checkout/").get_data(as_text=True)
    assert 'name="full_name"' in page and "Place order and pay" not in page
    assert "Enter your address to see the delivery choices and the total." in page

    response = update(client)  # the address, without JavaScript: "Update prices"
    assert response.status_code == 303 and response.headers["Location"] == "/checkout/"
    page = client.get("/checkout/").get_data(as_text=True)
    assert "Canada Post Regular Parcel" in page and "HST 13%" in page
    assert 'value="Gail Guest"' in page  # the address stays in its fields
    total = shown_total(page)
    assert f"Place order and pay {total}" in page

    response = place_from_page(client, page)
    assert response.status_code == 303
    order = db.session.scalar(sa.select(Order))
    assert response.headers["Location"] == f"/checkout/pay/{order.number}"
    assert order.status == "pending_payment" and stock_for(store["tent"].id).allocated == 2
    assert f"${order.total / 100:,.2f}" == total and order.ship_postal_code == "M5H 2N2"
    assert order.shipping_service_id == int(shown_choice(page)["service"])
    page = pay(client, response.headers["Location"]).get_data(as_text=True)
    assert f"Order {order.number} is confirmed" in page
    db.session.refresh(order)
    assert order.status == "paid"


def test_another_service_ticked_without_updating_asks_to_check_the_new_total(client, store):
    """Without JavaScript the figures shown were for the service ticked before: placing
    with another one shows the page again with its total, and places nothing."""
    add(client, store["tent"], 1)
    update(client)
    page = client.get("/checkout/").get_data(as_text=True)
    shown = shown_choice(page)["service"]
    other = next(
        str(service_id(c)) for c in ("expedited", "priority") if str(service_id(c)) != shown
    )
    response = place_from_page(client, page, service=other)
    assert orders_placed() == 0
    again = client.get(response.headers["Location"]).get_data(as_text=True)
    assert any("check the new figures" in m for m in flashes(again))
    assert shown_choice(again)["service"] == other
    assert place_from_page(client, again).status_code == 303 and orders_placed() == 1


def test_a_signed_in_customer_sees_their_default_address_priced_at_once(client, store, customer):
    saved = AddressFactory(
        user=customer, full_name="Carla Customer", line1="1 Rue Sainte-Catherine",
        city="Montréal", province="QC", postal_code="H3A 3C6", is_default=True,
    )  # fmt: skip
    db.session.commit()
    log_in(client, customer.email)
    add(client, store["tent"], 1)
    page = client.get("/checkout/").get_data(as_text=True)
    assert 'value="Carla Customer"' in page and 'value="carla@example.com"' in page
    assert "QST" in page and "Place order and pay" in page  # Quebec's taxes, before any post
    data = {"saved_address": str(saved.id), **shown_choice(page)}
    response = client.post(
        "/checkout/", data={**data, "reviewed": reviewed_token(page), "action": "place"}
    )
    assert response.status_code == 303, flashes(client.get("/checkout/").get_data(as_text=True))
    order = db.session.scalar(sa.select(Order))
    assert order.user_id == customer.id and order.email == "carla@example.com"
    assert (order.ship_city, order.ship_province) == ("Montréal", "QC")


def test_a_postal_code_of_another_province_is_refused_beside_the_field(client, store):
    add(client, store["tent"], 1)
    update(client)
    page = client.get("/checkout/").get_data(as_text=True)
    before = saved_choices()
    bad = {"city": "Toronto", "province": "BC", "postal_code": "M5V 2T6"}
    response = place_from_page(client, page, **bad)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert errors_beside(text, "postal_code") == [REFUSED]
    assert "Place order and pay" not in text
    assert orders_placed() == 0 and saved_choices() == before  # nothing saved, nothing placed


def test_a_backordered_item_offers_both_policies_with_their_prices(client, store):
    add(client, store["tent"], 1)
    add(client, store["stove"], 1)
    update(client)
    page = client.get("/checkout/").get_data(as_text=True)
    assert "Ship what is in stock now, the rest when it arrives" in page
    assert "Wait and ship everything together" in page
    assert 'data-policy="ship_available_now"' in page and 'data-policy="ship_complete"' in page
    regular = str(service_id("regular"))
    update(client, service=regular, policy="ship_complete")
    together = client.get("/checkout/").get_data(as_text=True)
    assert "in 2 shipments" not in together
    update(client, service=regular, policy="ship_available_now")
    page = client.get("/checkout/").get_data(as_text=True)
    assert "in 2 shipments" in page
    assert shown_choice(page) == {"service": regular, "policy": "ship_available_now"}
    response = place_from_page(client, page)
    assert response.status_code == 303
    order = db.session.scalar(sa.select(Order))
    assert order.shipping_policy == "ship_available_now" and order.shipment_count == 2


def test_a_discount_code_on_the_one_page(client, store):
    db.session.add(Discount(code="SAVE10", kind=PERCENT, percent=Decimal(10), min_subtotal=0))
    db.session.commit()
    add(client, store["tent"], 1)
    update(client)
    page = apply_code(client, "save10")
    text = page.get_data(as_text=True)
    assert page.request.path == "/checkout/" and "Discount code SAVE10 applied." in flashes(text)
    assert 'id="discount"' in text
    response = place_from_page(client, text)
    assert response.status_code == 303
    order = db.session.scalar(sa.select(Order))
    assert order.discount_code == "SAVE10" and order.discount_total == store["tent"].price // 10


VANCOUVER = {"line1": "99 Granville St", "city": "Vancouver", "province": "BC"}


@pytest.fixture
def save10(app):
    db.session.add(Discount(code="SAVE10", kind=PERCENT, percent=Decimal(10), min_subtotal=0))
    db.session.commit()


def test_a_code_applied_with_a_new_address_typed_keeps_and_prices_that_address(
    client, store, save10
):
    add(client, store["tent"], 1)
    update(client)
    page = apply_code(client, "save10", **VANCOUVER, postal_code="V6B 1A1")
    text = page.get_data(as_text=True)
    assert flashes(text) == ["Discount code SAVE10 applied."]
    assert 'value="Vancouver"' in text and "PST 7%" in text and 'id="discount"' in text
    assert saved_choices()["address"]["postal_code"] == "V6B 1A1"


def test_a_refused_code_still_keeps_the_new_address(client, store):
    add(client, store["tent"], 1)
    update(client)
    text = apply_code(client, "nope", **VANCOUVER, postal_code="V6B 1A1").get_data(as_text=True)
    assert flashes(text) == ["There is no discount code NOPE."]
    assert 'value="Vancouver"' in text and "PST 7%" in text and 'id="discount"' not in text
    assert saved_choices().get("discount_code") is None


def test_a_code_typed_but_not_applied_shows_its_total_before_anything_is_placed(
    client, store, save10
):
    """ "Place order and pay" with a code typed and not applied: the page again, with the
    code's total, and nothing placed; placing from that page takes the discount."""
    add(client, store["tent"], 1)
    update(client)
    page = client.get("/checkout/").get_data(as_text=True)
    response = place_from_page(client, page, code="save10")
    assert response.status_code == 303 and response.headers["Location"] == "/checkout/"
    assert orders_placed() == 0
    text = client.get("/checkout/").get_data(as_text=True)
    assert flashes(text) == [
        "Discount code SAVE10 applied. Check the new total, then place your order."
    ]
    assert place_from_page(client, text).status_code == 303
    assert db.session.scalar(sa.select(Order)).discount_code == "SAVE10"


def test_removing_a_code_keeps_the_new_address_typed(client, store, save10):
    add(client, store["tent"], 1)
    update(client)
    apply_code(client, "save10")
    page = client.get("/checkout/").get_data(as_text=True)
    data = {**shown_fields(page), **VANCOUVER, "postal_code": "V6B 1A1", "action": "remove_code"}
    text = client.post("/checkout/", data=data, follow_redirects=True).get_data(as_text=True)
    assert flashes(text) == ["Discount code removed."]
    assert 'value="Vancouver"' in text and 'id="discount"' not in text


def test_an_over_long_code_is_refused_with_a_message(client, store):
    add(client, store["tent"], 1)
    update(client)
    text = apply_code(client, "X" * 41).get_data(as_text=True)
    assert flashes(text) == ["A code has at most 40 characters."]


def test_a_price_changed_between_showing_and_placing_places_nothing(client, store):
    add(client, store["tent"], 1)
    update(client)
    page = client.get("/checkout/").get_data(as_text=True)
    store["tent"].price += 1000  # the owner changes the price meanwhile
    db.session.commit()
    response = place_from_page(client, page)
    assert orders_placed() == 0 and stock_for(store["tent"].id).allocated == 0
    again = client.get(response.headers["Location"]).get_data(as_text=True)
    assert any("check the new figures" in m for m in flashes(again))
    assert shown_total(again) != shown_total(page)  # the new total is shown


@pytest.mark.parametrize(
    ("tampered", "message"),
    [
        ({"service": "99999"}, "Please choose one of the shipping services shown."),
        ({"service": "x'; drop table"}, "Please choose one of the shipping services shown."),
        ({"policy": "teleport"}, "Please choose when to ship."),
        ({"policy": "ship_available_now"}, "Please choose when to ship."),  # nothing waits
        ({"service": ""}, "Please choose one of the shipping services shown."),
    ],
)
def test_tampered_choices_say_why_and_place_nothing(client, store, tampered, message):
    add(client, store["tent"], 1)
    update(client)
    page = client.get("/checkout/").get_data(as_text=True)
    before = saved_choices()
    response = place_from_page(client, page, **tampered)
    assert response.status_code == 422
    assert message in flashes(response.get_data(as_text=True))
    assert orders_placed() == 0 and saved_choices() == before


def test_posted_amounts_and_quantities_are_not_the_customers_to_decide(client, store):
    add(client, store["tent"], 2)
    update(client)
    page = client.get("/checkout/").get_data(as_text=True)
    response = place_from_page(client, page, quantity="-5", total="1", price="0", shipping="0")
    assert response.status_code == 303
    order = db.session.scalar(sa.select(Order))
    assert order.units == 2 and f"${order.total / 100:,.2f}" == shown_total(page)


def test_a_forged_fingerprint_places_nothing(client, store):
    add(client, store["tent"], 1)
    update(client)
    page = client.get("/checkout/").get_data(as_text=True)
    response = place_from_page(client, page, reviewed="0" * 32)
    assert response.status_code == 302 and orders_placed() == 0
    again = client.get("/checkout/").get_data(as_text=True)
    assert any("check the new figures" in m for m in flashes(again))


def test_another_customers_saved_address_cannot_be_used(client, store, customer):
    other = AddressFactory()
    db.session.commit()
    log_in(client, customer.email)
    add(client, store["tent"], 1)
    response = client.post("/checkout/", data={"saved_address": str(other.id), "action": "update"})
    assert response.status_code == 404 and "address" not in saved_choices()


def test_place_order_pressed_twice_at_once_places_one_order(app, client, store):
    """Two posts of one cart at the same moment (a double click, two tabs): the second
    waits for the first one's stock locks, then finds the cart ordered and places nothing."""
    add(client, store["tent"], 1)
    update(client)
    page = client.get("/checkout/").get_data(as_text=True)
    twin = app.test_client()  # the same browser: the same session cookie
    twin.set_cookie("session", client.get_cookie("session", domain="shop.test").value,
                    domain="shop.test")  # fmt: skip
    answers = []

    def click():
        answers.append(place_from_page(client, page).headers["Location"])

    def click_again():
        answers.append(place_from_page(twin, page).headers["Location"])

    outcome = at_once(app, click, click_again)
    assert outcome.failed == [] and orders_placed() == 1
    number = db.session.scalar(sa.select(Order.number))
    # Whichever answer the browser shows last, it leads to paying the one order.
    assert answers == [f"/checkout/pay/{number}"] * 2, answers
    assert stock_for(store["tent"].id).allocated == 1
    assert "Pay" in twin.get(answers[1]).get_data(as_text=True)


def old_cookie_of(app, client):
    """Another request of the same browser, sent before the last answer set its cookie."""
    twin = app.test_client()
    twin.set_cookie("session", client.get_cookie("session", domain="shop.test").value,
                    domain="shop.test")  # fmt: skip
    return twin


def test_a_second_click_answered_after_the_order_leads_to_paying_it(app, client, store):
    """A guest's second "Place order and pay" that reaches the store after the first one
    placed the order: the browser shows the answer of the second, so it must not lose
    the order (the guest has no account to find it in)."""
    add(client, store["tent"], 1)
    update(client)
    page = client.get("/checkout/").get_data(as_text=True)
    second = old_cookie_of(app, client)
    first = place_from_page(client, page)
    again = place_from_page(second, page)
    assert orders_placed() == 1 and again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    shown = second.get(again.headers["Location"]).get_data(as_text=True)
    number = db.session.scalar(sa.select(Order.number))
    assert f"Your order {number} was placed once and waits for payment." in flashes(shown)
    assert pay(second, again.headers["Location"]).status_code == 200
    assert db.session.scalar(sa.select(Order.status)) == "paid"


def test_a_signed_in_customers_second_click_leads_to_paying_the_order(app, client, store, customer):
    log_in(client, customer.email)
    add(client, store["tent"], 1)
    update(client)
    page = client.get("/checkout/").get_data(as_text=True)
    first = place_from_page(client, page)
    again = place_from_page(client, page)
    assert orders_placed() == 1
    assert again.headers["Location"] == first.headers["Location"]


def test_the_browser_whose_order_waits_is_led_to_pay_it_else_its_cart_is_empty(app, client, store):
    """The answer of the first click took the cart out of the session: a later checkout
    post of this browser (a second tab) is led to the order while it waits for payment;
    once it is paid, the cart is just empty."""
    add(client, store["tent"], 1)
    update(client)
    placed = place_from_page(client, client.get("/checkout/").get_data(as_text=True))
    response = client.post("/checkout/", data={"action": "update"})
    assert response.headers["Location"] == placed.headers["Location"]
    pay(client, placed.headers["Location"])
    response = client.post("/checkout/", data={"action": "update"})
    assert response.headers["Location"] == "/cart/"
    assert "Your cart is empty." in flashes(client.get("/cart/").get_data(as_text=True))


def test_a_second_click_answered_after_paying_leads_to_the_paid_order(app, client, store):
    add(client, store["tent"], 1)
    update(client)
    page = client.get("/checkout/").get_data(as_text=True)
    second = old_cookie_of(app, client)
    pay(client, place_from_page(client, page).headers["Location"])
    again = place_from_page(second, page)
    number = db.session.scalar(sa.select(Order.number))
    assert again.status_code == 303 and again.headers["Location"].startswith(f"/orders/{number}")
    shown = second.get(again.headers["Location"]).get_data(as_text=True)
    assert f"Your order {number} was placed once." in flashes(shown)
    assert orders_placed() == 1
