"""After the sale, attacked: a hostile customer, a careless staff member, a bookkeeper.

Each test does the wrong thing the way a person would (a form, a link, a button) and
checks what they see, that nothing changed, and that the books still close.
"""

import pytest
import sqlalchemy as sa

from shop.accounts import roles
from shop.extensions import db
from shop.inventory.services import stock_for
from shop.month_end import month_end_checks
from shop.refunds.models import Refund
from shop.returns import services as returns
from shop.returns import status as return_status
from shop.returns.models import ReturnRequest
from tests.conftest import log_in
from tests.factories import UserFactory
from tests.factories.store import two_person_tent
from tests.integration.backoffice_helpers import flashes
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy
from tests.integration.returns_helpers import bought_and_shipped, page_text, requests_of


@pytest.fixture
def tent(app):
    return two_person_tent(seed_reference_data(), stock=10)


def staff_client(app, staff, role):
    client = app.test_client()
    log_in(client, staff[role].email)
    return client


def failing_checks() -> list:
    return [c for c in month_end_checks() if not c.ok]


def _authorised(order, units):
    rr = returns.request_return(
        order=order, lines={order.lines[0].id: (units, "changed_mind")}, user=None
    )
    returns.authorise_return(request=rr, user=None)
    db.session.commit()
    return rr


GARBAGE = ["abc", "-1", "1.5", "999999999999", "1e5", "NaN", "\x00", " ", "99999999999999999999"]


def test_garbage_in_every_staff_refund_field_is_a_message_never_a_500(app, tent, staff):
    order = buy(app, [(tent, 2)], email="rita@example.com")
    sales = staff_client(app, staff, roles.SALES)
    url = f"/admin/orders/{order.number}/refund"
    line = f"line_{order.lines[0].id}"
    for field in (line, "amount", "restocking_fee", "note"):
        for value in GARBAGE + ["101", "100", "0", "1.005", "-5", "0.00"]:
            response = sales.post(url, data={field: value})
            assert response.status_code in (302, 422), (field, value, response.status_code)
    assert failing_checks() == []


def test_garbage_in_the_return_form_is_a_message_never_a_500(app, tent):
    order = bought_and_shipped(app, [(tent, 2)])
    guest = app.test_client()
    url = f"/orders/{order.number}/returns/new?t={order.access_token}"
    line = order.lines[0].id
    for value in GARBAGE:
        response = guest.post(url, data={f"qty_{line}": value, f"reason_{line}": "changed_mind"})
        assert response.status_code == 422, (value, response.status_code)
    response = guest.post(url, data={f"qty_{line}": "1", f"reason_{line}": "bogus"})
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(ReturnRequest.id))) == 0


def test_garbage_in_the_receipt_form_is_a_message_never_a_500(app, tent, staff):
    order = bought_and_shipped(app, [(tent, 2)])
    rr = _authorised(order, 2)
    warehouse = staff_client(app, staff, roles.WAREHOUSE)
    line = rr.lines[0].id
    url = f"/admin/returns/{rr.number}/receive"
    for field in (f"resellable_{line}", f"damaged_{line}", "restocking_fee_percent"):
        for value in GARBAGE + ["101", "-0.5"]:
            data = {f"resellable_{line}": "1", f"damaged_{line}": "0",
                    "restocking_fee_percent": "0", field: value}  # fmt: skip
            response = warehouse.post(url, data=data)
            assert response.status_code in (302, 422), (field, value, response.status_code)
            if response.status_code == 302:
                return
    assert db.session.get(ReturnRequest, rr.id).status == return_status.AUTHORISED


