"""The bookkeeper's pages: invoices, the journal, ledgers, the trial balance, tax collected,
the exports and manual entries, after real demo-checkout purchases in Ontario and Quebec."""

import csv
import io
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from shop.accounting import agents, chart
from shop.accounting.models import Account, CommissionAgent, JournalEntry, JournalLine
from shop.accounting.services import post_commission, post_cost_of_goods, post_refund
from shop.accounts import roles
from shop.billing.models import Invoice
from shop.billing.services import invoice_for_order, issue_credit_note
from shop.books import ledgers
from shop.clock import store_date
from shop.db import utcnow
from shop.extensions import db
from shop.store_details.services import store_settings
from tests.conftest import log_in
from tests.factories import ProductFactory, VariantFactory
from tests.integration.backoffice_helpers import errors_beside, flashes, text_of
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy

QUEBEC = {"city": "Montreal", "province": "QC", "postal_code": "H2Y 1C6"}


@pytest.fixture
def classes(app):
    return seed_reference_data()


@pytest.fixture
def lamp(classes):
    return VariantFactory(
        product=ProductFactory(name="Brass Lamp"), sku="LAMP-1", price=10000,
        tax_class=classes["standard"], stock=50,
    )  # fmt: skip


@pytest.fixture
def purchases(app, lamp):
    """One paid order shipped to Ontario, one to Quebec, through the demo checkout."""
    ontario = buy(app, [(lamp, 1)], email="olive@example.com")
    quebec = buy(app, [(lamp, 2)], email="quentin@example.com", **QUEBEC)
    return ontario, quebec


@pytest.fixture
def owner(app, staff):
    client = app.test_client()
    log_in(client, staff[roles.OWNER].email)
    return client


