"""A visitor fills a cart as a guest, logs in, and the cart follows them."""

import pytest
import sqlalchemy as sa

from shop.cart.models import Cart, CartLine
from shop.extensions import db
from tests.conftest import log_in
from tests.factories import ProductFactory, SupplierFactory, VariantFactory
from tests.integration.account_helpers import register


@pytest.fixture
def tee(tax_class):
    return VariantFactory(product=ProductFactory(name="Merino Tee"), price=3450, stock=20)


@pytest.fixture
def mug(tax_class):
    return VariantFactory(product=ProductFactory(name="Enamel Mug"), price=1299, stock=2)


def add(client, variant_id, quantity="1", follow=True):
    return client.post(
        "/cart/add",
        data={"variant_id": str(variant_id), "quantity": str(quantity)},
        follow_redirects=follow,
    )


def cart_lines() -> list[tuple[int, int]]:
    return list(db.session.execute(sa.select(CartLine.variant_id, CartLine.quantity)).all())


def test_guest_adds_to_cart_and_sees_server_totals(client, tee, mug):
    add(client, tee.id, 2)
    page = add(client, mug.id, 1).get_data(as_text=True)
    assert "Added 1 x Enamel Mug to your cart." in page
    assert "Merino Tee" in page and "Enamel Mug" in page
    assert "$69.00" in page  # 2 x 34.50
    assert "Subtotal (3 items)" in page
    assert "$81.99" in page  # 69.00 + 12.99
    assert 'id="cart-count">3<' in page


def test_adding_the_same_variant_again_raises_the_quantity(client, tee):
    add(client, tee.id, 2)
    add(client, tee.id, 3)
    assert cart_lines() == [(tee.id, 5)]


def test_update_and_remove_a_line(client, tee, mug):
    add(client, tee.id, 1)
    add(client, mug.id, 1)
    line = db.session.scalar(sa.select(CartLine).where(CartLine.variant_id == tee.id))
    page = client.post(f"/cart/lines/{line.id}", data={"quantity": "4"}, follow_redirects=True)
    assert "Cart updated." in page.get_data(as_text=True)
    assert "$138.00" in page.get_data(as_text=True)
    page = client.post(f"/cart/lines/{line.id}/remove", follow_redirects=True).get_data(
        as_text=True
    )
    assert "Removed from your cart." in page
    assert "Merino Tee" not in page
    assert cart_lines() == [(mug.id, 1)]


def test_each_cart_line_shows_its_availability(client, tax_class):
    supplier = SupplierFactory(lead_time_days=10)
    low = VariantFactory(product=ProductFactory(name="Trail Lamp"), stock=3)
    none = VariantFactory(product=ProductFactory(name="Camp Stove"), stock=0)
    none.stock.supplier = supplier
    db.session.commit()
    add(client, low.id, 1)
    page = add(client, none.id, 2).get_data(as_text=True)
    assert "Only 3 left" in page
    assert "Out of stock - ships in about 12 days" in page  # 10 lead + 2 handling
    assert "At checkout you can choose" in page


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("abc", "Enter a whole number from 1 to 999."),
        ("-1", "Enter a whole number from 1 to 999."),
        ("0", "Enter a whole number from 1 to 999."),
        ("1.5", "Enter a whole number from 1 to 999."),
        ("1000000000", "Enter a whole number from 1 to 999."),
        ("", "Enter a whole number from 1 to 999."),
        ("\u00b2", "Enter a whole number from 1 to 999."),  # str.isdigit() says yes, int() no
        ("\u0663", "Enter a whole number from 1 to 999."),  # an Arabic-Indic 3
    ],
)
def test_bad_quantity_is_refused_and_changes_nothing(client, tee, quantity, message):
    add(client, tee.id, 1)
    page = add(client, tee.id, quantity).get_data(as_text=True)
    assert message in page and "invalid literal" not in page
    assert cart_lines() == [(tee.id, 1)]
    line = db.session.scalar(sa.select(CartLine))
    page = client.post(f"/cart/lines/{line.id}", data={"quantity": quantity}, follow_redirects=True)
    assert message in page.get_data(as_text=True)
    assert "invalid literal" not in page.get_data(as_text=True)
    assert cart_lines() == [(tee.id, 1)]


