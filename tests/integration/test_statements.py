"""The statements and returns against a small month worked by hand.

March 2026 (the test clock): a lamp at $100.00 (cost $40.00) sold through the real
checkout and demo payment to Ontario (1), Quebec (2) and British Columbia (1); the
Ontario order refunded in full (credit note); cost of goods for the three lamps that
shipped; a supplier purchase entered by hand with its GST as an input tax credit.

    order  goods    shipping  taxes                          total    demo fee
    ON     100.00   18.89     HST 15.46 (13% of 118.89)      134.35   4.20
    QC     200.00    0.00     GST 10.00, QST 19.95           229.95   6.97
    BC     100.00   35.99     GST 6.80, PST 9.52 (on 135.99) 152.31   4.72
    (2.9 % + 30 cents: 389.6 -> 3.90 + 0.30; 666.9 -> 6.67 + 0.30; 441.7 -> 4.42 + 0.30)

    refund of ON: refunds 100.00, shipping 18.89, HST 15.46, clearing 134.35
    cost of goods: 3 x 40.00 = 120.00
    purchase: inventory 200.00 + GST input tax credit 10.00 = accounts payable 210.00
"""

import csv
import io
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from shop.accounting import chart, statements
from shop.accounting.models import Account
from shop.accounting.services import (
    ManualLine,
    demo_fee,
    post_cost_of_goods,
    post_manual_entry,
    post_processor_fee,
    post_refund,
)
from shop.accounts import roles
from shop.billing.services import invoice_for_order, issue_credit_note
from shop.books import exports, ledgers, tax_returns
from shop.extensions import db
from tests.conftest import log_in
from tests.factories import ProductFactory, VariantFactory
from tests.integration.backoffice_helpers import text_of
from tests.integration.books_helpers import pay, place_pending_order
from tests.integration.checkout_helpers import seed_reference_data

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def account(role: str) -> Account:
    return db.session.scalar(sa.select(Account).where(Account.role == role))


@pytest.fixture
def month(app, clock, staff):
    """The month of the module's docstring, committed."""
    classes = seed_reference_data()
    lamp = VariantFactory(
        product=ProductFactory(name="Brass Lamp"), sku="LAMP-1", price=10000,
        tax_class=classes["standard"], stock=50, cost=4000,
    )  # fmt: skip
    orders = {}
    for province, quantity in (("ON", 1), ("QC", 2), ("BC", 1)):
        orders[province] = place_pending_order([(lamp.id, quantity)], province=province)
        assert pay(orders[province]) == "order paid"
        fee = demo_fee(orders[province].total, Decimal("2.9"), 30)
        post_processor_fee(order=orders[province], fee=fee, source_key=f"fee:test:{province}",
                           on=date(2026, 3, 2), provider="Demo")  # fmt: skip
    note = issue_credit_note(invoice=invoice_for_order(orders["ON"]), reason="Returned")
    post_refund(order=orders["ON"], credit_note=note)
    post_cost_of_goods(source_key="cogs:test:march", on=date(2026, 3, 2), cost=12000,
                       description="Cost of goods, three lamps")  # fmt: skip
    post_manual_entry(
        on=date(2026, 3, 5), description="Lamps from the supplier, GST paid",
        lines=[
            ManualLine(account(chart.INVENTORY).id, debit=20000),
            ManualLine(account(chart.itc_role("GST")).id, debit=1000),
            ManualLine(account(chart.PAYABLE).id, credit=21000),
        ],
        user=staff[roles.BOOKKEEPER],
    )  # fmt: skip
    db.session.commit()
    return orders


def by_code(section) -> dict[str, int]:
    return {r.account.code if r.account else r.label: r.amount for r in section.rows}


# --- profit and loss ------------------------------------------------------------------


