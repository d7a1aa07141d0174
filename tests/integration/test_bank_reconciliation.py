"""Bank statements imported through the page (OFX and camt.053 files as banks send them),
matched to a Stripe payout and to supplier and customer payments, one line by hand, one
posted as bank charges; a file imported twice adds nothing; a broken or hostile file
changes nothing."""

import io
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlalchemy as sa

from shop.accounting import chart
from shop.accounting import services as books
from shop.accounting.models import JournalEntry, JournalLine
from shop.accounts import roles
from shop.banking import camt, matching
from shop.banking.errors import BankingError
from shop.banking.models import BankLine, BankStatement
from shop.banking.statements import ImportResult
from shop.extensions import db
from shop.money import format_money
from shop.payments.models import Payout
from shop.payouts import services as payouts
from tests.integration import test_stripe_checkout as checkout
from tests.integration.backoffice_helpers import errors_beside, flashes, text_of
from tests.integration.bank_files import camt053, ofx
from tests.integration.race_helpers import at_once
from tests.integration.test_stripe_checkout import deliver, session_id

# The Stripe checkout's fixtures: the store on the fake Stripe, a tent, an order paid for it.
app_config, tent, order, paid = checkout.app_config, checkout.tent, checkout.order, checkout.paid

ACCOUNT = "1234567"
PAYOUT_ARRIVES = date(2026, 11, 30)


def money(minor: int) -> str:
    return format_money(minor, "CAD", "en_CA")


def bank_entry(user, on: date, description: str, amount: int, other_role: str) -> JournalLine:
    """A bookkeeper's manual entry on Bank (a supplier's cheque, a customer's transfer)."""
    bank, other = books.account_for(chart.BANK), books.account_for(other_role)
    lines = [
        books.ManualLine(bank.id, debit=max(amount, 0), credit=max(-amount, 0)),
        books.ManualLine(other.id, debit=max(-amount, 0), credit=max(amount, 0)),
    ]
    entry = books.post_manual_entry(on=on, description=description, lines=lines, user=user)
    db.session.commit()
    return next(line for line in entry.lines if line.account_id == bank.id)


@pytest.fixture
def payout(client, paid, stripe_fake) -> Payout:
    """The tent order's money paid out by Stripe (a signed payout.paid), arriving Nov 30."""
    stripe_fake.settle(session_id(paid))
    arrives = int(datetime(2026, 11, 30, tzinfo=UTC).timestamp())
    assert deliver(client, stripe_fake.pay_out(arrival_date=arrives)).status_code == 200
    return db.session.scalar(sa.select(Payout))


@pytest.fixture
def entries(app, staff):
    user = staff[roles.BOOKKEEPER]
    return {
        "lakeside": bank_entry(user, date(2026, 11, 25), "Customer payment, Lakeside School, "
                               "e-transfer", 12000, chart.RECEIVABLE),
        "pine": bank_entry(user, date(2026, 11, 26), "Customer payment, Pine Day Camp, "
                           "e-transfer", 12000, chart.RECEIVABLE),
        "trail": bank_entry(user, date(2026, 11, 27), "Payment to Trail Supply Co., cheque "
                            "CHQ-1042", -45000, chart.PAYABLE),
        "canoe": bank_entry(user, date(2026, 11, 27), "Payment to Canoe Outfitters, cheque "
                            "CHQ-1043", -45000, chart.PAYABLE),
    }  # fmt: skip


NOVEMBER = ofx(
    account=ACCOUNT, start=date(2026, 11, 24), end=date(2026, 11, 30), closing="-345.00",
    lines=[
        ("202611250001", date(2026, 11, 25), "120.00", "CREDIT", "E-TRANSFER DEPOSIT",
         "INTERAC E-TRF", None),
        ("202611280002", date(2026, 11, 28), "-450.00", "CHECK", "CHEQUE", "PAID", "1042"),
        ("202611300003", date(2026, 11, 30), "-15.00", "SRVCHG", "MONTHLY ACCOUNT FEE",
         "PLAN FEE", None),
    ],
)  # fmt: skip


