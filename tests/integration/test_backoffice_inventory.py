"""Warehouse staff adjust and count stock; every change is a movement they can see."""

import re

import pytest
import sqlalchemy as sa

from shop.accounting import chart
from shop.accounting.models import Account
from shop.accounts import roles
from shop.extensions import db
from shop.inventory import reasons
from shop.inventory.models import StockLevel, StockMovement
from shop.inventory.services import movement_total
from tests.conftest import PASSWORD, log_in
from tests.factories import ProductFactory, VariantFactory
from tests.integration.backoffice_helpers import errors_beside, flashes, text_of


@pytest.fixture
def warehouse(app, client, staff):
    log_in(client, staff[roles.WAREHOUSE].email)
    return staff[roles.WAREHOUSE]


@pytest.fixture
def tent(tax_class):
    return VariantFactory(product=ProductFactory(name="Ridge Tent"), sku="TENT-1", stock=10)


def on_hand(variant_id: int) -> int:
    return db.session.scalar(
        sa.select(StockLevel.on_hand).where(StockLevel.variant_id == variant_id)
    )


def movements(variant_id: int) -> list[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(StockMovement.quantity, StockMovement.reason)
        .where(StockMovement.variant_id == variant_id)
        .order_by(StockMovement.id)
    )
    return [tuple(r) for r in rows]


def adjust(client, variant_id, quantity, reason=reasons.ADJUSTMENT, note="", **kw):
    return client.post(
        f"/admin/stock/{variant_id}/adjust",
        data={"quantity": quantity, "reason": reason, "note": note},
        **kw,
    )


def test_adjustments_write_movements_and_on_hand_is_their_sum(client, warehouse, tent):
    page = text_of(adjust(client, tent.id, "+5", note="Found behind shelf", follow_redirects=True))
    assert "Stock of TENT-1 changed by +5." in flashes(page)
    assert "<strong>15</strong> on hand" in page

    page = text_of(adjust(client, tent.id, "-2", note="Torn fly", follow_redirects=True))
    assert "Stock of TENT-1 changed by -2." in flashes(page)
    assert "<strong>13</strong> on hand" in page
    assert "3 movements, adding up to 13 on hand." in page

    assert movements(tent.id) == [
        (10, reasons.INITIAL),
        (5, reasons.ADJUSTMENT),
        (-2, reasons.ADJUSTMENT),
    ]
    assert on_hand(tent.id) == movement_total(tent.id) == 13
    user_ids = db.session.scalars(
        sa.select(StockMovement.user_id).where(StockMovement.reason == reasons.ADJUSTMENT)
    )
    assert set(user_ids) == {warehouse.id}


def test_the_movement_history_lists_every_movement_with_reason_and_user(client, warehouse, tent):
    adjust(client, tent.id, "3", reason=reasons.RETURN, note="Customer sent it back")
    adjust(client, tent.id, "-1", note="Damaged in storage")
    page = text_of(client.get(f"/admin/stock/{tent.id}/movements"))
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]
    # Newest first: change, its value at (average) cost, reason, reference, note, user.
    assert [c[1:] for c in cells] == [
        ["-1", "-$10.00", "Adjustment", "", "Damaged in storage", warehouse.name],
        ["+3", "$30.00", "Customer return", "", "Customer sent it back", warehouse.name],
        ["+10", "$100.00", "Opening stock", "", "", "System"],
    ]
    assert all(c[0] for c in cells)  # each movement says when it happened


def test_removing_more_than_on_hand_is_refused_and_nothing_changes(client, warehouse, tent):
    response = adjust(client, tent.id, "-11")
    assert response.status_code == 422
    assert errors_beside(text_of(response), "quantity") == [
        "Not enough stock: 10 on hand, 0 allocated to orders; cannot remove 11."
    ]
    assert on_hand(tent.id) == 10
    assert movements(tent.id) == [(10, reasons.INITIAL)]


@pytest.mark.parametrize(
    "quantity,message",
    [
        ("abc", "Enter a whole number, like 5."),
        ("1.5", "Enter a whole number, like 5."),
        ("", "Enter how many units to add or remove."),
        ("  ", "Enter how many units to add or remove."),
        ("0", "Enter a whole number of units from -1,000,000 to 1,000,000, not 0."),
        ("1000000000", "Enter a whole number of units from -1,000,000 to 1,000,000, not 0."),
        ("99999999999999999999", "Enter a whole number, like 5."),
    ],
)
def test_a_quantity_that_is_not_a_whole_number_of_units_is_refused(
    client, warehouse, tent, quantity, message
):
    response = adjust(client, tent.id, quantity)
    assert response.status_code == 422
    assert errors_beside(text_of(response), "quantity") == [message]
    assert on_hand(tent.id) == 10 and len(movements(tent.id)) == 1


def test_a_reason_outside_the_list_is_refused(client, warehouse, tent):
    page = text_of(client.get(f"/admin/stock/{tent.id}/adjust"))
    assert ">Customer return</option>" in page and ">Stock count</option>" not in page
    for reason in (reasons.COUNT, reasons.SHIPMENT, "stolen"):
        response = adjust(client, tent.id, "4", reason=reason)
        assert response.status_code == 422
        assert errors_beside(text_of(response), "reason") == ["Choose a reason from the list."]
    assert on_hand(tent.id) == 10


def test_an_over_long_note_is_refused(client, warehouse, tent):
    response = adjust(client, tent.id, "1", note="n" * 201)
    assert response.status_code == 422
    assert errors_beside(text_of(response), "note") == ["Use at most 200 characters."]
    assert on_hand(tent.id) == 10