def test_the_profit_and_loss_of_the_month_line_by_line(month):
    report = statements.profit_and_loss(*MARCH, compare=True)
    revenue = by_code(report.revenue)
    # 54.88 - 18.89 shipping; Sales discounts (a role's account) shows though nothing was taken
    assert revenue == {"4000": 40000, "4050": 0, "4100": 3599, "4900": -10000}
    assert (report.sales, report.returns, report.shipping) == (40000, 10000, 3599)
    assert report.revenue.total == 33599
    assert by_code(report.cost_of_goods) == {"5000": 12000, "5010": 0, "5020": 0, "5030": 0}
    assert report.gross_profit == 21599  # 400.00 - 100.00 + 35.99 - 120.00
    assert by_code(report.expenses)["5100"] == 1589  # 4.20 + 6.97 + 4.72
    assert report.expenses.total == 1589
    assert report.net_income == 20010
    assert (report.previous_from, report.previous_to) == (date(2026, 2, 1), date(2026, 2, 28))
    assert report.previous_net_income == 0


def test_the_previous_period_is_as_many_whole_months_or_days():
    assert statements.previous_period(date(2026, 4, 1), date(2026, 6, 30)) == (
        date(2026, 1, 1), date(2026, 3, 31),
    )  # fmt: skip
    assert statements.previous_period(date(2026, 1, 1), date(2026, 1, 31)) == (
        date(2025, 12, 1), date(2025, 12, 31),
    )  # fmt: skip
    assert statements.previous_period(date(2026, 3, 10), date(2026, 3, 19)) == (
        date(2026, 2, 28), date(2026, 3, 9),
    )  # fmt: skip


# --- balance sheet --------------------------------------------------------------------


def test_the_balance_sheet_at_the_month_end_balances_with_current_earnings(month):
    report = statements.balance_sheet(date(2026, 3, 31))
    assets = by_code(report.assets)
    # clearing: 134.35 + 229.95 + 152.31 - fees 15.89 - refund 134.35
    assert assets["1050"] == 36637
    # 50 lamps of opening stock at 40.00 + 200.00 bought - 120.00 shipped
    assert assets["1200"] == 208000
    assert assets["1310"] == 1000
    assert report.assets.total == 245637
    liabilities = by_code(report.liabilities)
    assert liabilities["2000"] == 21000
    assert liabilities["2100"] == 1680  # GST 10.00 + 6.80
    assert liabilities["2110"] == 0  # HST 15.46 charged and refunded
    assert liabilities["2120"] == 952
    assert liabilities["2130"] == 1995
    assert report.liabilities.total == 25627
    assert report.equity_row(statements.CURRENT_EARNINGS) == 20010
    assert report.equity_row(statements.EARLIER_EARNINGS) == 0
    assert by_code(report.equity)["3100"] == 200000  # the opening stock's other side
    assert report.equity.total == 220010
    assert report.liabilities_and_equity == 245637 and report.balances


def test_the_years_earnings_move_to_earlier_years_when_the_year_is_over(month):
    report = statements.balance_sheet(date(2027, 1, 31))
    assert report.equity_row(statements.EARLIER_EARNINGS) == 20010
    assert report.equity_row(statements.CURRENT_EARNINGS) == 0
    assert report.balances


# --- tax returns ----------------------------------------------------------------------


def test_the_gst34_worksheet_line_by_line(month):
    report = tax_returns.gst_return(*MARCH)
    expected = {
        "101": 33599,  # sales 400.00 - returns 100.00 + shipping 35.99
        "103": 1680,  # HST 15.46 - 15.46 refunded + GST 10.00 (QC) + 6.80 (BC)
        "104": 0, "105": 1680, "106": 1000, "107": 0, "108": 1000, "109": 680,
        "110": 0, "111": 0, "112": 0, "113A": 680, "205": 0, "405": 0, "113B": 0,
        "113C": 680, "114": 0, "115": 680,
    }  # fmt: skip
    assert {line.number: line.amount for line in report.lines} == expected


def test_the_qst_worksheet_and_pst_per_province(month):
    report = tax_returns.qst_return(*MARCH)
    assert {line.number: line.amount for line in report.lines} == {
        "203": 1995, "204": 0, "205": 1995, "206": 0, "207": 0, "208": 0, "209": 1995,
        "211": 0, "213": 1995, "214": 0, "215": 1995,
    }  # fmt: skip
    rows, _ = tax_returns.pst_figures(*MARCH)
    assert [(r.province, r.taxable, r.collected) for r in rows] == [
        ("BC", 13599, 952), ("SK", 0, 0), ("MB", 0, 0),
    ]  # fmt: skip