def december(payout: Payout) -> bytes:
    amount = f"{payout.amount / 100:.2f}"  # the test's own file, written as text
    closing = f"{(payout.amount - 34500) / 100:.2f}"
    return camt053(
        account=ACCOUNT, start=date(2026, 12, 1), end=date(2026, 12, 1), opening="-345.00",
        closing=closing,
        entries=[
            ("CAMT-20261201-0001", date(2026, 12, 1), amount, "BOOK",
             f"STRIPE PAYOUT {payout.provider_payout_id}", "NOTPROVIDED"),
            ("CAMT-20261201-0002", date(2026, 12, 1), "99.00", "PDNG", "PENDING DEPOSIT", "X1"),
        ],
    )  # fmt: skip


def upload(client, data: bytes, name: str):
    return client.post(
        "/admin/accounting/bank",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def line(bank_ref: str) -> BankLine:
    return db.session.scalar(sa.select(BankLine).where(BankLine.bank_ref == bank_ref))


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_month_of_statements_is_matched_to_the_books(bookkeeper, payout, entries):
    response = upload(bookkeeper, NOVEMBER, "november.ofx")
    assert response.status_code == 302
    page = text_of(bookkeeper.get(response.headers["Location"]))
    assert flashes(page) == ["Imported 3 lines, 1 matched automatically."]

    # The cheque: two of $450.00 that week, the bank's cheque number names one.
    cheque = line("202611280002")
    assert cheque.amount == -45000 and cheque.matched_how == "auto"
    assert cheque.journal_line_id == entries["trail"].id
    # The deposit: two customers paid $120.00 that week and nothing names either.
    deposit = line("202611250001")
    assert deposit.journal_line_id is None
    offered = {jl.id for jl in matching.candidates(deposit)}
    assert offered == {entries["lakeside"].id, entries["pine"].id}
    assert f'value="{entries["lakeside"].id}"' in page and f'value="{entries["pine"].id}"' in page

    matched = bookkeeper.post(
        f"/admin/accounting/bank/lines/{deposit.id}/match",
        data={f"match{deposit.id}-journal_line_id": str(entries["lakeside"].id)},
    )
    assert matched.status_code == 302
    assert line("202611250001").matched_how == "hand"
    assert line("202611250001").journal_line_id == entries["lakeside"].id

    fee = line("202611300003")
    charges = books.account_for(chart.BANK_CHARGES)
    page = text_of(bookkeeper.get(f"/admin/accounting/bank/{fee.statement_id}"))
    assert f'<option selected value="{charges.id}">' in page  # bank charges is the default
    posted = bookkeeper.post(
        f"/admin/accounting/bank/lines/{fee.id}/post",
        data={f"own{fee.id}-account_id": str(charges.id)},
    )
    assert posted.status_code == 302
    fee = line("202611300003")
    assert fee.matched_how == "posted"
    entry = fee.journal_line.entry
    assert entry.date == date(2026, 11, 30) and entry.source_key == f"bank_line:{fee.id}"
    assert {(jl.account.role, jl.debit, jl.credit) for jl in entry.lines} == {
        (chart.BANK_CHARGES, 1500, 0), (chart.BANK, 0, 1500)
    }  # fmt: skip

    # The statement's closing balance against the Bank account in the books that day.
    books_on_30th = 12000 * 2 - 45000 * 2 - 1500 + payout.amount  # the payout arrived the 30th
    statement = db.session.get(BankStatement, fee.statement_id)
    page = text_of(bookkeeper.get(f"/admin/accounting/bank/{statement.id}"))
    assert f'<dd class="closing">{money(-34500)}</dd>' in page
    assert f'<dd class="books">{money(books_on_30th)}</dd>' in page
    assert f'<dd class="difference">{money(-34500 - books_on_30th)}</dd>' in page

    # December's statement, camt.053: the payout, named by its id; the pending line is not
    # on the account yet and is left out.
    response = upload(bookkeeper, december(payout), "2026-12-01.xml")
    assert response.status_code == 302
    assert flashes(text_of(bookkeeper.get(response.headers["Location"]))) == [
        "Imported 1 line, 1 matched automatically."
    ]
    arrived = line("CAMT-20261201-0001")
    assert arrived.journal_line.entry_id == payout.entry_id and arrived.amount == payout.amount
    assert payout.provider_payout_id in arrived.text
    assert line("CAMT-20261201-0002") is None
    camt_statement = db.session.get(BankStatement, arrived.statement_id)
    assert (camt_statement.file_format, camt_statement.opening_balance) == ("camt.053", -34500)
    assert camt_statement.closing_balance == payout.amount - 34500

    # What is left: the second customer's transfer and the other cheque, not yet at the bank.
    page = text_of(bookkeeper.get("/admin/accounting/bank/unmatched"))
    assert "Every imported bank line is matched." in page
    assert f'data-entry="{entries["pine"].entry_id}"' in page
    assert f'data-entry="{entries["canoe"].entry_id}"' in page
    assert f'data-entry="{entries["trail"].entry_id}"' not in page
    assert f'data-entry="{payout.entry_id}"' not in page

    listing = text_of(bookkeeper.get("/admin/accounting/bank"))
    assert f'data-statement="{statement.id}"' in listing and "november.ofx" in listing
    payouts_page = text_of(bookkeeper.get("/admin/accounting/payouts"))
    assert payout.provider_payout_id in payouts_page and money(payout.amount) in payouts_page

    # The same file again adds nothing, and says so.
    lines_before, entries_before = count(BankLine), count(JournalEntry)
    again = upload(bookkeeper, NOVEMBER, "november (1).ofx")
    assert flashes(text_of(bookkeeper.get(again.headers["Location"]))) == [
        "Nothing new: the 3 lines of this file were imported before. Nothing was added."
    ]
    again = upload(bookkeeper, december(payout), "2026-12-01 (1).xml")
    assert flashes(text_of(bookkeeper.get(again.headers["Location"]))) == [
        "Nothing new: the 1 line of this file was imported before. Nothing was added."
    ]
    assert (count(BankLine), count(BankStatement), count(JournalEntry)) == (
        lines_before, 2, entries_before
    )  # fmt: skip
    # A file overlapping one imported before says what was new and what was skipped.
    overlapping = ImportResult(added=2, skipped=1, matched=1).summary()
    assert overlapping == (
        "Imported 2 lines, 1 matched automatically. 1 line was imported before and skipped."
    )
    assert ImportResult(added=1, skipped=3).summary() == (
        "Imported 1 line, 0 matched automatically. 3 lines were imported before and skipped."
    )


def test_unmatching_frees_the_entry_for_another_line(bookkeeper, entries):
    upload(bookkeeper, NOVEMBER, "november.ofx")
    cheque = line("202611280002")
    assert cheque.journal_line_id == entries["trail"].id
    assert bookkeeper.post(f"/admin/accounting/bank/lines/{cheque.id}/unmatch").status_code == 302
    assert line("202611280002").journal_line_id is None
    again = bookkeeper.post(f"/admin/accounting/bank/{cheque.statement_id}/auto-match")
    assert again.status_code == 302
    assert line("202611280002").journal_line_id == entries["trail"].id


def test_an_entry_of_another_amount_cannot_be_matched(app, bookkeeper, entries):
    upload(bookkeeper, NOVEMBER, "november.ofx")
    deposit = line("202611250001")
    with pytest.raises(BankingError, match="same amount"):
        matching.match(deposit, entries["trail"], user=None)
    refused = bookkeeper.post(
        f"/admin/accounting/bank/lines/{deposit.id}/match",
        data={f"match{deposit.id}-journal_line_id": str(entries["trail"].id)},
    )  # not among the candidates offered
    assert refused.status_code == 302 and line("202611250001").journal_line_id is None


# --- files that must change nothing ------------------------------------------------------


def nothing_imported():
    assert (count(BankStatement), count(BankLine)) == (0, 0)


def test_a_broken_file_changes_nothing_and_says_why(bookkeeper, app):
    broken = upload(bookkeeper, NOVEMBER[: len(NOVEMBER) // 2], "cut.ofx")
    assert broken.status_code == 422
    [message] = errors_beside(text_of(broken), "file")
    assert message.startswith("This OFX file cannot be read") and "Nothing was imported" in message

    bad_amount = camt053(
        account=ACCOUNT, start=date(2026, 12, 1), end=date(2026, 12, 1), opening="0.00",
        closing="1.00", entries=[("R1", date(2026, 12, 1), "1.005", "BOOK", "HALF CENT", "E1")],
    )  # fmt: skip
    [message] = errors_beside(text_of(upload(bookkeeper, bad_amount, "x.xml")), "file")
    assert "more decimals than CAD" in message

    not_a_statement = upload(bookkeeper, b"Date,Amount\n2026-11-30,12.00\n", "export.csv")
    [message] = errors_beside(text_of(not_a_statement), "file")
    assert message.startswith("This is neither an OFX file nor an ISO 20022 camt.053")

    old = camt053(
        account=ACCOUNT, start=date(2026, 12, 1), end=date(2026, 12, 1), opening="0.00",
        closing="0.00", entries=[], namespace="urn:iso:std:iso:20022:tech:xsd:camt.053.001.01",
    )  # fmt: skip
    [message] = errors_beside(text_of(upload(bookkeeper, old, "old.xml")), "file")
    assert "camt.053.001.02 or later" in message

    huge = upload(bookkeeper, b"OFXHEADER:100\n" + b" " * (5 * 1024 * 1024), "huge.ofx")
    [message] = errors_beside(text_of(huge), "file")
    assert message.startswith("The file is larger than 5 MB")
    nothing_imported()


def test_an_xxe_statement_reads_no_file(bookkeeper, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-PAYROLL-42")
    hostile = camt053(
        account=ACCOUNT, start=date(2026, 12, 1), end=date(2026, 12, 1), opening="0.00",
        closing="1.00", entries=[("R1", date(2026, 12, 1), "1.00", "BOOK", "&xxe;", "E1")],
        doctype=f'<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file://{secret}">]>\n',
    )  # fmt: skip
    response = upload(bookkeeper, hostile, "statement.xml")
    page = text_of(response)
    assert response.status_code == 422 and "TOPSECRET" not in page
    [message] = errors_beside(page, "file")
    assert "declares a DOCTYPE" in message
    nothing_imported()
    # The parser itself, even before the DOCTYPE is refused, expanded nothing.
    from lxml import etree

    root = etree.fromstring(hostile, camt._parser())
    assert b"TOPSECRET" not in etree.tostring(root)


def test_camt_053_001_02_is_read_too(app, bookkeeper):
    file = camt053(
        account=ACCOUNT, start=date(2026, 12, 1), end=date(2026, 12, 2), opening="10.00",
        closing="35.50", namespace="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02",
        entries=[("B-1", date(2026, 12, 2), "25.50", "BOOK", "INTEREST", "NOTPROVIDED")],
    )  # fmt: skip
    assert upload(bookkeeper, file, "v2.xml").status_code == 302
    [statement] = db.session.scalars(sa.select(BankStatement)).all()
    assert (statement.opening_balance, statement.closing_balance) == (1000, 3550)
    assert [(x.bank_ref, x.amount, x.booked_on) for x in statement.lines] == [
        ("B-1", 2550, date(2026, 12, 2))
    ]


# --- two people at once ------------------------------------------------------------------


def test_two_people_cannot_match_one_entry_to_two_bank_lines(app, bookkeeper, entries):
    twin = ofx(
        account=ACCOUNT, start=date(2026, 11, 24), end=date(2026, 11, 30), closing="240.00",
        lines=[
            ("T-1", date(2026, 11, 25), "120.00", "CREDIT", "DEPOSIT", "ONE", None),
            ("T-2", date(2026, 11, 26), "120.00", "CREDIT", "DEPOSIT", "TWO", None),
        ],
    )  # fmt: skip
    upload(bookkeeper, twin, "twin.ofx")
    first, second = line("T-1").id, line("T-2").id
    target = entries["lakeside"].id
    assert line("T-1").journal_line_id is None  # two candidates each: nothing automatic

    def match_first():
        matching.match(db.session.get(BankLine, first), db.session.get(JournalLine, target),
                       user=None)  # fmt: skip

    def match_second():
        matching.match(db.session.get(BankLine, second), db.session.get(JournalLine, target),
                       user=None)  # fmt: skip

    outcome = at_once(app, match_first, match_second)
    assert outcome.failed == [] and len(outcome.done) == 1
    assert outcome.refused == ["That entry is already matched to another bank line."]
    matched = db.session.scalars(
        sa.select(BankLine.id).where(BankLine.journal_line_id == target)
    ).all()
    assert len(matched) == 1

    # And one bank line cannot be matched to two entries at once.
    loose = next(x for x in (first, second) if x not in matched)
    other = entries["pine"].id

    def to_pine():
        matching.match(db.session.get(BankLine, loose), db.session.get(JournalLine, other),
                       user=None)  # fmt: skip

    def to_pine_again():
        to_pine()

    outcome = at_once(app, to_pine, to_pine_again)
    assert outcome.failed == [] and len(outcome.done) == 1 and len(outcome.refused) == 1
    assert db.session.get(BankLine, loose).journal_line_id == other


# --- long lists page ---------------------------------------------------------------------

A_YEAR_AGO = date(2026, 1, 1)
DAYS = 51  # one more than a page


def rows(page: str, attribute: str) -> list[str]:
    """The rows of a list, top to bottom, by their data- attribute."""
    return re.findall(rf'<tr {attribute}="([^"]+)"', page)


def pager_links(page: str) -> list[tuple[str, dict]]:
    """Each pager's links, top to bottom: (path, query arguments)."""
    found = []
    for nav in re.findall(r'<nav class="pager"[^>]*>(.*?)</nav>', page, re.S):
        for href in re.findall(r'href="([^"]+)"', nav):
            url = urlsplit(href)
            found.append((url.path, dict(parse_qsl(url.query))))
    return found


def test_payouts_page_at_fifty_newest_first(app, bookkeeper):
    for n in range(DAYS):
        day = A_YEAR_AGO + timedelta(days=n)
        payouts.record_payout(provider="demo", payout_id=f"demo:{day}", amount=1000 + n,
                              currency="CAD", arrival_date=day)  # fmt: skip
    db.session.commit()
    newest, oldest = f"demo:{A_YEAR_AGO + timedelta(days=DAYS - 1)}", f"demo:{A_YEAR_AGO}"

    first = text_of(bookkeeper.get("/admin/accounting/payouts"))
    listed = rows(first, "data-payout")
    assert len(listed) == 50 and listed[0] == newest and oldest not in listed
    assert "Page 1 of 2" in first
    assert pager_links(first) == [("/admin/accounting/payouts", {"page": "2"})]

    second = text_of(bookkeeper.get("/admin/accounting/payouts?page=2"))
    assert rows(second, "data-payout") == [oldest]
    assert pager_links(second) == [("/admin/accounting/payouts", {"page": "1"})]
    assert bookkeeper.get("/admin/accounting/payouts?page=3").status_code == 404


def test_unmatched_bank_lines_and_entries_each_page_at_fifty_newest_first(app, bookkeeper, staff):
    days = [A_YEAR_AGO + timedelta(days=n) for n in range(DAYS)]
    charges = [(f"2026{n:04d}", day, f"-{n + 1}.00", "SRVCHG", "BANK FEE", "FEE", None)
               for n, day in enumerate(days)]  # fmt: skip
    statement = ofx(account=ACCOUNT, start=days[0], end=days[-1], closing="-1326.00",
                    lines=charges)  # fmt: skip
    assert upload(bookkeeper, statement, "year.ofx").status_code == 302
    deposits = [
        bank_entry(staff[roles.BOOKKEEPER], day, f"Deposit {n}", 100000 + n, chart.RECEIVABLE)
        for n, day in enumerate(days)
    ]
    page_url = "/admin/accounting/bank/unmatched"

    first = text_of(bookkeeper.get(page_url))
    lines, entries = rows(first, "data-bank-ref"), rows(first, "data-entry")
    assert len(lines) == 50 and lines[0] == charges[-1][0] and charges[0][0] not in lines
    assert len(entries) == 50 and entries[0] == str(deposits[-1].entry_id)
    assert str(deposits[0].entry_id) not in entries
    assert first.count("Page 1 of 2") == 2
    assert pager_links(first) == [
        (page_url, {"lines": "2", "entries": "1"}), (page_url, {"entries": "2", "lines": "1"})
    ]  # fmt: skip

    # Paging one list keeps the other where it was.
    both = text_of(bookkeeper.get(f"{page_url}?lines=2&entries=2"))
    assert rows(both, "data-bank-ref") == [charges[0][0]]
    assert rows(both, "data-entry") == [str(deposits[0].entry_id)]
    assert pager_links(both) == [
        (page_url, {"lines": "1", "entries": "2"}), (page_url, {"entries": "1", "lines": "2"})
    ]  # fmt: skip
    assert bookkeeper.get(f"{page_url}?lines=3").status_code == 404
    assert bookkeeper.get(f"{page_url}?entries=3").status_code == 404
