"""ISO 20022 camt.053 bank-to-customer statements (camt.053.001.02 and later), read by lxml.

The parser loads no DTD, resolves no entity and reaches no network, and a file with
a DOCTYPE is refused outright: a statement never needs one, and an XXE payload
(an entity naming a local file or a URL) is the only reason to send one.
"""

import hashlib
import re
from datetime import date

from lxml import etree

from shop.banking.errors import BankingError
from shop.banking.parsed import ParsedLine, ParsedStatement, cents

FORMAT = "camt.053"
NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(\d+)")
OPENING = ("OPBD", "PRCD")  # opening booked; or the previous statement's closing booked
CLOSING = ("CLBD",)


def looks_like(data: bytes) -> bool:
    return b"camt.053" in data[:4000]


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, remove_comments=True, remove_pis=True,
    )  # fmt: skip


def _refuse(message: str) -> BankingError:
    return BankingError(f"{message} Nothing was imported.", field="file")


def parse(data: bytes) -> list[ParsedStatement]:
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise _refuse(f"This camt.053 file is not well-formed XML ({exc.msg[:120]}).") from exc
    if root.getroottree().docinfo.doctype:
        raise _refuse("This XML file declares a DOCTYPE, which a bank statement never needs.")
    found = NAMESPACE.fullmatch(etree.QName(root).namespace or "")
    if etree.QName(root).localname != "Document" or not found or int(found.group(1)) < 2:
        raise _refuse("This is not an ISO 20022 camt.053 statement (camt.053.001.02 or later).")
    ns = {"c": found.group(0)}
    statements = root.findall("c:BkToCstmrStmt/c:Stmt", ns)
    if not statements:
        raise _refuse("This camt.053 file holds no statement.")
    return [_statement(stmt, ns) for stmt in statements]


def _text(node, path: str, ns) -> str:
    found = node.find(path, ns)
    return (found.text or "").strip() if found is not None else ""


def _iso_date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw[:10]) if raw else None
    except ValueError as exc:
        raise _refuse(f"The date {raw!r} cannot be read.") from exc


def _date(node, path: str, ns) -> date | None:
    return _iso_date(_text(node, f"{path}/c:Dt", ns) or _text(node, f"{path}/c:DtTm", ns))


def _signed(node, ns, what: str) -> tuple[int, str]:
    amount = node.find("c:Amt", ns)
    if amount is None or not amount.get("Ccy"):
        raise _refuse(f"A {what} has no amount with its currency.")
    value = cents(amount.text or "", amount.get("Ccy"), what)
    if value < 0:  # ISO 20022 amounts are never negative: CdtDbtInd says which way
        raise _refuse(f"The file's {what} {amount.text.strip()!r} is not an amount.")
    sign = _text(node, "c:CdtDbtInd", ns)
    if sign not in ("CRDT", "DBIT"):
        raise _refuse(f"A {what} says neither credit nor debit.")
    return (value if sign == "CRDT" else -value), amount.get("Ccy")


def _balance(stmt, ns, codes: tuple[str, ...]) -> tuple[int, date | None] | None:
    for bal in stmt.findall("c:Bal", ns):
        if _text(bal, "c:Tp/c:CdOrPrtry/c:Cd", ns) in codes:
            return _signed(bal, ns, "balance")[0], _date(bal, "c:Dt", ns)
    return None


def _account(stmt, ns) -> str:
    number = _text(stmt, "c:Acct/c:Id/c:IBAN", ns) or _text(stmt, "c:Acct/c:Id/c:Othr/c:Id", ns)
    if not number:
        raise _refuse("The statement does not name its account.")
    return number


def _statement(stmt, ns) -> ParsedStatement:
    lines = []
    currency = _text(stmt, "c:Acct/c:Ccy", ns)
    for index, entry in enumerate(stmt.findall("c:Ntry", ns)):
        status = _text(entry, "c:Sts", ns) or _text(entry, "c:Sts/c:Cd", ns)
        if status != "BOOK":  # pending and information-only entries are not on the account yet
            continue
        line, entry_currency = _line(entry, ns, index)
        currency = currency or entry_currency
        lines.append(line)
    closing = _balance(stmt, ns, CLOSING)
    if closing is None:
        raise _refuse("The statement has no closing booked balance (CLBD).")
    opening = _balance(stmt, ns, OPENING)
    days = [line.booked_on for line in lines] + [d for d in (closing[1],) if d]
    if not days:
        raise _refuse("The statement has no dates.")
    return ParsedStatement(
        file_format=FORMAT,
        account_number=_account(stmt, ns),
        currency=currency or stmt.find("c:Bal/c:Amt", ns).get("Ccy"),
        date_from=_from_to(stmt, ns, "FrDtTm") or min(days),
        date_to=_from_to(stmt, ns, "ToDtTm") or closing[1] or max(days),
        opening_balance=opening[0] if opening else closing[0] - sum(x.amount for x in lines),
        closing_balance=closing[0],
        lines=lines,
    )


def _from_to(stmt, ns, name: str) -> date | None:
    return _iso_date(_text(stmt, f"c:FrToDt/c:{name}", ns))


def _line(entry, ns, index: int) -> tuple[ParsedLine, str]:
    amount, currency = _signed(entry, ns, "statement entry")
    booked = _date(entry, "c:BookgDt", ns) or _date(entry, "c:ValDt", ns)
    if booked is None:
        raise _refuse("A statement entry has no booking date.")
    details = entry.find("c:NtryDtls/c:TxDtls", ns)
    words = [
        _text(entry, "c:AddtlNtryInf", ns),
        *(_details(details, ns) if details is not None else []),
        _text(entry, "c:NtryRef", ns),
    ]
    text = " / ".join(dict.fromkeys(w for w in words if w))[:500]
    ref = (
        _text(entry, "c:AcctSvcrRef", ns)
        or (details is not None and _text(details, "c:Refs/c:AcctSvcrRef", ns))
        or _text(entry, "c:NtryRef", ns)
    )
    if not ref:  # no id of the bank's own: the entry's content stands for it
        ref = "sha:" + hashlib.sha256(f"{booked}|{amount}|{text}|{index}".encode()).hexdigest()[:32]
    return ParsedLine(bank_ref=ref[:120], booked_on=booked, amount=amount, text=text), currency


def _details(details, ns) -> list[str]:
    """What a person recognises a transaction by: the other party, the remittance text and
    the references (end-to-end id, cheque number)."""
    paths = [
        "c:RltdPties/c:Dbtr/c:Nm", "c:RltdPties/c:Dbtr/c:Pty/c:Nm",
        "c:RltdPties/c:Cdtr/c:Nm", "c:RltdPties/c:Cdtr/c:Pty/c:Nm",
        "c:RmtInf/c:Ustrd", "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref",
        "c:Refs/c:EndToEndId", "c:Refs/c:ChqNb", "c:AddtlTxInf",
    ]  # fmt: skip
    words = [_text(details, path, ns) for path in paths]
    return [w for w in words if w and w != "NOTPROVIDED"]