def money(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    return f"{sign}${abs(minor) / 100:,.2f}"


def fee_of(total: int) -> int:
    """2.9 % + 30 cents, rounded half-up, worked by hand in integer cents."""
    return (total * 29 + 500) // 1000 + 30


def account(role: str) -> Account:
    return db.session.scalar(sa.select(Account).where(Account.role == role))


def entries_on_page(page: str) -> dict[str, list[tuple[str, str, str]]]:
    """The journal page's entries by source: [(account, debit, credit), ...] per entry."""
    found: dict[str, list] = {}
    for source, body in re.findall(
        r'<tbody id="entry-\d+" data-source="(\w+)">(.*?)</tbody>', page, re.S
    ):
        lines = re.findall(
            r'<tr class="line">.*?<a [^>]*>([^<]+)</a></td>\s*<td>[^<]*</td>\s*'
            r'<td class="num">([^<]*)</td>\s*<td class="num">([^<]*)</td>',
            body,
            re.S,
        )
        found.setdefault(source, []).append([(a, d.strip(), c.strip()) for a, d, c in lines])
    return found


def trial_balance_rows(page: str) -> dict[str, list[str]]:
    rows = re.findall(r'<tr data-code="([^"]+)">(.*?)</tr>', page, re.S)
    return {code: re.findall(r'<td class="num">([^<]*)</td>', body) for code, body in rows}


# --- the journal ------------------------------------------------------------------


def test_the_journal_shows_each_sale_and_its_demo_fee(purchases, bookkeeper):
    ontario, quebec = purchases
    page = text_of(bookkeeper.get("/admin/accounting/journal"))
    # Newest first: read them oldest first, as they were posted.
    entries = {source: found[::-1] for source, found in entries_on_page(page).items()}
    assert len(entries["sale"]) == 2 and len(entries["payment_fee"]) == 2

    invoice = invoice_for_order(ontario)
    sale = entries["sale"][0]
    assert sale[0] == ("1050 Payment processor clearing", money(invoice.total), "")
    assert ("4000 Sales", "", money(invoice.subtotal)) in sale
    assert ("4100 Shipping income", "", money(invoice.shipping_total)) in sale
    assert ("2110 HST payable", "", money(invoice.taxes[0].amount)) in sale
    assert [t.component for t in invoice.taxes] == ["HST"]

    quebec_invoice = invoice_for_order(quebec)
    quebec_sale = entries["sale"][1]
    assert quebec_sale[0][1] == money(quebec_invoice.total)
    components = {t.component: t.amount for t in quebec_invoice.taxes}
    assert ("2100 GST payable", "", money(components["GST"])) in quebec_sale
    assert ("2130 QST payable", "", money(components["QST"])) in quebec_sale

    fee = fee_of(ontario.total)
    assert entries["payment_fee"][0] == [
        ("5100 Payment processing fees", money(fee), ""),
        ("1050 Payment processor clearing", "", money(fee)),
    ]
    assert f"Sale, order {ontario.number}, invoice {invoice.number}" in page


def test_the_journal_filters_by_source_account_and_date(purchases, bookkeeper):
    fees = text_of(bookkeeper.get("/admin/accounting/journal?source=payment_fee"))
    assert set(entries_on_page(fees)) == {"payment_fee"}

    qst = account(chart.tax_role("QST"))
    only_qst = entries_on_page(
        text_of(bookkeeper.get(f"/admin/accounting/journal?account={qst.id}"))
    )
    assert list(only_qst) == ["sale"] and len(only_qst["sale"]) == 1

    tomorrow = store_date(utcnow()) + timedelta(days=1)
    later = text_of(bookkeeper.get(f"/admin/accounting/journal?date_from={tomorrow}"))
    assert "No entries match." in later

    bad = bookkeeper.get("/admin/accounting/journal?date_from=31/12/2026&source=nope")
    assert bad.status_code == 200
    assert "Enter a date like 2026-03-31." in text_of(bad)


# --- the trial balance ------------------------------------------------------------


def test_the_trial_balance_sums_to_zero_and_matches_the_figures_by_hand(
    purchases, lamp, bookkeeper
):
    ontario, quebec = purchases
    fees = fee_of(ontario.total) + fee_of(quebec.total)
    opening = 50 * lamp.cost  # the lamp's opening stock, at its cost
    on_tax = {t.component: t.amount for t in ontario.taxes}
    qc_tax = {t.component: t.amount for t in quebec.taxes}
    expected = {  # debits less credits, by account code
        "1050": ontario.total + quebec.total - fees,
        "2100": -qc_tax["GST"],
        "2110": -on_tax["HST"],
        "2130": -qc_tax["QST"],
        "4000": -(ontario.subtotal + quebec.subtotal),
        "4100": -(ontario.shipping_total + quebec.shipping_total),
        "5100": fees,
        "1200": opening,
        "3100": -opening,
    }
    assert ontario.subtotal == 10000 and quebec.subtotal == 20000

    report = ledgers.trial_balance()
    assert {r.account.code: r.closing for r in report.rows} == expected
    assert report.balances and report.closing == 0 and report.debits == report.credits
    assert report.debits == ontario.total + quebec.total + fees + opening

    page = text_of(bookkeeper.get("/admin/accounting/trial-balance"))
    rows = trial_balance_rows(page)
    assert set(rows) == set(expected)
    assert rows["1050"][3] == f"{money(expected['1050'])} Dr"
    assert rows["4000"][3] == "$300.00 Cr"
    assert rows["5100"] == ["$0.00", money(fees), "$0.00", f"{money(fees)} Dr"]
    assert "The books balance: debits equal credits." in page
    totals = re.search(r'<tr class="totals">(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r'<td class="num">([^<]*)</td>', totals) == [
        "$0.00", money(report.debits), money(report.debits), "$0.00",
    ]  # fmt: skip


def test_a_range_after_the_sales_opens_with_their_balances(purchases, bookkeeper):
    tomorrow = store_date(utcnow()) + timedelta(days=1)
    report = ledgers.trial_balance(tomorrow, None)
    assert report.debits == 0 and report.credits == 0
    assert all(r.opening == r.closing for r in report.rows)
    assert report.opening == 0 and report.balances
    page = bookkeeper.get(f"/admin/accounting/trial-balance?date_from={tomorrow}")
    assert "The books balance" in text_of(page)


# --- tax collected ----------------------------------------------------------------


def test_tax_collected_is_hst_for_ontario_and_gst_qst_for_quebec(purchases, bookkeeper):
    ontario, quebec = purchases
    on_invoice, qc_invoice = invoice_for_order(ontario), invoice_for_order(quebec)
    report = ledgers.tax_collected()
    by_key = {(r.component, r.province): r for r in report.rows}
    assert set(by_key) == {("HST", "ON"), ("GST", "QC"), ("QST", "QC")}
    for invoice in (on_invoice, qc_invoice):
        for tax in invoice.taxes:
            row = by_key[(tax.component, invoice.ship_province)]
            assert row.collected == tax.amount == row.invoiced
            assert row.taxable == tax.taxable
    assert report.total() == on_invoice.tax_total + qc_invoice.tax_total

    page = text_of(bookkeeper.get("/admin/accounting/tax"))
    row = re.search(r'data-component="QST" data-province="QC">(.*?)</tr>', page, re.S).group(1)
    qst = next(t for t in qc_invoice.taxes if t.component == "QST")
    assert re.findall(r'<td class="num">([^<]*)</td>', row) == [
        money(qst.taxable), money(qst.amount), "$0.00", money(qst.amount),
    ]  # fmt: skip
    assert f"<strong>{money(report.total())}</strong>" in page


def test_a_refund_and_a_shipment_keep_the_books_balanced_and_net_the_tax(purchases, bookkeeper):
    ontario, _ = purchases
    invoice = invoice_for_order(ontario)
    note = issue_credit_note(invoice=invoice, reason="Returned")
    post_refund(order=ontario, credit_note=note)
    post_cost_of_goods(
        source_key=f"cogs:order:{ontario.id}", on=store_date(utcnow()), cost=1000,
        description=f"Shipment, order {ontario.number}", order_id=ontario.id,
    )  # fmt: skip
    db.session.commit()

    entries = entries_on_page(text_of(bookkeeper.get("/admin/accounting/journal")))
    assert entries["refund"][0][0] == ("4900 Refunds and returns", money(invoice.subtotal), "")
    assert entries["cogs"][0] == [
        ("5000 Cost of goods sold", "$10.00", ""),
        ("1200 Inventory", "", "$10.00"),
    ]
    assert ledgers.trial_balance().balances
    hst = next(r for r in ledgers.tax_collected().rows if r.component == "HST")
    assert (hst.charged, hst.refunded, hst.collected, hst.invoiced) == (
        invoice.tax_total, invoice.tax_total, 0, 0,
    )  # fmt: skip


# --- the ledger -------------------------------------------------------------------


def test_the_ledger_runs_a_balance_from_the_opening_balance(purchases, bookkeeper):
    ontario, quebec = purchases
    clearing = account(chart.CLEARING)
    ledger = ledgers.account_ledger(clearing)
    steps = [
        ontario.total, ontario.total - fee_of(ontario.total),
        ontario.total - fee_of(ontario.total) + quebec.total,
        ontario.total + quebec.total - fee_of(ontario.total) - fee_of(quebec.total),
    ]  # fmt: skip
    assert [line.balance for line in ledger.lines.items] == steps
    assert ledger.opening == 0 and ledger.closing == steps[-1]

    page = text_of(bookkeeper.get(f"/admin/accounting/accounts/{clearing.id}/ledger"))
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)
    balances = re.findall(r'<td class="num">(\$[0-9,.]+ Dr)</td>\s*</tr>', body)
    assert balances == [f"{money(s)} Dr" for s in steps]

    tomorrow = store_date(utcnow()) + timedelta(days=1)
    later = ledgers.account_ledger(clearing, tomorrow, None)
    assert later.opening == steps[-1] and later.lines.items == [] and later.closing == steps[-1]