def test_a_parcel_kept_whole_as_restocking_fee_can_still_be_received(app, tent, staff):
    """Staff keep 100 %: the parcel is received and the stock updated, nothing goes back."""
    order = bought_and_shipped(app, [(tent, 1)])
    rr = _authorised(order, 1)
    warehouse = staff_client(app, staff, roles.WAREHOUSE)
    line = rr.lines[0].id
    on_hand = stock_for(tent.id).on_hand
    response = warehouse.post(
        f"/admin/returns/{rr.number}/receive",
        data={f"resellable_{line}": "1", f"damaged_{line}": "0",
              "restocking_fee_percent": "100"},
        follow_redirects=True,
    )  # fmt: skip
    assert response.status_code == 200, page_text(response)
    assert flashes(page_text(response))[-1] == (
        f"Return {rr.number} received; the stock is updated. "
        "The restocking fee keeps the whole price: nothing goes back."
    )
    assert db.session.get(ReturnRequest, rr.id).status == return_status.RECEIVED
    assert stock_for(tent.id).on_hand == on_hand + 1
    assert db.session.scalar(sa.select(sa.func.count(Refund.id))) == 0
    assert failing_checks() == []


def test_another_customers_order_is_not_found_for_every_after_sale_route(app, tent):
    mine = bought_and_shipped(app, [(tent, 1)], email="ann@example.com")
    theirs = bought_and_shipped(app, [(tent, 1)], email="bob@example.com")
    rr = _authorised(theirs, 1)
    UserFactory(email="eve@example.com")
    eve = app.test_client()
    log_in(eve, "eve@example.com")
    guest = app.test_client()
    wrong = mine.access_token  # a real token, of another order
    for client in (eve, guest):
        for token in ("", wrong, "x" * 64, "é"):
            q = f"?t={token}" if token else ""
            n = theirs.number
            for method, path in [
                ("get", f"/orders/{n}"),
                ("post", f"/orders/{n}/cancel"),
                ("post", f"/orders/{n}/cancel-rest"),
                ("post", f"/orders/{n}/buy-again"),
                ("get", f"/orders/{n}/returns/new"),
                ("post", f"/orders/{n}/returns/new"),
                ("post", f"/orders/{n}/returns/{rr.number}/withdraw"),
                ("get", f"/orders/{n}/returns/{rr.number}.pdf"),
                ("get", f"/orders/{n}/documents/INV-2026-000001.pdf"),
                ("get", f"/orders/{n}/documents/INV-2026-000001.xml"),
                # the other order's RMA under one's own order
                ("get", f"/orders/{mine.number}/returns/{rr.number}.pdf?t={mine.access_token}"),
                (
                    "post",
                    f"/orders/{mine.number}/returns/{rr.number}/withdraw?t={mine.access_token}",
                ),
            ]:
                url = path if "?" in path else path + q
                response = getattr(client, method)(url)
                assert response.status_code == 404, (method, url, response.status_code)
    assert db.session.get(ReturnRequest, rr.id).status == return_status.AUTHORISED
    assert db.session.scalar(sa.select(sa.func.count(Refund.id))) == 0


def _goods_refunded(line) -> int:
    from shop.refunds.models import RefundLine

    query = sa.select(sa.func.coalesce(sa.func.sum(RefundLine.amount), 0))
    return int(db.session.scalar(query.where(RefundLine.order_line_id == line.id)))


def test_goodwill_then_each_unit_refunded_never_gives_back_more_goods_than_the_line(app, tent):
    """A bookkeeper's check: a line's refunds add up to its total, never more, never negative."""
    from shop.refunds import services as refunds
    from shop.refunds import status as refund_status

    order = buy(app, [(tent, 2)], email="rita@example.com", service="expedited")
    line, shipping = order.lines[0], order.shipping_total
    assert shipping > 0
    goodwill = order.total - 22600 - shipping // 10  # leaves just room for one tent and its tax
    refunds.refund_amount(order=order, amount=goodwill, reason=refund_status.GOODWILL)
    db.session.commit()
    one = refunds.refund_order(order=order, lines={line.id: 1}, reason=refund_status.RETURN)
    db.session.commit()
    assert one.amount <= order.total - goodwill
    assert _goods_refunded(line) <= line.line_total
    try:
        refunds.refund_order(order=order, lines={line.id: 1}, reason=refund_status.RETURN)
        db.session.commit()
    except refund_status.RefundError:
        db.session.rollback()
    assert _goods_refunded(line) <= line.line_total
    assert all(rl.amount >= 0 for r in refunds.refunds_of(order) for rl in r.lines)
    assert refunds.refundable_amount(order) >= 0
    assert failing_checks() == []


