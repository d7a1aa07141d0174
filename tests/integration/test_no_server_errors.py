"""A 500 is a bug: every page, asked with odd values and garbage forms, answers without one.

The demo store is loaded and an order paid, then every route of the app is requested
by a guest and by the owner with real ids, unknown ids, absurd query strings and
forms full of nonsense.
"""

import re

import pytest
import sqlalchemy as sa

from shop.extensions import db
from shop.orders.models import Order
from tests.conftest import log_in
from tests.integration.checkout_helpers import fill_address, pay, place

ODD_QUERY = "?page=abc&date_from=2026-02-30&date_to=x&status=bogus&q=%00%25_&sort=zz&low=maybe"
HUGE_QUERY = "?page=999999999999999999&q=tent&variant=999999999999999999"  # past any 64-bit offset
HUGE_ID = "9" * 20
# The calendar's own ends, in every day field of the store's forms and filters
DAY_FIELDS = ("date_from", "date_to", "issued_from", "issued_to", "placed_from", "placed_to",
              "on", "at", "day", "by", "bill_date", "due_date", "pay_on", "paid_on",
              "expected_date", "starts_on", "ends_on", "closed_through")  # fmt: skip
FAR_DAYS = [{name: day for name in DAY_FIELDS} for day in ("9999-12-31", "0001-01-01")]
FAR_QUERIES = ["?" + "&".join(f"{name}={day}" for name, day in days.items()) for days in FAR_DAYS]
GARBAGE_FORMS = [
    {},
    {"quantity": "abc", "name": "x" * 5000, "price": "1e9", "cost": "-1", "rate": "NaN",
     "sku": "%00", "email": "no", "expected_date": "2026-99-99"},
    {"quantity": "1" * 30, "counted": "-3", "reason": "bogus", "policy": "x", "service": "abc",
     "variant_id": "[]", "card_number": "4" * 100},
    {"name": "nul\x00byte", "sku": "A\x00", "email": "a\x00@example.com", "quantity": "1\x00"},
    # digits that str.isdigit() accepts and int() refuses
    {"quantity": "\u00b2", "variant_id": "\u00b2", "counted": "\u00b2", "weight_g": "\u00b3"},
]  # fmt: skip
SKIP = ("/static", "/media", "/webhooks")
PYTHON_ERROR = b"invalid literal for int()"  # Python's own words, never shown to a person


@pytest.fixture
def demo(demo_app):
    """The demo store (seeded once per worker, copied here) with one order paid."""
    guest = demo_app.test_client()
    guest.post("/cart/add", data={"variant_id": "1", "quantity": "1"})
    page = fill_address(guest).get_data(as_text=True)
    service = re.search(r'name="service" value="(\d+)"', page).group(1)
    guest.post("/checkout/delivery", data={"service": service, "policy": "ship_complete"})
    pay(guest, place(guest).headers["Location"])
    owner = demo_app.test_client()
    log_in(owner, "owner@example.com", "maple-pine-demo")
    return {"guest": guest, "owner": owner, "number": db.session.scalar(sa.select(Order.number))}


def urls(app, method: str, number: str):
    for rule in app.url_map.iter_rules():
        if method not in rule.methods or rule.rule.startswith(SKIP):
            continue
        kinds = {a: type(rule._converters[a]).__name__ for a in rule.arguments}
        for ints, text in (("1", number), ("999999", "x" * 300), (HUGE_ID, number)):
            url = rule.rule
            for name, kind in kinds.items():
                value = ints if "Integer" in kind else text
                url = re.sub(r"<[^>]*" + name + ">", value, url)
            yield url


def test_no_page_answers_with_a_server_error(demo_app, demo):
    errors = []
    for url in set(urls(demo_app, "GET", demo["number"])):
        for who in ("guest", "owner"):
            for query in ("", ODD_QUERY, HUGE_QUERY, *FAR_QUERIES):
                response = demo[who].get(url + query)
                if response.status_code >= 500:
                    errors.append(f"{who} GET {url + query}: {response.status_code}")
    for url in set(urls(demo_app, "POST", demo["number"])) - {"/account/logout"}:
        for form in GARBAGE_FORMS + FAR_DAYS:
            response = demo["owner"].post(url, data=form)
            if response.status_code >= 500 or PYTHON_ERROR in response.data:
                errors.append(f"owner POST {url} {sorted(form)[:3]}: {response.status_code}")
    assert errors == []
    assert demo["owner"].get("/admin/").status_code == 200  # still logged in: the forms were tried


def test_a_nul_character_in_a_complete_form_gets_a_message_beside_the_field(client, customer):
    from tests.conftest import log_in

    page = client.post(
        "/account/register",
        data={"name": "A\x00B", "email": "nul@example.com", "password": "long enough pw",
              "confirm": "long enough pw"},
    ).get_data(as_text=True)  # fmt: skip
    assert "Remove the control characters from this text." in page
    log_in(client, customer.email)
    response = client.post(
        "/account/addresses/new",
        data={"full_name": "A\x00", "line1": "1 King St", "city": "Toronto", "province": "ON",
              "postal_code": "M5H 2N2"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Remove the control characters from this text." in response.get_data(as_text=True)
    assert client.get("/search?q=a%00b").status_code == 400


LISTS = ("/admin/orders", "/admin/accounting/invoices", "/admin/accounting/journal",
         "/admin/returns", "/admin/stock", "/admin/stock/1/movements", "/admin/fulfilment/to-pack",
         "/admin/shipments", "/admin/products", "/admin/bills", "/admin/purchase-orders",
         "/admin/accounting/payouts")  # fmt: skip


def test_a_page_of_a_list_past_its_last_is_not_found(demo):
    """Page 1 of each back-office list is there; page 5000 (far past the demo's last, well
    under the largest page number asked) is a 404, not an empty page that says nothing."""
    owner = demo["owner"]
    for url in LISTS:
        assert owner.get(url).status_code == 200, url
        assert owner.get(url + "?page=5000").status_code == 404, url
