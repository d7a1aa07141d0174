"""Orders that cost nothing (a 100 % code with free shipping): paid on placing, never
sent to a provider, and what follows the sale still works for them: the history, the
staff order page, refunds, returns, the invoice. Also the delivery list agreeing with the
figures, with and without a code, and two clicks of "Place order" at the same moment.
"""

from decimal import Decimal
from urllib.parse import urlsplit

import lxml.html
import pytest
import sqlalchemy as sa

from shop.accounts import roles
from shop.billing import files
from shop.billing.services import invoice_for_order
from shop.cart.models import Cart
from shop.discounts.models import AMOUNT, Discount
from shop.extensions import db
from shop.inventory.services import stock_for
from shop.order_history import event_text
from shop.orders import status as st
from shop.orders.models import Order, OrderEvent
from shop.returns import status as return_status
from shop.returns.models import ReturnRequest
from tests.conftest import log_in
from tests.integration.backoffice_helpers import flashes, text_of
from tests.integration.books_helpers import unbalanced_entries
from tests.integration.checkout_helpers import ADDRESS, place
from tests.integration.discount_helpers import (
    apply,
    make_code,
    order_of,
    regular_parcel,
    seed_goods,
    shown_total,
    to_review,
)
from tests.integration.invoice_checks import pdf_text
from tests.integration.one_page_helpers import place_from_page, shown_choice
from tests.integration.order_helpers import cancel_from_page
from tests.integration.race_helpers import at_once
from tests.integration.returns_helpers import ask_return, page_text, ship_everything


@pytest.fixture
def shop_goods(app):
    return seed_goods()


def free_order(app, goods, email="gwen@example.com", items=(("lamp", 2),)):
    """Shipping always free, a 100 % code: a $0.00 order placed (paid on placing)."""
    regular_parcel().free_over = 0
    db.session.commit()
    if db.session.scalar(sa.select(Discount).filter_by(code="GIFT")) is None:
        make_code("GIFT", percent=Decimal(100))
    client = to_review(app, goods, list(items), email=email)
    assert shown_total(apply(client, "GIFT")) == "$0.00"
    response = place(client)
    assert response.status_code == 303, response.get_data(as_text=True)
    order = order_of(email)
    assert order.status == st.PAID and order.total == 0
    return client, order, response


def staff_client(app, staff, role):
    client = app.test_client()
    log_in(client, staff[role].email)
    return client


# --- after a $0.00 order is paid ------------------------------------------------------


def test_a_free_order_that_shipped_can_be_returned_and_received(app, shop_goods, staff):
    """The customer sends back the free lamps: the warehouse receives the parcel, the lamps
    go back into stock (nothing to refund)."""
    client, order, _ = free_order(app, shop_goods)
    order = ship_everything(order)
    db.session.commit()
    on_hand = stock_for(shop_goods["lamp"].id).on_hand
    asked = ask_return(client, order, {order.lines[0]: (2, "defective")})
    assert asked.status_code == 302, page_text(asked)
    [rr] = db.session.scalars(sa.select(ReturnRequest)).all()
    warehouse = staff_client(app, staff, roles.WAREHOUSE)
    warehouse.post(f"/admin/returns/{rr.number}/authorise", data={"note": ""})
    line = db.session.get(ReturnRequest, rr.id).lines[0]
    response = warehouse.post(
        f"/admin/returns/{rr.number}/receive",
        data={f"resellable_{line.id}": "2", f"damaged_{line.id}": "0",
              "restocking_fee_percent": "0"},
        follow_redirects=True,
    )  # fmt: skip
    page = page_text(response)
    assert response.status_code == 200, flashes(page)
    assert "never paid" not in page
    db.session.expire_all()
    assert db.session.get(ReturnRequest, rr.id).status == return_status.RECEIVED
    assert stock_for(shop_goods["lamp"].id).on_hand == on_hand + 2
    assert f"Return {rr.number}: the order cost nothing; no refund." in _history(order)
    assert unbalanced_entries() == []