def test_every_after_sale_page_answers_with_data(app, tent, staff):
    """An order shipped, a unit returned and refunded, a goodwill refund: each new page of the
    customer's and of staff answers 200, its documents as PDF or XML."""
    from shop.billing.models import CREDIT_NOTE, INVOICE, Invoice

    order = bought_and_shipped(app, [(tent, 3)], email="rita@example.com")
    rr = _authorised(order, 1)
    returns.receive_return(request=rr, received={rr.lines[0].id: returns.Receipt(1, 0)})
    asked = returns.request_return(order=order, lines={order.lines[0].id: (1, "defective")})
    db.session.commit()
    owner = staff_client(app, staff, roles.OWNER)
    assert (
        owner.post(f"/admin/orders/{order.number}/refund", data={"amount": "5.00"}).status_code
        == 302
    )
    invoice = db.session.scalar(sa.select(Invoice).where(Invoice.kind == INVOICE))
    notes = db.session.scalars(sa.select(Invoice).where(Invoice.kind == CREDIT_NOTE)).all()
    assert len(notes) == 2
    guest = app.test_client()
    t = f"?t={order.access_token}"
    n = order.number
    pages = [
        (guest, f"/orders/{n}{t}", "text/html"),
        (guest, "/orders/track", "text/html"),
        (guest, f"/orders/{n}/returns/new{t}", "text/html"),
        (guest, f"/orders/{n}/returns/{rr.number}.pdf{t}", "application/pdf"),
        (guest, f"/orders/{n}/documents/{invoice.number}.pdf{t}", "application/pdf"),
        (guest, f"/orders/{n}/documents/{invoice.number}.xml{t}", "xml"),
        *[(guest, f"/orders/{n}/documents/{cn.number}.pdf{t}", "application/pdf") for cn in notes],
        *[(guest, f"/orders/{n}/documents/{cn.number}.xml{t}", "xml") for cn in notes],
        (owner, f"/admin/orders/{n}", "text/html"),
        (owner, f"/admin/orders/{n}/refund", "text/html"),
        (owner, "/admin/refunds", "text/html"),
        (owner, "/admin/returns", "text/html"),
        (owner, f"/admin/returns/{rr.number}", "text/html"),
        (owner, f"/admin/returns/{asked.number}", "text/html"),
        (owner, f"/admin/returns/{rr.number}/slip.pdf", "application/pdf"),
        (owner, "/admin/reports/returns", "text/html"),
        (owner, "/admin/reports/sales", "text/html"),
        (owner, "/admin/reports/margin", "text/html"),
    ]
    for client, url, kind in pages:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert kind in response.content_type, (url, response.content_type)
    assert failing_checks() == []


def test_every_new_post_needs_its_form_token(app, tent, staff):
    """A page elsewhere posting to the store (CSRF): refused, and nothing changes."""
    from shop.orders.models import Order

    order = bought_and_shipped(app, [(tent, 2)], email="rita@example.com")
    pending = buy(app, [(tent, 1)], email="rita@example.com")
    rr = _authorised(order, 1)
    asked = returns.request_return(order=order, lines={order.lines[0].id: (1, "defective")})
    db.session.commit()
    owner = staff_client(app, staff, roles.OWNER)
    guest = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        t = f"?t={order.access_token}"
        tp = f"?t={pending.access_token}"
        line = order.lines[0].id
        for client, url, data in [
            (guest, f"/orders/{pending.number}/cancel{tp}", {}),
            (guest, f"/orders/{pending.number}/cancel-rest{tp}", {}),
            (guest, f"/orders/{order.number}/buy-again{t}", {}),
            (guest, f"/orders/{order.number}/returns/new{t}",
             {f"qty_{line}": "1", f"reason_{line}": "defective"}),
            (guest, f"/orders/{order.number}/returns/{asked.number}/withdraw{t}", {}),
            (owner, f"/admin/returns/{asked.number}/authorise", {"note": ""}),
            (owner, f"/admin/returns/{asked.number}/refuse", {"note": "No."}),
            (owner, f"/admin/returns/{rr.number}/receive",
             {f"resellable_{rr.lines[0].id}": "1", "restocking_fee_percent": "0"}),
            (owner, f"/admin/orders/{order.number}/refund", {"amount": "5.00"}),
            (owner, f"/admin/orders/{pending.number}/cancel", {"reason": "x"}),
        ]:  # fmt: skip
            response = client.post(url, data=data)
            assert response.status_code in (400, 422), (url, response.status_code)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert db.session.scalar(sa.select(sa.func.count(Refund.id))) == 0
    assert db.session.get(ReturnRequest, asked.id).status == return_status.REQUESTED
    assert db.session.get(ReturnRequest, rr.id).status == return_status.AUTHORISED
    assert db.session.get(Order, pending.id).status == "paid"
    assert len(requests_of(order)) == 2