# --- exports ----------------------------------------------------------------------


def test_the_journal_csv_has_every_line_of_the_table(purchases, bookkeeper):
    response = bookkeeper.get("/admin/accounting/journal.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == db.session.scalar(sa.select(sa.func.count(JournalLine.id)))
    by_code: dict[str, Decimal] = {}
    for row in rows:
        amount = Decimal(row["debit"] or "0") - Decimal(row["credit"] or "0")
        by_code[row["account_code"]] = by_code.get(row["account_code"], Decimal(0)) + amount
    expected = {r.account.code: Decimal(r.closing) / 100 for r in ledgers.trial_balance().rows}
    assert by_code == expected
    sale = next(r for r in rows if r["source_type"] == "sale")
    assert re.fullmatch(r"[0-9]+\.[0-9]{2}", sale["debit"])
    assert sale["order"] == purchases[0].number


def test_the_invoice_list_its_totals_and_its_csv_agree(purchases, bookkeeper):
    ontario, quebec = purchases
    page = text_of(bookkeeper.get("/admin/accounting/invoices"))
    invoices = [invoice_for_order(ontario), invoice_for_order(quebec)]
    for invoice in invoices:
        assert f"<td>{invoice.number}" in page
        assert f'href="/admin/invoices/{invoice.number}.pdf"' in page
    total = sum(i.total for i in invoices)
    assert "2 documents" in page and f"<strong>{money(total)}</strong>" in page

    one = text_of(bookkeeper.get("/admin/accounting/invoices?q=quentin"))
    assert f"<td>{invoices[1].number}" in one and f"<td>{invoices[0].number}" not in one

    csv_text = bookkeeper.get("/admin/accounting/invoices.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert [r["number"] for r in rows] == [i.number for i in invoices]
    assert sum(Decimal(r["total"]) for r in rows) == Decimal(total) / 100
    assert [r["ship_province"] for r in rows] == ["ON", "QC"]

    only_notes = bookkeeper.get("/admin/accounting/invoices.csv?kind=credit_note")
    assert only_notes.get_data(as_text=True).count("\n") == 1  # the header only


def test_sales_staff_see_the_invoice_list_but_not_the_journal(purchases, app, staff):
    sales = app.test_client()
    log_in(sales, staff[roles.SALES].email)
    assert sales.get("/admin/accounting/invoices").status_code == 200
    assert sales.get("/admin/accounting/journal").status_code == 403
    warehouse = app.test_client()
    log_in(warehouse, staff[roles.WAREHOUSE].email)
    assert warehouse.get("/admin/accounting/invoices").status_code == 403
    assert warehouse.get("/admin/accounting/trial-balance").status_code == 403


def bean_check() -> str | None:
    here = Path(sys.executable).parent / "bean-check"
    return str(here) if here.exists() else shutil.which("bean-check")


def test_the_beancount_export_passes_bean_check(purchases, bookkeeper, tmp_path):
    ontario, _ = purchases
    note = issue_credit_note(invoice=invoice_for_order(ontario), reason="Returned")
    post_refund(order=ontario, credit_note=note)
    db.session.commit()
    text = bookkeeper.get("/admin/accounting/journal.beancount").get_data(as_text=True)
    assert "open Assets:PaymentProcessorClearing CAD" in text
    assert "open Liabilities:HSTPayable CAD" in text
    assert "open Equity:OwnersEquity CAD" in text
    assert "open Expenses:PaymentProcessingFees CAD" in text
    entries = db.session.scalar(sa.select(sa.func.count(JournalEntry.id)))
    assert len(re.findall(r"^\d{4}-\d{2}-\d{2} \* ", text, re.M)) == entries
    assert f"  Assets:PaymentProcessorClearing  {Decimal(ontario.total) / 100:.2f} CAD" in text

    checker = bean_check()
    if checker is None:
        pytest.skip("bean-check is not installed: pip install beancount (the dev extra has it)")
    ledger = tmp_path / "books.beancount"
    ledger.write_text(text, encoding="utf-8")
    result = subprocess.run([checker, str(ledger)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


# --- manual entries ---------------------------------------------------------------


def entry_form(lines, *, on=None, description="Owner puts money in") -> dict:
    data = {"on": str(on or store_date(utcnow())), "description": description}
    for n, (account_id, debit, credit) in enumerate(lines):
        data[f"lines-{n}-account_id"] = str(account_id)
        data[f"lines-{n}-debit"] = debit
        data[f"lines-{n}-credit"] = credit
        data[f"lines-{n}-memo"] = ""
    return data


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(sa.select(sa.func.count(JournalEntry.id))),
        db.session.scalar(sa.select(sa.func.count(JournalLine.id))),
    )


def test_an_unbalanced_manual_entry_is_refused_and_nothing_is_written(purchases, bookkeeper):
    bank, equity = account(chart.BANK), account(chart.EQUITY_OPENING)
    before = counts()
    response = bookkeeper.post(
        "/admin/accounting/journal/new",
        data=entry_form([(bank.id, "100.00", ""), (equity.id, "", "90")]),
    )
    assert response.status_code == 422
    assert flashes(text_of(response)) == [
        "The entry does not balance: debits $100.00, credits $90.00 (a difference of $10.00). "
        "Nothing was posted."
    ]
    assert counts() == before

    one_sided = bookkeeper.post(
        "/admin/accounting/journal/new", data=entry_form([(bank.id, "5", ""), ("", "", "5")])
    )
    assert one_sided.status_code == 422
    assert errors_beside(text_of(one_sided), "lines-1-account_id") == ["Choose the account."]
    bad_amount = bookkeeper.post(
        "/admin/accounting/journal/new",
        data=entry_form([(bank.id, "1.234", ""), (equity.id, "", "1")]),
    )
    assert errors_beside(text_of(bad_amount), "lines-0-debit") == [
        "Enter an amount in dollars and cents, like 24.99."
    ]
    assert counts() == before


def test_a_balanced_manual_entry_is_posted_and_shows_in_the_reports(purchases, bookkeeper, staff):
    bank, equity = account(chart.BANK), account(chart.EQUITY_OPENING)
    earlier = store_date(utcnow()) - timedelta(days=10)
    response = bookkeeper.post(
        "/admin/accounting/journal/new",
        data=entry_form([(bank.id, "1,500.00", ""), (equity.id, "", "1500")], on=earlier),
    )
    assert response.status_code == 302
    entry = db.session.scalar(sa.select(JournalEntry).where(JournalEntry.source_type == "manual"))
    assert entry.date == earlier and entry.user_id == staff[roles.BOOKKEEPER].id
    assert [(line.account.code, line.debit, line.credit) for line in entry.lines] == [
        ("1000", 150000, 0), ("3000", 0, 150000),
    ]  # fmt: skip
    assert entry.source_key.startswith("manual:")

    journal = entries_on_page(text_of(bookkeeper.get("/admin/accounting/journal?source=manual")))
    assert journal["manual"] == [
        [("1000 Bank", "$1,500.00", ""), ("3000 Owner's equity", "", "$1,500.00")]
    ]

    report = ledgers.trial_balance()
    assert report.balances
    assert {r.account.code: r.closing for r in report.rows}["1000"] == 150000
    today = store_date(utcnow())
    in_period = ledgers.trial_balance(today, today)
    row = next(r for r in in_period.rows if r.account.code == "1000")
    assert (row.opening, row.debits, row.closing) == (150000, 0, 150000)
    ledger = ledgers.account_ledger(bank, today, None)
    assert ledger.opening == 150000 and ledger.lines.total == 0


# --- the chart of accounts --------------------------------------------------------


def test_the_owner_adds_and_renames_accounts_but_not_posting_roles(purchases, owner, bookkeeper):
    response = owner.post(
        "/admin/accounting/accounts/new", data={"code": "6100", "name": "Rent", "type": "expense"}
    )
    assert response.status_code == 302
    rent = db.session.scalar(sa.select(Account).where(Account.code == "6100"))
    assert (rent.type, rent.role, rent.is_active) == ("expense", None, True)

    duplicate = owner.post(
        "/admin/accounting/accounts/new", data={"code": "6100", "name": "Again", "type": "expense"}
    )
    assert errors_beside(text_of(duplicate), "code") == ["Account 6100 is already Rent."]

    sales = account(chart.SALES)
    renamed = owner.post(
        f"/admin/accounting/accounts/{sales.id}",
        data={"code": "4000", "name": "Online sales", "is_active": "y"},
    )
    assert renamed.status_code == 302
    retired = owner.post(
        f"/admin/accounting/accounts/{sales.id}", data={"code": "4000", "name": "Online sales"}
    )
    assert retired.status_code == 422
    assert "it stays active" in errors_beside(text_of(retired), "is_active")[0]
    db.session.refresh(sales)
    assert (sales.name, sales.role, sales.is_active) == ("Online sales", chart.SALES, True)

    page = text_of(bookkeeper.get("/admin/accounting/accounts"))
    assert "Online sales" in page and "6100" in page
    assert bookkeeper.get(f"/admin/accounting/accounts/{sales.id}").status_code == 403


# --- store settings and commissions -----------------------------------------------

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def settings_form(**changes) -> dict:
    data = {
        "legal_name": "Maple & Pine Outfitters Inc.",
        "address": "200 Bay St\nToronto ON  M5J 2J1\nCanada",
        "email": "books@mapleandpine.ca",
        "phone": "416-555-0100",
        "gst_hst_number": "123456789 RT0001",
        "qst_number": "1234567890 TQ0001",
        "pst_number": "",
        "invoice_footer": "Payment received with thanks.",
        "demo_fee_percent": "2.5",
        "demo_fee_fixed": "0.25",
    }
    return {**data, **changes}


def test_store_settings_show_on_the_next_invoice_and_the_fee(app, lamp, owner):
    page = text_of(owner.get("/admin/store-settings"))
    assert 'value="2.9"' in page and 'value="0.30"' in page
    data = settings_form(logo=(io.BytesIO(PNG), "logo.png"))
    response = owner.post("/admin/store-settings", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, text_of(response)

    order = buy(app, [(lamp, 1)])
    invoice = invoice_for_order(order)
    assert invoice.seller_name == "Maple & Pine Outfitters Inc."
    assert invoice.seller_address == "200 Bay St\nToronto ON  M5J 2J1\nCanada"
    assert invoice.seller_tax_numbers == "GST/HST 123456789 RT0001\nQST 1234567890 TQ0001"
    assert invoice.footer == "Payment received with thanks."
    fee = db.session.scalar(
        sa.select(JournalLine.debit)
        .join(JournalEntry)
        .where(JournalEntry.source_type == "payment_fee", JournalEntry.order_id == order.id)
    )
    assert fee == (order.total * 25 + 500) // 1000 + 25

    settings = store_settings()
    assert settings.demo_fee_percent == Decimal("2.5") and settings.demo_fee_fixed == 25
    assert (Path(app.instance_path) / "images" / settings.logo_filename).read_bytes() == PNG

    not_image = owner.post(
        "/admin/store-settings",
        data=settings_form(logo=(io.BytesIO(b"not an image"), "logo.png")),
        content_type="multipart/form-data",
    )
    assert not_image.status_code == 422
    assert errors_beside(text_of(not_image), "logo") == ["This file is not an image we can show."]
    too_big = owner.post("/admin/store-settings", data=settings_form(demo_fee_percent="25"))
    assert errors_beside(text_of(too_big), "demo_fee_percent") == ["Enter a fee from 0 to 20%."]


def test_an_agent_at_five_percent_on_200_dollars_of_goods_earns_ten(app, lamp, owner, staff):
    sales = app.test_client()
    log_in(sales, staff[roles.SALES].email)
    response = sales.post(
        "/admin/commission-agents/new",
        data={"name": "Jane Referrer", "email": "jane@example.com", "code": "jane10", "rate": "5"},
    )
    assert response.status_code == 302
    agent = db.session.scalar(sa.select(CommissionAgent))
    assert (agent.code, agent.rate, agent.is_active) == ("JANE10", Decimal("0.05"), True)
    assert "JANE10" in text_of(sales.get("/admin/commission-agents"))

    order = buy(app, [(lamp, 2)])
    assert order.subtotal == 20000
    order.commission_agent_id, order.commission_rate = agent.id, agent.rate
    entry = post_commission(order=order, on=store_date(order.paid_at))
    db.session.commit()
    assert [(line.account.role, line.debit, line.credit) for line in entry.lines] == [
        (chart.COMMISSIONS, 1000, 0), (chart.COMMISSIONS_PAYABLE, 0, 1000),
    ]  # fmt: skip
    assert post_commission(order=order, on=store_date(order.paid_at)).id == entry.id
    closing = {r.account.role: r.closing for r in ledgers.trial_balance().rows}
    assert closing[chart.COMMISSIONS] == 1000 and closing[chart.COMMISSIONS_PAYABLE] == -1000


def test_a_referral_link_keeps_an_active_agents_code_in_the_session(app, classes):
    agent = agents.create_agent(name="Ria", email=None, code="ria", rate=Decimal("0.075"))
    agents.create_agent(name="Old", email=None, code="OLD", rate=Decimal("0.05"))
    agents.update_agent(
        agent=agents.agent_for_code("old"), name="Old", email=None, code="OLD",
        rate=Decimal("0.05"), is_active=False,
    )  # fmt: skip
    db.session.commit()
    assert agents.agent_for_code("Ria").id == agent.id
    assert agents.agent_for_code("OLD") is None and agents.agent_for_code("no such!") is None

    client = app.test_client()
    assert client.get("/?ref=ria").status_code == 200
    with client.session_transaction() as session:
        assert session[agents.SESSION_KEY] == "RIA"
    client.get("/?ref=OLD")  # inactive: the earlier referral stands
    client.get("/?ref=UNKNOWN")
    with client.session_transaction() as session:
        assert session[agents.SESSION_KEY] == "RIA"
    with app.test_request_context("/"):
        from flask import session

        session[agents.SESSION_KEY] = "RIA"
        assert agents.referred_agent().id == agent.id


def test_agent_codes_and_rates_are_checked(app, classes, owner):
    bad = owner.post(
        "/admin/commission-agents/new", data={"name": "X", "code": "a b/c", "rate": "5.125"}
    )
    assert bad.status_code == 422
    page = text_of(bad)
    assert errors_beside(page, "code") == [
        "Use 1 to 30 letters, digits, dashes or underscores, like JANE10."
    ]
    assert db.session.scalar(sa.select(sa.func.count(CommissionAgent.id))) == 0
    precise = owner.post(
        "/admin/commission-agents/new", data={"name": "X", "code": "X1", "rate": "5.125"}
    )
    assert errors_beside(text_of(precise), "rate") == ["Use at most 2 decimal places, like 7.5."]


def test_invoices_of_a_period_and_kind(purchases, bookkeeper):
    ontario, _ = purchases
    issue_credit_note(invoice=invoice_for_order(ontario), reason="Returned")
    db.session.commit()
    notes = text_of(bookkeeper.get("/admin/accounting/invoices?kind=credit_note"))
    assert "1 document " in notes and "Credit note" in notes
    tomorrow = store_date(utcnow()) + timedelta(days=1)
    none = text_of(bookkeeper.get(f"/admin/accounting/invoices?issued_from={tomorrow}"))
    assert "No invoices match." in none
    count = db.session.scalar(sa.select(sa.func.count(Invoice.id)))
    assert ledgers.invoice_totals(ledgers.InvoiceFilters()).count == count == 3