@pytest.mark.parametrize("variant_id", ["999999", "abc", "", "-3", "1.5", "\u00b2", "9" * 20])
def test_unknown_variant_is_refused(client, tee, variant_id):
    response = add(client, variant_id, 1)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "That product is not available." in text or "Choose an option." in text
    assert cart_lines() == []


def test_inactive_variant_cannot_be_added(client, tee):
    tee.is_active = False
    db.session.commit()
    assert "That product is not available." in add(client, tee.id, 1).get_data(as_text=True)
    assert cart_lines() == []


def test_not_backorderable_product_cannot_be_added_beyond_stock(client, tax_class):
    rare = VariantFactory(product=ProductFactory(name="Rare Print", backorderable=False), stock=2)
    page = add(client, rare.id, 3).get_data(as_text=True)
    assert "Only 2 of Rare Print left." in page
    assert cart_lines() == []


def test_cart_line_of_another_visitor_cannot_be_touched(app, tee):
    alice, mallory = app.test_client(), app.test_client()
    add(alice, tee.id, 2)
    line = db.session.scalar(sa.select(CartLine))
    page = mallory.post(f"/cart/lines/{line.id}", data={"quantity": "9"}, follow_redirects=True)
    assert "That line is no longer in your cart." in page.get_data(as_text=True)
    mallory.post(f"/cart/lines/{line.id}/remove")
    assert cart_lines() == [(tee.id, 2)]


def test_guest_cart_is_merged_into_the_customers_cart_at_login(client, customer, tee, mug):
    # The customer already had a mug in their cart from another visit.
    log_in(client, customer.email)
    add(client, mug.id, 1)
    client.post("/account/logout")
    # As a guest they add more.
    add(client, tee.id, 2)
    add(client, mug.id, 1)
    log_in(client, customer.email)
    page = client.get("/cart/").get_data(as_text=True)
    assert "Subtotal (4 items)" in page
    assert sorted(cart_lines()) == sorted([(tee.id, 2), (mug.id, 2)])
    carts = db.session.scalars(sa.select(Cart)).all()
    assert [c.user_id for c in carts] == [customer.id]  # the guest cart is gone


def test_guest_cart_becomes_the_new_customers_cart_at_registration(client, tee):
    add(client, tee.id, 2)
    register(client, "nu@example.com")
    page = client.get("/cart/").get_data(as_text=True)
    assert "Merino Tee" in page and "Subtotal (2 items)" in page


def test_price_shown_in_cart_is_the_catalogue_price_now(client, tee):
    add(client, tee.id, 1)
    tee.price = 2999
    db.session.commit()
    assert "$29.99" in client.get("/cart/").get_data(as_text=True)


@pytest.fixture
def app_config(request):
    return {"WTF_CSRF_ENABLED": True} if "csrf" in request.node.name else {}


def test_csrf_missing_token_is_refused(client, tee):
    response = add(client, tee.id, 1, follow=False)
    assert response.status_code == 400
    assert "Your form expired or came from another site" in response.get_data(as_text=True)
    assert cart_lines() == []


def test_a_refused_first_add_leaves_no_cart_behind(app, tax_class):
    """A guest whose first add is refused gets no cart, so their session can never name
    a cart another guest is given later."""
    rare = VariantFactory(product=ProductFactory(name="Rare Print", backorderable=False), stock=0)
    alice, bob = app.test_client(), app.test_client()
    assert "Rare Print is out of stock." in add(alice, rare.id, 1).get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Cart.id))) == 0
    tee = VariantFactory(product=ProductFactory(name="Plain Tee"), stock=5)
    add(bob, tee.id, 1)
    assert "Your cart is empty" in alice.get("/cart/").get_data(as_text=True)
    assert "Plain Tee" in bob.get("/cart/").get_data(as_text=True)