@pytest.mark.parametrize(
    "app_config",
    [{"RATELIMIT_ENABLED": True, "TRACKING_RATE_LIMIT": "100 per minute",
      "TRACKING_NUMBER_RATE_LIMIT": "3 per hour"}],
)  # fmt: skip
def test_guessing_one_orders_postal_code_from_many_addresses_is_stopped(app, tent):
    """The per-address limit alone lets many machines guess one order's postal code."""
    order = buy(app, [(tent, 1)], email="rita@example.com")
    for n in range(3):
        machine = app.test_client()
        machine.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"
        guess = {"number": order.number, "contact": f"K1A {n}A{n}"}
        assert machine.post("/orders/track", data=guess).status_code == 404
    another = app.test_client()
    another.environ_base["REMOTE_ADDR"] = "10.0.0.99"
    right = {"number": order.number.lower(), "contact": order.ship_postal_code}
    response = another.post("/orders/track", data=right)
    assert response.status_code == 429
    assert "Too many attempts" in page_text(response)
    # another order number from the same machine is not blocked, and success is not counted
    assert (
        another.post("/orders/track", data={"number": "MP99999", "contact": "x"}).status_code == 404
    )
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "10.0.0.100"
    other = buy(app, [(tent, 1)], email="sam@example.com")
    for _ in range(4):
        found = {"number": other.number, "contact": "sam@example.com"}
        assert owner.post("/orders/track", data=found).status_code == 303


def test_a_customer_who_cancels_while_stripes_page_is_open_is_not_charged_for_nothing(
    app, client, tent, stripe_fake
):
    """Cancel the order waiting for payment, then pay on Stripe's page still open in another
    tab: the money must not stay with the store for a cancelled order."""
    from tests.integration.test_stripe_checkout import SECRET, check_out, deliver, session_id

    app.config.update(
        STRIPE_SECRET_KEY="sk_test_fake", STRIPE_WEBHOOK_SECRET=SECRET,
        STRIPE_API_BASE=stripe_fake.url, STRIPE_MAX_NETWORK_RETRIES=0,
    )  # fmt: skip
    assert check_out(client, tent).status_code == 303
    from shop.orders.models import Order

    order = db.session.scalar(sa.select(Order))
    assert order.payment_provider == "stripe" and order.status == "pending_payment"
    assert client.post(f"/orders/{order.number}/cancel").status_code == 303
    assert db.session.get(Order, order.id).status == "cancelled"
    try:
        event = stripe_fake.pay(session_id(order))
    except Exception:  # the page was closed at the cancellation: nothing can be paid
        return
    outcome = deliver(client, event).json["outcome"]
    charge = stripe_fake.charge_of(session_id(order))
    assert charge["amount_refunded"] == charge["amount"], outcome
    assert outcome == "refunded: the order was cancelled"
    assert db.session.get(Order, order.id).status == "cancelled"
    from shop.notifications.models import OutboxMessage

    [email] = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "payment_refunded")
    ).all()
    assert "came through after the order had been cancelled" in email.body_text
    assert "$452.00" in email.body_text and "sold out" not in email.body_text
    assert failing_checks() == []