def test_a_tax_payment_is_left_out_of_the_return(month, staff):
    post_manual_entry(
        on=date(2026, 3, 20), description="GST paid to the CRA",
        lines=[ManualLine(account(chart.tax_role("GST")).id, debit=500),
               ManualLine(account(chart.BANK).id, credit=500)],
        user=staff[roles.BOOKKEEPER],
    )  # fmt: skip
    report = tax_returns.gst_return(*MARCH)
    assert report.line("103") == 1680 and report.line("109") == 680
    assert report.settled.amount == -500


def test_filing_periods():
    assert tax_returns.filing_period("monthly", date(2026, 2, 9)) == (
        date(2026, 2, 1), date(2026, 2, 28),
    )  # fmt: skip
    assert tax_returns.filing_period("quarterly", date(2026, 11, 9)) == (
        date(2026, 10, 1), date(2026, 12, 31),
    )  # fmt: skip
    assert tax_returns.filing_period("yearly", date(2026, 11, 9)) == (
        date(2026, 1, 1), date(2026, 12, 31),
    )  # fmt: skip


# --- the pages, as the bookkeeper sees them -------------------------------------------


def cents(text: str) -> int:
    return int(Decimal(text or "0") * 100)


def rows_of(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body)))


def test_the_bookkeeper_reads_the_profit_and_loss(month, bookkeeper):
    page = text_of(bookkeeper.get("/admin/accounting/profit-and-loss?date_from=2026-03-01"
                                  "&date_to=2026-03-31&compare=y"))  # fmt: skip
    assert "Profit and loss" in page
    assert "4000 Sales" in page and "$400.00" in page
    assert "Gross profit" in page and "$215.99" in page
    assert "Net income" in page and "$200.10" in page
    sales = account(chart.SALES)
    assert (f"/admin/accounting/accounts/{sales.id}/ledger?date_from=2026-03-01"
            "&amp;date_to=2026-03-31") in bookkeeper.get(
        "/admin/accounting/profit-and-loss?date_from=2026-03-01&date_to=2026-03-31"
    ).get_data(as_text=True)  # fmt: skip
    body = bookkeeper.get(
        "/admin/accounting/profit-and-loss?date_from=2026-03-01&date_to=2026-03-31&format=csv"
    ).get_data(as_text=True)
    rows = rows_of(body)
    assert rows[0] == ["section", "account_code", "account", "amount"]
    assert ["Revenue", "4900", "Refunds and returns", "-100.00"] in rows
    assert ["", "", "Gross profit", "215.99"] in rows
    assert rows[-1] == ["", "", "Net income", "200.10"]


def test_the_bookkeeper_reads_the_balance_sheet(month, bookkeeper):
    page = text_of(bookkeeper.get("/admin/accounting/balance-sheet?at=2026-03-31"))
    assert "Assets equal liabilities and equity." in page
    assert "Current earnings" in page and "$200.10" in page
    assert "$2,456.37" in page
    rows = rows_of(
        bookkeeper.get("/admin/accounting/balance-sheet?at=2026-03-31&format=csv").get_data(
            as_text=True
        )
    )
    assert ["Equity", "", "Current earnings", "200.10"] in rows
    assert ["Assets", "", "Total assets", "2456.37"] in rows
    assert rows[-1] == ["", "", "Total liabilities and equity", "2456.37"]


def test_the_bookkeeper_reads_the_tax_return_worksheets(month, bookkeeper):
    page = text_of(bookkeeper.get("/admin/accounting/tax-returns?frequency=monthly&day=2026-03-15"))
    assert "Tax return worksheets: March 2026" in page
    assert "GST/HST return (CRA form GST34)" in page
    assert "Input tax credits for the period" in page and "$10.00" in page
    assert "$6.80" in page and "$19.95" in page and "$135.99" in page
    rows = rows_of(
        bookkeeper.get(
            "/admin/accounting/tax-returns?frequency=monthly&day=2026-03-15&form=gst&format=csv"
        ).get_data(as_text=True)
    )
    assert rows[0] == ["line", "description", "amount"]
    assert ["109", "Net tax (105 - 108)", "6.80"] in rows
    qst = rows_of(
        bookkeeper.get(
            "/admin/accounting/tax-returns?frequency=monthly&day=2026-03-15&form=qst&format=csv"
        ).get_data(as_text=True)
    )
    assert ["203", "Tax collected or collectible", "19.95"] in qst
    pst = rows_of(
        bookkeeper.get(
            "/admin/accounting/tax-returns?frequency=monthly&day=2026-03-15&form=pst&format=csv"
        ).get_data(as_text=True)
    )
    assert pst[1] == ["BC", "135.99", "9.52"]


