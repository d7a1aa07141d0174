"""A customer on the one-page checkout: read its form, post it back as a browser would."""

import re

import lxml.html

from tests.integration.checkout_helpers import ADDRESS, reviewed_token

CHECKED = r'<input type="radio" name="{name}" value="([^"]+)" checked>'
HIDDEN_POLICY = r'<input type="hidden" name="policy" value="([^"]+)">'


def shown_choice(page: str) -> dict:
    """The service and the policy the page shows as chosen (the ones its figures are for)."""
    service = re.search(CHECKED.format(name="service"), page).group(1)
    policy = re.search(CHECKED.format(name="policy"), page) or re.search(HIDDEN_POLICY, page)
    return {"service": service, "policy": policy.group(1)}


def shown_total(page: str) -> str:
    return re.search(r'<td class="num" id="total">([^<]+)</td>', page).group(1)


def update(client, **fields):
    """ "Update prices" with the address (and whatever choice is given)."""
    return client.post("/checkout/", data={**ADDRESS, **fields, "action": "update"})


def place_from_page(client, page: str, **changes):
    """ "Place order and pay" with everything the page shows, as the browser sends it."""
    data = {**ADDRESS, **shown_choice(page), "reviewed": reviewed_token(page)}
    return client.post("/checkout/", data={**data, **changes, "action": "place"})


def shown_fields(page: str) -> dict:
    """What the checkout form would send as the page shows it (typed values, ticks)."""
    form = lxml.html.fromstring(page).get_element_by_id("checkout-form")
    return dict(form.form_values())


def apply_code(client, code: str, **typed):
    """Type a code (and maybe change fields of the address) and press "Apply"."""
    page = client.get("/checkout/").get_data(as_text=True)
    data = {**shown_fields(page), **typed, "code": code, "action": "apply_code"}
    return client.post("/checkout/", data=data, follow_redirects=True)