@pytest.mark.parametrize("amount", ["0.01", "0.02", "0.05"])
def test_a_goodwill_of_a_few_cents_is_refunded_to_the_cent(app, tent, staff, amount):
    order = buy(app, [(tent, 2)], email="rita@example.com", service="expedited")
    sales = staff_client(app, staff, roles.SALES)
    response = sales.post(f"/admin/orders/{order.number}/refund", data={"amount": amount})
    assert response.status_code == 302, flashes(page_text(response))
    [refund] = db.session.scalars(sa.select(Refund)).all()
    assert refund.amount == int(amount.replace(".", ""))
    assert refund.credit_note.total == -refund.amount or refund.credit_note.total == refund.amount
    assert failing_checks() == []


def test_a_parcel_of_an_order_mostly_refunded_as_goodwill_can_still_be_received(app, tent, staff):
    """Goodwill gave back nearly everything; the customer then sends the tent back anyway:
    the parcel is received into stock, and never more than what is left goes back."""
    from shop.refunds import services as refunds
    from shop.refunds import status as refund_status

    order = bought_and_shipped(app, [(tent, 1)], service="expedited")
    refunds.refund_amount(order=order, amount=order.total - 500, reason=refund_status.GOODWILL)
    db.session.commit()
    rr = _authorised(order, 1)
    on_hand = stock_for(tent.id).on_hand
    warehouse = staff_client(app, staff, roles.WAREHOUSE)
    line = rr.lines[0].id
    response = warehouse.post(
        f"/admin/returns/{rr.number}/receive",
        data={f"resellable_{line}": "1", f"damaged_{line}": "0", "restocking_fee_percent": "0"},
    )
    assert response.status_code == 302, flashes(page_text(response))
    assert stock_for(tent.id).on_hand == on_hand + 1
    assert refunds.refundable_amount(order) >= 0
    assert failing_checks() == []


@pytest.mark.parametrize(
    "obj",
    [
        {},
        {"id": "ch_nobody", "object": "charge", "payment_intent": "pi_nobody", "amount": 100,
         "amount_refunded": 100, "currency": "cad", "refunds": {"data": []}},
        {"id": "re_nobody", "object": "refund", "payment_intent": "pi_nobody", "amount": 100,
         "currency": "cad", "status": "succeeded", "metadata": {"order_id": "1"}},
        {"id": "re_x", "object": "refund", "amount": "lots", "currency": None, "status": 7,
         "metadata": {"order_id": "abc", "refund_id": "-1"}},
        {"id": "re_y", "object": "refund", "payment_intent": None, "amount": -5,
         "currency": "cad", "status": "succeeded", "metadata": {"order_id": "9" * 20}},
    ],
)  # fmt: skip
@pytest.mark.parametrize("kind", ["charge.refunded", "refund.updated", "refund.created"])
def test_an_odd_but_signed_refund_event_is_never_a_server_error(
    app, client, tent, stripe_fake, obj, kind
):
    import json
    import time

    from tests.fakes.stripe_server import sign
    from tests.integration.test_stripe_checkout import SECRET

    order = buy(app, [(tent, 1)], email="rita@example.com")  # paid with the demo provider
    app.config.update(
        STRIPE_SECRET_KEY="sk_test_fake", STRIPE_WEBHOOK_SECRET=SECRET,
        STRIPE_API_BASE=stripe_fake.url, STRIPE_MAX_NETWORK_RETRIES=0,
    )  # fmt: skip
    event = {"id": f"evt_{kind}_{obj.get('id')}", "object": "event", "type": kind,
             "created": int(time.time()), "data": {"object": obj}}  # fmt: skip
    body = json.dumps(event).encode()
    response = client.post(
        "/webhooks/stripe", data=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(body, SECRET)},
    )  # fmt: skip
    assert response.status_code < 500, response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Refund.id))) == 0
    assert refunds_left(order) == order.total


