"""Discount codes, as the owner makes them and customers use them: the review page, the
invoice (PDF and UBL, under the official rules), the books, the limits, and twenty
customers racing for a single-use code.
"""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import lxml.html
import pytest
import sqlalchemy as sa

from shop.accounting import chart
from shop.accounts import roles
from shop.billing import files
from shop.billing.services import invoice_for_order, issue_credit_note
from shop.cart.models import Cart, CartLine
from shop.db import utcnow
from shop.discounts.models import AMOUNT, FREE_SHIPPING, PERCENT, Discount, DiscountRedemption
from shop.extensions import db
from shop.notifications.models import OutboxMessage
from shop.orders import services as orders
from shop.orders import status as st
from shop.orders.models import Order
from tests.conftest import log_in
from tests.factories import ProductFactory, VariantFactory
from tests.integration.backoffice_helpers import errors_beside, flashes, text_of
from tests.integration.books_helpers import balances, unbalanced_entries
from tests.integration.checkout_helpers import (
    pay,
    place,
)
from tests.integration.discount_helpers import (
    LAMP,
    TENT,
    apply,
    make_code,
    order_of,
    regular_parcel,
    seed_goods,
    shown_total,
    to_review,
)
from tests.integration.en16931_rules import fatal
from tests.integration.invoice_checks import NS, check_en16931, parse_ubl, pdf_text, text
from tests.integration.order_helpers import RACER_ADDRESS, cancel_from_page, service_id
from tests.integration.race_helpers import at_once

RACERS = 20


@pytest.fixture
def shop_goods(app):
    return seed_goods()


def dollars(minor: int) -> str:
    return f"${minor / 100:,.2f}"


# --- the owner's codes --------------------------------------------------------------


def test_the_owner_makes_a_code_and_bad_input_saves_nothing(app, staff, shop_goods):
    owner = app.test_client()
    log_in(owner, staff[roles.OWNER].email)
    form = {"code": "spring 10", "kind": "percent", "percent": "10", "min_subtotal": "50.00",
            "max_uses": "100", "max_uses_per_customer": "1", "is_active": "y",
            "category_ids": [str(shop_goods["camping"].id)]}  # fmt: skip
    response = owner.post("/admin/discounts/new", data=form)
    assert response.status_code == 302
    discount = db.session.scalar(sa.select(Discount))
    assert (discount.code, discount.kind, discount.percent) == ("SPRING10", PERCENT, Decimal(10))
    assert (discount.min_subtotal, discount.max_uses, discount.max_uses_per_customer) == (
        5000, 100, 1,
    )  # fmt: skip
    assert [c.name for c in discount.categories] == ["Camping"]
    listing = text_of(owner.get("/admin/discounts"))
    assert "SPRING10" in listing and "10% off" in listing and "Camping" in listing

    for changes, field, message in [
        ({"percent": "150"}, "percent", "Enter a percentage from 0 to 100."),
        ({"code": "X"}, "code", "A code has 3 to 40 letters, digits, dashes or underscores."),
        ({"code": "SPRING10"}, "code", "There is already a code SPRING10."),
        ({"code": "NEW1", "starts_on": "2027-02-01", "ends_on": "2027-01-01"}, "ends_on",
         "The code must end after it starts."),
        ({"code": "NEW2", "kind": "amount", "amount": ""}, "amount",
         "Enter the amount the code takes off."),
    ]:  # fmt: skip
        page = owner.post("/admin/discounts/new", data={**form, **changes})
        assert page.status_code in (200, 422)
        assert message in text_of(page), (changes, flashes(text_of(page)))
        if field in ("percent", "code", "ends_on"):
            assert errors_beside(text_of(page), field) == [message]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Discount)) == 1
    warehouse = app.test_client()
    log_in(warehouse, staff[roles.WAREHOUSE].email)
    assert warehouse.get("/admin/discounts").status_code == 403


@pytest.mark.parametrize(
    ("days", "field"),
    [
        ({"ends_on": "9999-12-31"}, "ends_on"),
        ({"starts_on": "0001-01-01"}, "starts_on"),
        ({"starts_on": "9999-12-31"}, "starts_on"),
    ],
)
def test_a_day_out_of_the_calendar_is_refused_beside_its_field(app, staff, days, field):
    sales = app.test_client()
    log_in(sales, staff[roles.SALES].email)
    form = {"code": "TESTG", "kind": "percent", "percent": "5", "is_active": "y", **days}
    page = sales.post("/admin/discounts/new", data=form)
    assert page.status_code == 422
    assert errors_beside(text_of(page), field) == ["Choose a day from 1900-01-01 to 2999-12-31."]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Discount)) == 0


