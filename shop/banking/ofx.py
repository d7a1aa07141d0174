"""OFX bank statements (OFX 1.x SGML and 2.x XML), read by ofxtools.

ofxtools reads OFX with its own tokenizer into ElementTree elements: no DTD is
loaded and no entity expanded, so a file cannot make it read another file.
"""

import io

from shop.banking.errors import BankingError
from shop.banking.parsed import ParsedLine, ParsedStatement, cents

FORMAT = "ofx"


def looks_like(data: bytes) -> bool:
    return b"OFXHEADER" in data[:1000].upper()


def parse(data: bytes) -> list[ParsedStatement]:
    # Imported here: ofxtools takes a third of a second to import, which every start of
    # the store (each cron command, each worker) would pay for a page few people open.
    from ofxtools.Parser import OFXTree

    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(data))
        ofx = tree.convert()
        statements = list(ofx.statements)
    except Exception as exc:  # ofxtools raises many kinds (ParseError, ValueError, ...)
        raise BankingError(
            f"This OFX file cannot be read ({str(exc)[:120] or type(exc).__name__}). "
            "Nothing was imported.",
            field="file",
        ) from exc
    if not statements:
        raise BankingError("This OFX file holds no bank statement. Nothing was imported.")
    return [_statement(stmt) for stmt in statements]


def _statement(stmt) -> ParsedStatement:
    currency = stmt.curdef
    transactions = stmt.banktranlist
    if transactions is None or stmt.ledgerbal is None:
        raise BankingError(
            "The OFX statement has no transaction list or no closing balance. Nothing was "
            "imported.",
            field="file",
        )
    lines = [_line(txn, currency) for txn in transactions]
    closing = cents(stmt.ledgerbal.balamt, currency, "closing balance")
    return ParsedStatement(
        file_format=FORMAT,
        account_number=str(stmt.account.acctid),
        currency=currency,
        date_from=transactions.dtstart.date(),
        date_to=transactions.dtend.date(),
        # OFX gives the balance at the end; the start is what the lines explain of it.
        opening_balance=closing - sum(line.amount for line in lines),
        closing_balance=closing,
        lines=lines,
    )


def _line(txn, currency: str) -> ParsedLine:
    words = [txn.name, txn.memo, txn.checknum and f"CHQ {txn.checknum}", txn.refnum]
    return ParsedLine(
        bank_ref=str(txn.fitid),
        booked_on=txn.dtposted.date(),
        amount=cents(txn.trnamt, currency, "amount"),  # OFX: always in the account's currency
        text=" / ".join(str(w).strip() for w in words if w)[:500],
    )