def test_the_trial_balance_csv(month, bookkeeper):
    rows = rows_of(
        bookkeeper.get(
            "/admin/accounting/trial-balance.csv?date_from=2026-03-01&date_to=2026-03-31"
        ).get_data(as_text=True)
    )
    assert rows[0] == ["account_code", "account", "type", "opening", "debits", "credits",
                       "closing"]  # fmt: skip
    assert ["4000", "Sales", "income", "0.00", "0.00", "400.00", "-400.00"] in rows
    assert rows[-1][0:2] == ["", "Total"] and rows[-1][-1] == "0.00"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/accounting/profit-and-loss",
        "/admin/accounting/balance-sheet",
        "/admin/accounting/tax-returns",
        "/admin/accounting/periods",
        "/admin/accounting/trial-balance.csv",
        "/admin/accounting/journal-quickbooks.csv",
        "/admin/accounting/journal-xero.csv",
    ],
)
def test_warehouse_staff_may_not_read_the_statements(app, staff, path):
    client = app.test_client()
    log_in(client, staff[roles.WAREHOUSE].email)
    assert client.get(path).status_code == 403


# --- QuickBooks Online and Xero ---------------------------------------------------------


def test_the_quickbooks_journal_has_its_columns_and_each_entry_balances(month, bookkeeper):
    rows = rows_of(bookkeeper.get("/admin/accounting/journal-quickbooks.csv").get_data(
        as_text=True))  # fmt: skip
    assert rows[0] == exports.QUICKBOOKS_COLUMNS
    assert rows[0][:6] == ["Journal No", "Journal Date", "Account Name", "Debits", "Credits",
                           "Description"]  # fmt: skip
    sums = defaultdict(int)
    for number, day, name, debit, credit, *_ in rows[1:]:
        assert day.endswith("/03/2026") and name
        sums[number] += cents(debit) - cents(credit)
    assert len(sums) == 10 and set(sums.values()) == {0}
    assert [r[2] for r in rows if r[2] == "Sales" and r[4] == "200.00"] == ["Sales"]


def test_the_xero_journal_has_its_columns_and_each_journal_balances(month, bookkeeper):
    rows = rows_of(bookkeeper.get("/admin/accounting/journal-xero.csv").get_data(as_text=True))
    assert rows[0][:6] == ["*Narration", "*Date", "Description", "*AccountCode", "*TaxRate",
                           "*Amount"]  # fmt: skip
    sums = defaultdict(int)
    for narration, day, _, code, rate, amount, *_ in rows[1:]:
        assert rate == exports.XERO_TAX_RATE and code.isdigit()
        sums[(narration, day)] += cents(amount)
    assert len(sums) == 10 and set(sums.values()) == {0}
    total = sum(cents(r[5]) for r in rows[1:] if r[3] == "4000")
    assert total == -40000


def test_the_journal_lines_read_by_the_exports_are_the_months(month):
    lines = list(ledgers.journal_lines(ledgers.JournalFilters(*MARCH)))
    assert sum(r.debit for r in lines) == sum(r.credit for r in lines)


def test_every_line_carries_its_entrys_date(month):
    from shop.accounting.models import JournalEntry, JournalLine

    pairs = db.session.execute(
        sa.select(JournalLine.date, JournalEntry.date).join(JournalEntry)
    ).all()
    assert pairs and all(line == entry for line, entry in pairs)


def test_the_profit_and_loss_shows_the_month_so_far_by_default(month, bookkeeper):
    page = text_of(bookkeeper.get("/admin/accounting/profit-and-loss"))
    assert "Mar 1, 2026 to Mar 2, 2026" in page
    assert "$200.10" in page
