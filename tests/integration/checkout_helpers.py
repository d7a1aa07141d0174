"""Shared steps for checkout tests: reference data and a customer walking the pages."""

import re

from tests.factories.store import seed_reference_data  # noqa: F401  (imported from here too)

ADDRESS = {
    "email": "guest@example.com",
    "full_name": "Gail Guest",
    "line1": "100 Queen St W",
    "city": "Toronto",
    "province": "ON",
    "postal_code": "M5H 2N2",
}


def fill_address(client, **changes):
    return client.post("/checkout/", data={**ADDRESS, **changes}, follow_redirects=True)


def choose_delivery(client, service_id, policy="ship_complete"):
    return client.post(
        "/checkout/delivery", data={"service": str(service_id), "policy": policy},
        follow_redirects=True,
    )  # fmt: skip


def reviewed_token(page: str) -> str:
    return re.search(r'name="reviewed" type="hidden" value="([0-9a-f]+)"', page).group(1)


def place(client):
    page = client.get("/checkout/").get_data(as_text=True)
    return client.post("/checkout/review", data={"reviewed": reviewed_token(page)})


def pay(client, location: str, card="4242424242424242"):
    return client.post(location, data={"card_number": card}, follow_redirects=True)