def refunds_left(order):
    from shop.refunds import services as refunds

    return refunds.refundable_amount(order)


@pytest.mark.parametrize(
    "app_config",
    [{"BASE_URL": "https://shop.example.com/store", "TRUSTED_HOSTS": ["evil.example"]}],
)
def test_every_after_sale_email_links_only_to_the_public_address(app, tent, staff):
    """Each new email caused by a request sent with another Host header: every link in it
    starts at BASE_URL (a carrier's tracking page aside)."""
    from datetime import timedelta

    from shop.clock import store_today
    from shop.notifications.models import OutboxMessage
    from tests.integration.purchasing_helpers import backordered_item, sent_po
    from tests.integration.test_public_origin import (
        OTHER,
        assert_only_public_links,
        client_at,
    )

    classes = {"standard": tent.tax_class}
    stove = backordered_item(classes)
    guest = client_at(app, OTHER)
    order = buy(app, [(tent, 2), (stove, 1)], client=guest, policy="ship_available_now")
    po = sent_po(stove, 3, expected=store_today() + timedelta(days=4))
    warehouse = client_at(app, OTHER, staff[roles.WAREHOUSE])
    later = (store_today() + timedelta(days=20)).isoformat()
    edited = warehouse.post(f"/admin/purchase-orders/{po.id}/edit", data={"expected_date": later})
    assert edited.status_code in (302, 303)
    assert guest.post(f"/orders/{order.number}/cancel-rest").status_code == 303
    from tests.integration.returns_helpers import ship_everything

    order = ship_everything(order)
    asked = guest.post(
        f"/orders/{order.number}/returns/new",
        data={f"qty_{order.lines[0].id}": "1", f"reason_{order.lines[0].id}": "defective"},
    )
    assert asked.status_code == 302
    [rr] = requests_of(order)
    assert warehouse.post(f"/admin/returns/{rr.number}/authorise", data={}).status_code == 302
    line = rr.lines[0].id
    received = warehouse.post(
        f"/admin/returns/{rr.number}/receive",
        data={f"resellable_{line}": "1", f"damaged_{line}": "0", "restocking_fee_percent": "0"},
    )
    assert received.status_code == 302
    other = buy(app, [(tent, 1)], client=client_at(app, OTHER))
    sales = client_at(app, OTHER, staff[roles.SALES])
    assert (
        sales.post(f"/admin/orders/{order.number}/refund", data={"amount": "1.00"}).status_code
        == 302
    )
    assert client_at(app, OTHER).post(f"/orders/{other.number}/cancel").status_code == 404
    owner = client_at(app, OTHER, staff[roles.OWNER])
    assert owner.post(f"/admin/orders/{other.number}/cancel", data={"reason": "x"}).status_code in (
        302,
        303,
    )
    kinds = {}
    for message in db.session.scalars(sa.select(OutboxMessage)):
        kinds.setdefault(message.kind, []).append(message)
    for kind in ("backorder_delayed", "order_cancelled", "return_requested",
                 "return_authorised", "return_refunded", "refund_issued"):  # fmt: skip
        assert kind in kinds, sorted(kinds)
        for message in kinds[kind]:
            assert_only_public_links(message)


def test_after_logging_out_the_next_person_at_the_computer_cannot_cancel_the_order(
    app, tent, customer
):
    """A shared computer: the customer buys while logged in and logs out; the next person
    finds the order's address in the browser's history."""
    from shop.orders.models import Order

    browser = app.test_client()
    log_in(browser, customer.email)
    order = buy(app, [(tent, 1)], email=customer.email, client=browser)
    assert order.user_id == customer.id
    assert browser.get(f"/orders/{order.number}").status_code == 200
    assert browser.post("/account/logout").status_code in (302, 303)
    assert browser.get(f"/orders/{order.number}").status_code == 404
    assert browser.post(f"/orders/{order.number}/cancel").status_code == 404
    assert db.session.get(Order, order.id).status == "paid"