def test_the_list_shows_the_last_day_the_edit_form_shows(app, staff):
    owner = app.test_client()
    log_in(owner, staff[roles.OWNER].email)
    form = {"code": "JANUARY", "kind": "percent", "percent": "5", "is_active": "y",
            "starts_on": "2027-01-01", "ends_on": "2027-01-31"}  # fmt: skip
    assert owner.post("/admin/discounts/new", data=form).status_code == 302
    assert "from Jan 1, 2027 until Jan 31, 2027" in text_of(owner.get("/admin/discounts"))
    edit = text_of(owner.get(f"/admin/discounts/{db.session.scalar(sa.select(Discount.id))}"))
    assert 'value="2027-01-31"' in edit


# --- the customer's checkout --------------------------------------------------------


def test_ten_percent_off_shows_on_review_invoice_ubl_and_books(app, shop_goods):
    make_code("SAVE10")
    client = to_review(app, shop_goods, [("tent", 1), ("lamp", 2)])
    page = apply(client, " save10 ")
    goods = TENT + 2 * LAMP
    discount = goods // 10  # 10 % of 250.00
    assert "Discount code SAVE10 applied." in page
    assert f"−{dollars(discount)}" in page.replace("&minus;", "−")
    order = client.post(
        "/checkout/review", data={"reviewed": _reviewed(client)}, follow_redirects=False
    )
    pay(client, order.headers["Location"])
    order = order_of("gail@example.com")
    assert order.status == st.PAID
    assert (order.discount_code, order.discount_total) == ("SAVE10", discount)
    assert order.subtotal == goods - discount
    assert sum(line.discount for line in order.lines) == discount
    assert sorted(line.discount for line in order.lines) == [500, 2000]  # by value
    [hst] = order.taxes
    assert hst.taxable == goods - discount + order.shipping_total  # tax after the discount
    assert hst.amount == round(Decimal(hst.taxable) * Decimal("0.13"))

    invoice = invoice_for_order(order)
    text_pdf = pdf_text(files.invoice_pdf(invoice))
    assert "Discount code SAVE10" in text_pdf and dollars(goods) in text_pdf
    xml = files.invoice_xml(invoice)
    root = parse_ubl(xml)
    check_en16931(root)
    assert fatal(xml) == []
    allowances = {
        text(line, "cac:Item/cac:SellersItemIdentification/cbc:ID"): text(
            line, "cac:AllowanceCharge/cbc:Amount"
        )
        for line in root.iterfind("cac:InvoiceLine", NS)
    }
    assert allowances == {"TENT-1": "20.00", "LAMP-1": "5.00"}

    books = balances()
    assert books[chart.SALES_DISCOUNTS] == discount  # a debit: contra revenue
    assert books[chart.SALES] == -goods
    assert unbalanced_entries() == []
    assert db.session.scalar(sa.select(Discount.uses)) == 1
    # Everything credited: what was paid, no more, under the same rules.
    note = issue_credit_note(invoice=invoice, reason="Returned.")
    db.session.commit()
    assert note.total == -invoice.total
    note_xml = files.invoice_xml(note)
    check_en16931(parse_ubl(note_xml))
    assert fatal(note_xml) == []


def _reviewed(client) -> str:
    from tests.integration.checkout_helpers import reviewed_token

    return reviewed_token(client.get("/checkout/").get_data(as_text=True))


def test_free_shipping_and_a_fixed_amount_for_one_category(app, shop_goods):
    make_code("SHIPFREE", FREE_SHIPPING)
    client = to_review(app, shop_goods, [("lamp", 1)], email="fay@example.com")
    assert "Free with code SHIPFREE" in apply(client, "SHIPFREE")
    response = place(client)
    pay(client, response.headers["Location"])
    order = order_of("fay@example.com")
    assert order.shipping_total == 0 and order.shipping_discount > 0
    assert balances()[chart.SALES_DISCOUNTS] == order.shipping_discount

    make_code("LIGHTS15", AMOUNT, categories=[shop_goods["lights"]])
    client = to_review(app, shop_goods, [("tent", 1), ("lamp", 1)], email="lou@example.com")
    apply(client, "LIGHTS15")
    pay(client, place(client).headers["Location"])
    order = order_of("lou@example.com")
    assert {line.sku: line.discount for line in order.lines} == {"TENT-1": 0, "LAMP-1": 1500}


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        ({}, "There is no discount code NOPE."),
        ({"is_active": False}, "There is no discount code NOPE."),
        ({"ends_at": "past"}, "Discount code NOPE has expired."),
        ({"starts_at": "future"}, "Discount code NOPE is not valid yet."),
        ({"min_subtotal": 100000}, "Discount code NOPE needs goods worth at least $1,000.00; "
                                   "your cart holds $25.00."),
        ({"categories": "camping"}, "Discount code NOPE is not for anything in your cart."),
        ({"max_uses": 1, "uses": 1}, "Discount code NOPE has been used up."),
    ],
)  # fmt: skip
def test_a_code_that_does_not_apply_says_why_and_changes_nothing(app, shop_goods, terms, message):
    if terms:
        now = utcnow()
        values = {**terms}
        if values.get("ends_at") == "past":
            values["ends_at"] = now - timedelta(days=1)
        if values.get("starts_at") == "future":
            values["starts_at"] = now + timedelta(days=1)
        if values.get("categories") == "camping":
            values["categories"] = [shop_goods["camping"]]
        make_code("NOPE", **values)
    client = to_review(app, shop_goods, [("lamp", 1)])
    before = client.get("/checkout/").get_data(as_text=True)
    page = apply(client, "nope")
    assert message in page
    assert "Discount code NOPE applied" not in page
    assert shown_total(page) == shown_total(before)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DiscountRedemption)) == 0