def _history(order) -> str:
    events = db.session.scalars(sa.select(OrderEvent).filter_by(order_id=order.id))
    return "\n".join(event_text(e) for e in events)


def test_the_history_and_the_invoice_say_nothing_was_to_pay(app, shop_goods):
    _, order, _ = free_order(app, shop_goods)
    history = _history(order)
    assert "Nothing to pay: the order's total is $0.00." in history
    assert "Payment of" not in history
    text = pdf_text(files.invoice_pdf(invoice_for_order(order)))
    assert "PAID: nothing to pay on" in text and "No payment due" not in text


def test_staff_pages_of_a_free_order(app, shop_goods, staff):
    _, order, _ = free_order(app, shop_goods)
    sales = staff_client(app, staff, roles.SALES)
    assert sales.get(f"/admin/orders/{order.number}").status_code == 200
    refund_page = sales.get(f"/admin/orders/{order.number}/refund")
    assert refund_page.status_code == 200
    # Asking to refund anything of it is refused with a reason that fits a paid order.
    line = order.lines[0]
    response = sales.post(
        f"/admin/orders/{order.number}/refund",
        data={f"line_{line.id}": "1", "amount": "", "note": "x"},
    )
    assert response.status_code == 422
    assert f"Order {order.number} cost nothing: there is nothing to refund." in flashes(
        text_of(response)
    )


# --- getting what one should not ---------------------------------------------------


def test_quantity_lowered_after_page_does_not_keep_free_shipping(app, shop_goods):
    """Tent + lamp at 30 % off: $157.50 of goods ships free; the lamp taken out in another
    tab leaves $140.00: placing from the old page must not ship free."""
    make_code("THIRTY", percent=Decimal(30))
    client = to_review(app, shop_goods, [("tent", 1), ("lamp", 1)], email="lou@example.com")
    page = apply(client, "THIRTY")
    assert 'id="shipping">Free<' in page
    cart = db.session.scalar(sa.select(Cart))
    lamp_line = next(ln for ln in cart.lines if ln.variant_id == shop_goods["lamp"].id)
    assert client.post(f"/cart/lines/{lamp_line.id}/remove").status_code in (302, 303)
    db.session.expire_all()
    place_from_page(client, page, email="lou@example.com")
    order = order_of("lou@example.com")
    assert order is None


def _options(page):
    tree = lxml.html.fromstring(page)
    out = {}
    for row in tree.xpath('//input[@name="service"]/ancestor::tr'):
        sid = row.xpath('.//input[@name="service"]')[0].get("value")
        cell = row.xpath(".//td[@data-policy]")[0].text_content()
        out[sid] = "Free" if "Free" in cell else cell.strip().split()[0]
    return out


@pytest.mark.parametrize(
    "items,code,kind,value",
    [
        ([("tent", 1)], None, None, None),
        ([("lamp", 2)], None, None, None),
        ([("tent", 1)], "THIRTY", "percent", Decimal(30)),
        ([("tent", 1)], "TWENTY", "percent", Decimal(20)),
        ([("tent", 1)], "FIFTY", AMOUNT, 5000),
        ([("tent", 1)], "TEN", AMOUNT, 1000),
        ([("tent", 1), ("lamp", 1)], "LAMPS", "percent", Decimal(100)),
        ([("tent", 1)], "SHIPFREE", "free_shipping", None),
    ],
)
def test_the_choice_list_agrees_with_the_shipping_line(app, shop_goods, items, code, kind, value):
    client = to_review(app, shop_goods, items, email="cara@example.com")
    if code:
        terms = {}
        if kind == "percent":
            terms = {"percent": value}
        elif kind == AMOUNT:
            terms = {"amount": value}
        discount = make_code(code, kind=kind, **terms)
        if code == "LAMPS":
            discount.categories = [shop_goods["lights"]]
            db.session.commit()
        page = apply(client, code)
        assert f"Discount code {code} applied" in page, page
    else:
        page = client.get("/checkout/").get_data(as_text=True)
    options = _options(page)
    for sid in options:
        page = client.post(
            "/checkout/", data={**ADDRESS, "email": "cara@example.com", "service": sid,
                                "policy": "ship_complete", "action": "update"},
            follow_redirects=True,
        ).get_data(as_text=True)  # fmt: skip
        assert shown_choice(page)["service"] == sid
        shipping = page.split('id="shipping">', 1)[1].split("</td>", 1)[0]
        listed = _options(page)[sid]
        if listed == "Free":
            assert shipping.startswith("Free") and "with code" not in shipping, (sid, shipping)
        else:
            assert shipping.startswith(listed) or "with code" in shipping, (sid, listed, shipping)


