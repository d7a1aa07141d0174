"""The bank in the back office: payouts, bank statements (import), the reconciliation of a
statement (match, unmatch, post a bank charge) and what is left unmatched.

The bookkeeper and the owner use these pages; the services in shop.banking decide.
"""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from backoffice.access import allow
from backoffice.blueprint import bp
from backoffice.forms.banking import MatchForm, OwnEntryForm, StatementUploadForm
from backoffice.views import form_page, found_page, get_or_404, page_number, service_call
from shop.accounting import chart
from shop.accounting import services as books
from shop.accounting.models import JournalLine
from shop.accounts import roles
from shop.banking import matching, reconciliation, statements
from shop.banking.models import BankLine, BankStatement
from shop.extensions import db
from shop.formatting import plural
from shop.forms import EmptyForm
from shop.payouts import services as payouts

BOOKKEEPING = (roles.BOOKKEEPER,)


@bp.get("/accounting/payouts")
@allow(*BOOKKEEPING)
def payouts_list():
    return render_template(
        "backoffice/payouts.html",
        pagination=found_page(payouts.payouts_list(page=page_number())),
        clearing_difference=payouts.clearing_difference(),
    )


@bp.route("/accounting/bank", methods=["GET", "POST"])
@allow(*BOOKKEEPING)
def bank_statements():
    form = StatementUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        with service_call(form) as call:
            result = statements.import_file(
                data=upload.read(), filename=upload.filename or "", user=current_user
            )
        if call.ok:
            flash(result.summary(), "success" if result.added else "info")
            if len(result.statements) == 1:
                return redirect(
                    url_for("backoffice.bank_statement", statement_id=result.statements[0].id)
                )
            return redirect(url_for("backoffice.bank_statements"))
    return form_page(
        "backoffice/bank_statements.html", form=form, statements=reconciliation.statements()
    )


def _line_forms(statement: BankStatement) -> dict[int, dict]:
    """Per unmatched line: its candidates (the one proposed first) and the forms to act."""
    accounts = matching.own_entry_accounts(books.accounts_in_order(active_only=True))
    charges = books.account_for(chart.BANK_CHARGES)
    forms = {}
    for line in statement.lines:
        if line.journal_line_id is not None:
            continue
        found = matching.candidates(line)
        own = OwnEntryForm(
            prefix=f"own{line.id}",
            accounts=accounts,
            formdata=None,
        )
        own.account_id.data = charges.id
        forms[line.id] = {
            "match": MatchForm(prefix=f"match{line.id}", candidates=found, formdata=None),
            "own": own,
            "candidates": found,
        }
    return forms


@bp.get("/accounting/bank/<int:statement_id>")
@allow(*BOOKKEEPING)
def bank_statement(statement_id: int):
    statement = get_or_404(BankStatement, statement_id)
    return render_template(
        "backoffice/bank_statement.html",
        totals=reconciliation.totals(statement),
        statement=statement,
        forms=_line_forms(statement),
    )


@bp.post("/accounting/bank/<int:statement_id>/auto-match")
@allow(*BOOKKEEPING)
def bank_statement_auto_match(statement_id: int):
    statement = get_or_404(BankStatement, statement_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    matched = matching.auto_match(statement.lines)
    db.session.commit()
    flash(f"{plural(matched, 'line')} matched automatically.", "success" if matched else "info")
    return redirect(url_for("backoffice.bank_statement", statement_id=statement.id))


def _back_to(line: BankLine):
    return redirect(url_for("backoffice.bank_statement", statement_id=line.statement_id))


def _act(line: BankLine, action, success: str):
    """Run the change; a refusal is flashed and nothing is kept."""
    with service_call() as call:
        action()
    if call.ok:
        flash(success, "success")
    return _back_to(line)


@bp.post("/accounting/bank/lines/<int:bank_line_id>/match")
@allow(*BOOKKEEPING)
def bank_line_match(bank_line_id: int):
    line = get_or_404(BankLine, bank_line_id)
    form = MatchForm(prefix=f"match{line.id}", candidates=matching.candidates(line))
    if not form.validate_on_submit():
        flash("Choose one of the entries offered for this bank line.", "error")
        return _back_to(line)
    journal_line = db.session.get(JournalLine, form.journal_line_id.data)
    return _act(
        line,
        lambda: matching.match(line, journal_line, user=current_user),
        f"Bank line matched to entry {journal_line.entry_id}.",
    )


@bp.post("/accounting/bank/lines/<int:bank_line_id>/unmatch")
@allow(*BOOKKEEPING)
def bank_line_unmatch(bank_line_id: int):
    line = get_or_404(BankLine, bank_line_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return _act(line, lambda: matching.unmatch(line), "Match undone.")


@bp.post("/accounting/bank/lines/<int:bank_line_id>/post")
@allow(*BOOKKEEPING)
def bank_line_post(bank_line_id: int):
    line = get_or_404(BankLine, bank_line_id)
    accounts = matching.own_entry_accounts(books.accounts_in_order(active_only=True))
    form = OwnEntryForm(prefix=f"own{line.id}", accounts=accounts)
    if not form.validate_on_submit():
        flash("Choose the account this bank line goes to.", "error")
        return _back_to(line)
    account = next(a for a in accounts if a.id == form.account_id.data)
    return _act(
        line,
        lambda: matching.post_own_entry(line, account=account, user=current_user),
        f"Posted to {account.code} {account.name} and matched.",
    )


@bp.get("/accounting/bank/unmatched")
@allow(*BOOKKEEPING)
def bank_unmatched():
    return render_template(
        "backoffice/bank_unmatched.html",
        bank_lines=found_page(reconciliation.unmatched_bank_lines(page=page_number("lines"))),
        journal_lines=found_page(
            reconciliation.unmatched_journal_lines(page=page_number("entries"))
        ),
    )
