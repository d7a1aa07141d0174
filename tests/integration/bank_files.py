"""Bank statement files as banks send them: OFX 1.02 (SGML, as Canadian banks' online
banking downloads it) and ISO 20022 camt.053.001.08 XML, written from a few lines."""

from datetime import date


def ofx(*, account: str, start: date, end: date, closing: str, lines) -> bytes:
    """lines: (fitid, date, amount "-450.00", trntype, name, memo, checknum or None)."""
    body = []
    for fitid, on, amount, kind, name, memo, checknum in lines:
        cheque = f"<CHECKNUM>{checknum}\n" if checknum else ""
        body.append(
            f"<STMTTRN>\n<TRNTYPE>{kind}\n<DTPOSTED>{on:%Y%m%d}120000[-5:EST]\n"
            f"<TRNAMT>{amount}\n<FITID>{fitid}\n{cheque}<NAME>{name}\n<MEMO>{memo}\n</STMTTRN>\n"
        )
    return (
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\n"
        "CHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
        "<OFX>\n<SIGNONMSGSRSV1>\n<SONRS>\n<STATUS>\n<CODE>0\n<SEVERITY>INFO\n</STATUS>\n"
        f"<DTSERVER>{end:%Y%m%d}235959[-5:EST]\n<LANGUAGE>ENG\n</SONRS>\n</SIGNONMSGSRSV1>\n"
        "<BANKMSGSRSV1>\n<STMTTRNRS>\n<TRNUID>1\n<STATUS>\n<CODE>0\n<SEVERITY>INFO\n</STATUS>\n"
        "<STMTRS>\n<CURDEF>CAD\n<BANKACCTFROM>\n<BANKID>000312345\n"
        f"<ACCTID>{account}\n<ACCTTYPE>CHECKING\n</BANKACCTFROM>\n<BANKTRANLIST>\n"
        f"<DTSTART>{start:%Y%m%d}\n<DTEND>{end:%Y%m%d}\n{''.join(body)}</BANKTRANLIST>\n"
        f"<LEDGERBAL>\n<BALAMT>{closing}\n<DTASOF>{end:%Y%m%d}\n</LEDGERBAL>\n"
        "</STMTRS>\n</STMTTRNRS>\n</BANKMSGSRSV1>\n</OFX>\n"
    ).encode("ascii")


CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def _balance(code: str, amount: str, on: date) -> str:
    sign = "DBIT" if amount.startswith("-") else "CRDT"
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="CAD">{amount.lstrip("-")}</Amt><CdtDbtInd>{sign}</CdtDbtInd>'
        f"<Dt><Dt>{on.isoformat()}</Dt></Dt></Bal>"
    )


def camt053(*, account: str, start: date, end: date, opening: str, closing: str, entries,
            namespace: str = CAMT_NS, doctype: str = "") -> bytes:  # fmt: skip
    """entries: (bank reference, date, amount "12.34" or "-15.00", status, text, end-to-end)."""
    old = namespace.endswith(".02")  # 02: <Sts>BOOK</Sts>, <Dbtr><Nm>; 08: <Sts><Cd>, <Pty>
    body = []
    for ref, on, amount, status, text, end_to_end in entries:
        sign = "DBIT" if amount.startswith("-") else "CRDT"
        status_tag = f"<Sts>{status}</Sts>" if old else f"<Sts><Cd>{status}</Cd></Sts>"
        party = "<Nm>STRIPE</Nm>" if old else "<Pty><Nm>STRIPE PAYMENTS CANADA</Nm></Pty>"
        body.append(
            f'<Ntry><Amt Ccy="CAD">{amount.lstrip("-")}</Amt><CdtDbtInd>{sign}</CdtDbtInd>'
            f"{status_tag}<BookgDt><Dt>{on.isoformat()}</Dt></BookgDt>"
            f"<ValDt><Dt>{on.isoformat()}</Dt></ValDt><AcctSvcrRef>{ref}</AcctSvcrRef>"
            "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly>"
            "</Domn></BkTxCd><NtryDtls><TxDtls><Refs>"
            f"<EndToEndId>{end_to_end}</EndToEndId></Refs>"
            f"<RltdPties><Dbtr>{party}</Dbtr></RltdPties>"
            f"<RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls>"
            f"<AddtlNtryInf>{text}</AddtlNtryInf></Ntry>"
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}<Document xmlns="{namespace}">'
        "<BkToCstmrStmt><GrpHdr><MsgId>STMT-20261201-0001</MsgId>"
        f"<CreDtTm>{end.isoformat()}T23:59:00-05:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>STMT-{end:%Y%m%d}</Id><ElctrncSeqNb>334</ElctrncSeqNb>"
        f"<CreDtTm>{end.isoformat()}T23:59:00-05:00</CreDtTm>"
        f"<FrToDt><FrDtTm>{start.isoformat()}T00:00:00-05:00</FrDtTm>"
        f"<ToDtTm>{end.isoformat()}T23:59:59-05:00</ToDtTm></FrToDt>"
        f"<Acct><Id><Othr><Id>{account}</Id></Othr></Id><Ccy>CAD</Ccy>"
        "<Svcr><FinInstnId><Nm>Caisse du Plateau</Nm></FinInstnId></Svcr></Acct>"
        f"{_balance('OPBD', opening, start)}{_balance('CLBD', closing, end)}"
        f"{''.join(body)}</Stmt></BkToCstmrStmt></Document>"
    ).encode()