# --- Stripe ---------------------------------------------------------------------------


class TestWithStripe:
    @pytest.fixture
    def app_config(self, stripe_fake):
        return {
            "STRIPE_SECRET_KEY": "sk_test_fake",
            "STRIPE_WEBHOOK_SECRET": "whsec_test",
            "STRIPE_API_BASE": stripe_fake.url,
            "STRIPE_MAX_NETWORK_RETRIES": 0,
        }

    def test_a_free_order_is_never_sent_to_stripe(self, app, shop_goods, stripe_fake, staff):
        client, order, response = free_order(app, shop_goods)
        assert order.payment_provider == "stripe"
        assert urlsplit(response.headers["Location"]).path == f"/orders/{order.number}"
        assert stripe_fake.requests == []
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "nothing to pay" in page.lower()
        assert client.get(f"/checkout/pay/{order.number}").status_code in (302, 303)
        done = cancel_from_page(client, page)
        assert done.status_code == 200
        assert stripe_fake.requests == []
        assert unbalanced_entries() == []

    def test_a_paid_order_with_a_code_still_goes_to_stripe(self, app, shop_goods, stripe_fake):
        make_code("HALF", percent=Decimal(50))
        client = to_review(app, shop_goods, [("lamp", 2)], email="hal@example.com")
        apply(client, "HALF")
        response = place(client)
        assert response.headers["Location"].startswith(stripe_fake.url)
        assert len(stripe_fake.created()) == 1
        assert order_of("hal@example.com").status == st.PENDING_PAYMENT


# --- double submit ------------------------------------------------------------------------


def _twin(app, client):
    twin = app.test_client()
    for cookie in client._cookies.values():
        twin.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    return twin


def test_place_twice_at_once_gives_one_free_order(app, shop_goods):
    """Two clicks of "Place order" from one browser at the same moment (threads, own
    connections): one order, the code used once, both answers lead somewhere."""
    regular_parcel().free_over = 0
    db.session.commit()
    make_code("GIFT", percent=Decimal(100))
    client = to_review(app, shop_goods, [("lamp", 2)], email="dora@example.com")
    page = apply(client, "GIFT")
    assert shown_total(page) == "$0.00"
    twin = _twin(app, client)
    answers = []

    def first():
        answers.append(place_from_page(client, page, email="dora@example.com").status_code)

    def second():
        answers.append(place_from_page(twin, page, email="dora@example.com").status_code)

    outcome = at_once(app, first, second, commit=False)
    assert outcome.failed == [] and sorted(answers) != [], (outcome, answers)
    assert all(code in (302, 303) for code in answers), answers
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(Order).where(Order.email == "dora@example.com")
    )
    assert count == 1
    assert db.session.scalar(sa.select(Discount.uses)) == 1
    assert unbalanced_entries() == []


def test_the_staff_order_page_of_a_free_order_does_not_promise_a_refund(app, shop_goods, staff):
    _, order, _ = free_order(app, shop_goods)
    owner = staff_client(app, staff, roles.OWNER)
    page = text_of(owner.get(f"/admin/orders/{order.number}"))
    wrong = [t for t in ("No payment started yet.", "cancelling refunds all of it",
                         "Payment of $0.00 received") if t in page]  # fmt: skip
    assert wrong == []
    assert "Nothing to pay: the order's total is $0.00." in page
    assert "The order cost nothing: no money goes back" in page
