"""The month-end checks on the close page: after a month of real events every account
agrees with the records behind it; an entry typed into a control account by hand shows
as a difference, beside the account's ledger."""

import html
import re

import pytest
import sqlalchemy as sa

from shop import month_end
from shop.accounting import chart
from shop.accounting.models import Account
from shop.accounting.services import ManualLine, post_manual_entry
from shop.accounts import roles
from shop.clock import store_today
from shop.extensions import db
from shop.fulfilment import services as fulfilment
from shop.payables import payments
from shop.payouts import services as payouts
from tests.integration.order_helpers import buy
from tests.integration.payables_helpers import enter, received_po


@pytest.fixture
def month(app, staff):
    """Goods bought and billed with GST, half the bill paid, a customer's order shipped,
    the demo provider's payout: committed."""
    from tests.integration.checkout_helpers import seed_reference_data

    classes = seed_reference_data()
    po = received_po(classes, quantity=10, unit_cost=1200, province="AB")
    bill = enter(po, unit_cost=1250, taxes={"GST": 625})
    payments.record_payment(
        bill=bill, paid_on=store_today(), method="cheque", reference="1042", amount=6000,
        user=None,
    )  # fmt: skip
    variant = po.lines[0].variant
    order = buy(app, [(variant, 2)], email="camper@example.com")
    fulfilment.confirm_shipment(
        shipment=fulfilment.start_shipment(order=order, user=None), user=None
    )
    payouts.pay_out_demo(through=store_today())
    db.session.commit()
    return order


def _plain(cell: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()


def check_rows(page: str) -> dict[str, list[str]]:
    rows = re.findall(r'<tr data-check="\d+" class="(ok|wrong)">(.*?)</tr>', page, re.S)
    return {
        _plain(cells.split("</td>")[0]): [state, *re.findall(r'class="num">([^<]*)<', cells)]
        for state, cells in rows
    }


def test_after_a_month_of_events_every_check_agrees(month, bookkeeper):
    checks = month_end.month_end_checks()
    assert [c.name for c in checks if not c.ok] == []
    named = {c.name: c for c in checks}
    assert named["Accounts payable = open supplier bills"].books == 13125 - 6000
    assert named["GST input tax credits = GST on supplier bills"].records == 625
    assert named["Inventory = stock on hand at average cost"].books > 0

    page = bookkeeper.get("/admin/accounting/periods").get_data(as_text=True)
    assert f"All {len(checks)} checks agree" in page
    rows = check_rows(page)
    assert rows["Accounts payable = open supplier bills"] == ["ok", "$71.25", "$71.25", "$0.00"]


def test_a_manual_entry_into_inventory_shows_as_a_difference(month, bookkeeper, staff):
    inventory, equity = (
        db.session.scalar(sa.select(Account).where(Account.role == role))
        for role in (chart.INVENTORY, chart.OPENING_BALANCE)
    )
    post_manual_entry(
        on=store_today(), description="Stock found in the van",
        lines=[ManualLine(inventory.id, debit=2500), ManualLine(equity.id, credit=2500)],
        user=staff[roles.BOOKKEEPER],
    )  # fmt: skip
    db.session.commit()

    page = bookkeeper.get("/admin/accounting/periods").get_data(as_text=True)
    assert "1 of " in page and "checks show a difference" in page
    state, books, records, difference = check_rows(page)[
        "Inventory = stock on hand at average cost"
    ]
    assert state == "wrong" and difference == "$25.00"
    assert f"/admin/accounting/accounts/{inventory.id}/ledger" in page