def test_once_per_customer_by_email(app, shop_goods):
    make_code("WELCOME", max_uses_per_customer=1)
    first = to_review(app, shop_goods, [("lamp", 1)], email="Rita@Example.com")
    apply(first, "WELCOME")
    pay(first, place(first).headers["Location"])
    again = to_review(app, shop_goods, [("lamp", 1)], email="rita@example.com")
    page = apply(again, "WELCOME")
    assert "can be used once per customer, and rita@example.com has used it already" in page


def test_an_order_never_paid_gives_its_use_back(app, shop_goods):
    discount = make_code("LASTONE", max_uses=1)
    client = to_review(app, shop_goods, [("lamp", 1)])
    apply(client, "LASTONE")
    place(client)  # and never pays
    assert db.session.scalar(sa.select(Discount.uses)) == 1
    other = to_review(app, shop_goods, [("lamp", 1)], email="next@example.com")
    assert "Discount code LASTONE has been used up." in apply(other, "LASTONE")
    orders.expire_due_orders(now=utcnow() + timedelta(days=1))
    db.session.commit()
    db.session.refresh(discount)
    assert discount.uses == 0
    assert "Discount code LASTONE applied." in apply(other, "LASTONE")


def test_a_code_used_up_between_review_and_place_places_nothing(app, shop_goods):
    """The review still shows the discount; by the time the customer places the order
    someone else took the last use: nothing is placed and the review says why."""
    discount = make_code("ONLYONE", max_uses=1)
    client = to_review(app, shop_goods, [("lamp", 1)])
    apply(client, "ONLYONE")
    token = _reviewed(client)
    discount.uses = 1  # the last use went to another customer meanwhile
    db.session.commit()
    response = client.post("/checkout/review", data={"reviewed": token}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Discount code ONLYONE has just been used up" in page or "used up" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    assert "Discount code ONLYONE applied" not in page


def test_free_shipping_over_a_threshold_counts_the_goods_after_the_code(app, shop_goods):
    """Regular Parcel is free over $150.00: a $200.00 tent at 30 % off is $140.00 of goods,
    so its shipping is charged, on the page and on the order; at 20 % off ($160.00) it is free."""
    assert regular_parcel().free_over == 15000
    make_code("THIRTY", percent=Decimal(30))
    client = to_review(app, shop_goods, [("tent", 1)], email="tess@example.com")
    page = apply(client, "THIRTY")
    regular = (
        lxml.html.fromstring(page)
        .xpath(
            f'//input[@name="service"][@value="{regular_parcel().id}"]/ancestor::tr//td[@data-policy]'
        )[0]
        .text_content()
    )
    assert "Free" not in regular and "$" in regular
    shipping = page.split('id="shipping">', 1)[1].split("<", 1)[0]
    assert shipping.startswith("$")
    pay(client, place(client).headers["Location"])
    order = order_of("tess@example.com")
    assert order.subtotal == 14000 and order.shipping_total > 0

    make_code("TWENTY", percent=Decimal(20))
    client = to_review(app, shop_goods, [("tent", 1)], email="tim@example.com")
    assert 'id="shipping">Free<' in apply(client, "TWENTY")
    pay(client, place(client).headers["Location"])
    assert order_of("tim@example.com").shipping_total == 0


def test_an_order_a_code_makes_free_is_placed_paid_without_a_card(app, shop_goods):
    """Shipping always free and a code for 100 % off: there is nothing to pay, so placing
    the order issues the paid invoice (which passes the official rules), books the sale and
    its discount, and emails the customer; no payment page, no provider."""
    regular_parcel().free_over = 0
    db.session.commit()
    make_code("GIFT", percent=Decimal(100))
    client = to_review(app, shop_goods, [("lamp", 2)], email="gwen@example.com")
    page = apply(client, "GIFT")
    assert shown_total(page) == "$0.00"
    response = place(client)
    order = order_of("gwen@example.com")
    assert urlsplit(response.headers["Location"]).path == f"/orders/{order.number}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "nothing to pay" in page.lower()
    assert order.status == st.PAID and order.total == 0 and order.payments == []
    invoice = invoice_for_order(order)
    assert invoice.total == 0 and invoice.payment_method == "No payment due"
    assert "PAID: nothing to pay on" in pdf_text(files.invoice_pdf(invoice))
    xml = files.invoice_xml(invoice)
    check_en16931(parse_ubl(xml))
    assert fatal(xml) == []
    books = balances()
    assert books[chart.SALES] == -2 * LAMP and books[chart.SALES_DISCOUNTS] == 2 * LAMP
    assert books.get(chart.CLEARING, 0) == 0 and unbalanced_entries() == []
    mail = db.session.scalars(
        sa.select(OutboxMessage.subject).where(OutboxMessage.to_address == "gwen@example.com")
    ).all()
    assert any(order.number in subject for subject in mail)
    assert db.session.scalar(sa.select(Discount.uses)) == 1
    # Cancelled before it ships: nothing to give back, the goods go back on the shelf.
    page = cancel_from_page(client, page)
    assert f"Order {order.number} is cancelled." in page.get_data(as_text=True)
    db.session.refresh(order)
    assert order.status == st.CANCELLED and unbalanced_entries() == []


def test_free_goods_shipped_free_are_placed_paid_with_nothing_to_book(app, shop_goods):
    """A $0.00 sample, shipping always free, no code: the order is paid on placing with
    its $0.00 invoice; the books have nothing to post (no empty entry, no error)."""
    regular_parcel().free_over = 0
    shop_goods["sample"] = VariantFactory(
        product=ProductFactory(name="Sticker", category=shop_goods["camping"]),
        sku="STICK-1", price=0, stock=50, weight_g=10,
    )  # fmt: skip
    db.session.commit()
    client = to_review(app, shop_goods, [("sample", 1)], email="sam@example.com")
    response = place(client)
    assert response.status_code == 303
    order = order_of("sam@example.com")
    assert order.status == st.PAID and invoice_for_order(order).total == 0
    books = balances()
    assert books.get(chart.SALES, 0) == 0 and books.get(chart.CLEARING, 0) == 0
    assert unbalanced_entries() == []


# --- the race -----------------------------------------------------------------------


def test_twenty_customers_racing_for_a_single_use_code_get_it_once(app, shop_goods):
    """Each of twenty customers reviewed an order with the same single-use code; all
    place it at the same moment (threads, own connections): one order gets the code,
    nineteen are refused with the reason and place nothing."""
    make_code("ONCE", max_uses=1)
    # Each buys a different item: no stock row they all lock, so only the code's own
    # row stands between them (one shared item would queue them on its stock lock).
    lamp = shop_goods["lamp"]
    items = [
        VariantFactory(
            product=lamp.product,
            sku=f"RACE-{n}",
            price=LAMP,
            stock=5,
            tax_class=lamp.tax_class,
            weight_g=900,
        )  # fmt: skip
        for n in range(RACERS)
    ]
    racers = []
    for n in range(RACERS):
        cart = Cart(lines=[CartLine(variant_id=items[n].id, quantity=1)])
        db.session.add(cart)
        db.session.flush()
        request = orders.CheckoutRequest(
            f"racer{n}@example.com", RACER_ADDRESS, service_id("regular"), "ship_complete",
            discount_code="ONCE",
        )  # fmt: skip
        priced = orders.price_checkout(cart=cart, request=request)
        assert priced.taken.code == "ONCE"
        racers.append((cart.id, request, orders.review_fingerprint(
            cart=cart, request=request, priced=priced)))  # fmt: skip
    db.session.commit()

    def racer(cart_id, request, token):
        def place_with_code():
            orders.place_order(
                cart=db.session.get(Cart, cart_id), user=None, request=request,
                reviewed=token, provider="demo",
            )  # fmt: skip

        return place_with_code

    outcome = at_once(app, *(racer(*r) for r in racers))
    assert outcome.failed == []
    assert len(outcome.done) == 1
    assert len(outcome.refused) == RACERS - 1
    # Refused when placing (the UPDATE found no use left) or, for a late thread, already
    # when pricing (it read uses == max_uses): either way the customer reads why.
    assert all("Discount code ONCE has" in m and "used up" in m for m in outcome.refused)
    assert db.session.scalar(sa.select(Discount.uses)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DiscountRedemption)) == 1
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Order).where(Order.discount_code == "ONCE")
        )
        == 1
    )