def test_a_count_records_the_difference(client, warehouse, tent):
    response = client.post(
        f"/admin/stock/{tent.id}/count", data={"counted": "7", "note": "Cycle count"}
    )
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "Count of TENT-1 recorded: -3." in flashes(page)
    assert "Stock count" in page and "Cycle count" in page
    assert movements(tent.id)[-1] == (-3, reasons.COUNT)
    assert on_hand(tent.id) == movement_total(tent.id) == 7

    page = text_of(
        client.post(f"/admin/stock/{tent.id}/count", data={"counted": "7"}, follow_redirects=True)
    )
    assert "Count of TENT-1 matches: nothing to change." in flashes(page)
    assert len(movements(tent.id)) == 2


@pytest.mark.parametrize(
    "counted,message",
    [
        ("-1", "Enter a whole number from 0 to 1,000,000."),
        ("abc", "Enter a whole number, like 5."),
        ("2.5", "Enter a whole number, like 5."),
        ("1000000000", "Enter a whole number from 0 to 1,000,000."),
    ],
)
def test_a_count_that_is_not_a_whole_number_is_refused(client, warehouse, tent, counted, message):
    response = client.post(f"/admin/stock/{tent.id}/count", data={"counted": counted})
    assert response.status_code == 422
    assert errors_beside(text_of(response), "counted") == [message]
    assert on_hand(tent.id) == 10 and len(movements(tent.id)) == 1


def test_stock_of_an_unknown_variant_is_not_found(client, warehouse):
    assert adjust(client, 4242, "5").status_code == 404
    assert client.get("/admin/stock/4242/movements").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(StockMovement.id))) == 0


def test_the_stock_list_shows_figures_and_filters_low_stock(client, warehouse, tax_class):
    VariantFactory(
        product=ProductFactory(name="Camp Lamp"), sku="LAMP-1", stock=2, stock__reorder_point=5
    )
    VariantFactory(product=ProductFactory(name="Ridge Tent"), sku="TENT-1", stock=50)
    page = text_of(client.get("/admin/stock"))
    assert "2 variants" in page and "LAMP-1" in page and "TENT-1" in page

    page = text_of(client.get("/admin/stock?low=1"))
    assert "1 variant at or below their reorder point" in page
    assert "LAMP-1" in page and "TENT-1" not in page
    row = re.search(r"<td>LAMP-1</td>.*?</tr>", page, re.S).group(0)
    assert re.findall(r'<td class="num[^"]*">(\d+)</td>', row) == ["2", "0", "2", "5"]

    page = text_of(client.get("/admin/stock?q=tent"))
    assert "TENT-1" in page and "LAMP-1" not in page


def test_sales_may_look_at_stock_but_not_change_it(app, staff, tent):
    client = app.test_client()
    log_in(client, staff[roles.SALES].email)
    page = text_of(client.get("/admin/stock"))
    assert "TENT-1" in page and "Adjust" not in page
    assert client.get(f"/admin/stock/{tent.id}/movements").status_code == 200
    assert adjust(client, tent.id, "5").status_code == 403
    assert on_hand(tent.id) == 10


class TestWithCsrfProtection:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    @staticmethod
    def token_of(page: str) -> str:
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    def log_in_with_token(self, client, email):
        token = self.token_of(client.get("/account/login").get_data(as_text=True))
        response = client.post(
            "/account/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302

    def test_a_post_without_or_with_a_wrong_token_gets_400_and_changes_nothing(
        self, app, client, staff, tent
    ):
        self.log_in_with_token(client, staff[roles.WAREHOUSE].email)
        for token in (None, "forged"):
            data = {"quantity": "5", "reason": reasons.ADJUSTMENT}
            if token:
                data["csrf_token"] = token
            response = client.post(f"/admin/stock/{tent.id}/adjust", data=data)
            assert response.status_code == 400
            assert "Your form expired or came from another site." in text_of(response)
        assert on_hand(tent.id) == 10 and len(movements(tent.id)) == 1

        # With the token from the page, the same adjustment goes through.
        token = self.token_of(client.get(f"/admin/stock/{tent.id}/adjust").get_data(as_text=True))
        response = client.post(
            f"/admin/stock/{tent.id}/adjust",
            data={"quantity": "5", "reason": reasons.ADJUSTMENT, "csrf_token": token},
        )
        assert response.status_code == 302
        assert on_hand(tent.id) == 15


def test_stock_valuation_at_cost_beside_the_inventory_account(app, staff, tax_class):
    from tests.conftest import log_in
    from tests.factories import VariantFactory as Variants

    one = Variants(sku="VAL-1", cost=1250, stock=4).product.name  # $50.00
    two = Variants(sku="VAL-2", cost=300, stock=10).product.name  # $30.00
    Variants(sku="VAL-3", cost=999, stock=0)  # not listed
    client = app.test_client()
    log_in(client, staff["bookkeeper"].email)
    page = client.get("/admin/stock/valuation").get_data(as_text=True)
    assert 'id="valuation-total">$80.00<' in page
    # The opening stock posted inventory / opening balance equity: the account agrees.
    account = db.session.scalar(sa.select(Account).where(Account.role == chart.INVENTORY))
    ledger = f'href="/admin/accounting/accounts/{account.id}/ledger">$80.00</a>'
    assert ledger in page
    assert 'id="valuation-difference">$0.00<' in page
    assert page.index("VAL-1") < page.index("VAL-2")
    assert "VAL-3" not in page

    csv = client.get("/admin/stock/valuation.csv")
    assert csv.headers["Content-Disposition"] == 'attachment; filename="stock-valuation.csv"'
    assert csv.get_data(as_text=True).splitlines() == [
        "SKU,Item,On hand,Average cost,Value",
        f"VAL-1,{one},4,12.50,50.00",
        f"VAL-2,{two},10,3.00,30.00",
        "Total,,14,,80.00",
    ]
