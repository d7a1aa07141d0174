"""The statements in the back office: profit and loss, the balance sheet, the trial
balance as CSV, the sales tax return worksheets, and closing the period.

The bookkeeper (and the owner) read them and close the books; only the owner reopens.
Every figure links to the ledger of its account for the same days.
"""

from datetime import date, timedelta

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from backoffice.access import allow
from backoffice.blueprint import bp
from backoffice.forms.accounting import PeriodForm
from backoffice.forms.statements import (
    CloseForm,
    DayForm,
    FilingPeriodForm,
    ReopenForm,
    StatementPeriodForm,
)
from backoffice.views import file_response, form_page, service_call
from shop import month_end
from shop.accounting import periods, statements
from shop.accounting.models import Account
from shop.accounts import roles
from shop.books import exports, ledgers, tax_returns
from shop.clock import store_date
from shop.db import utcnow
from shop.extensions import db
from shop.formatting import local_date

BOOKKEEPING = (roles.BOOKKEEPER,)


def _today() -> date:
    return store_date(utcnow())


def _csv(lines, filename: str):
    return file_response("".join(lines), filename, "text/csv")


def _wants_csv() -> bool:
    return request.args.get("format") == "csv"


# --- profit and loss, balance sheet, trial balance -------------------------------------


@bp.get("/accounting/profit-and-loss")
@allow(*BOOKKEEPING)
def profit_and_loss():
    form = StatementPeriodForm(request.args)
    form.validate()
    start, end = form.period()
    today = _today()
    start = start or (end or today).replace(day=1)
    end = end or max(today, start)
    report = statements.profit_and_loss(start, end, compare=bool(form.compare.data))
    if _wants_csv():
        return _csv(exports.profit_and_loss_csv(report), f"profit-and-loss-{start}-{end}.csv")
    return render_template("backoffice/profit_and_loss.html", period=form, report=report)


@bp.get("/accounting/balance-sheet")
@allow(*BOOKKEEPING)
def balance_sheet():
    form = DayForm(request.args)
    form.validate()
    report = statements.balance_sheet(form.day() or _today())
    if _wants_csv():
        return _csv(exports.balance_sheet_csv(report), f"balance-sheet-{report.at}.csv")
    return render_template("backoffice/balance_sheet.html", form=form, report=report)


@bp.get("/accounting/trial-balance.csv")
@allow(*BOOKKEEPING)
def trial_balance_csv():
    period = PeriodForm(request.args)
    period.validate()
    report = ledgers.trial_balance(*period.period())
    return _csv(exports.trial_balance_csv(report), "trial-balance.csv")


# --- tax return worksheets -------------------------------------------------------------

RETURN_FORMS = {"gst": tax_returns.gst_return, "qst": tax_returns.qst_return}


@bp.get("/accounting/tax-returns")
@allow(*BOOKKEEPING)
def tax_returns_page():
    form = FilingPeriodForm(request.args)
    form.validate()
    frequency, day = form.chosen(_today())
    start, end = tax_returns.filing_period(frequency, day)
    chosen = request.args.get("form")
    if _wants_csv() and chosen in RETURN_FORMS:
        report = RETURN_FORMS[chosen](start, end)
        return _csv(exports.tax_return_csv(report), f"{chosen}-return-{start}-{end}.csv")
    pst_rows, pst_account = tax_returns.pst_figures(start, end)
    if _wants_csv() and chosen == "pst":
        return _csv(exports.pst_csv(pst_rows), f"pst-{start}-{end}.csv")
    return render_template(
        "backoffice/tax_returns.html",
        form=form,
        frequency=frequency,
        label=tax_returns.period_label(frequency, start),
        date_from=start,
        date_to=end,
        returns=tax_returns.both_returns(start, end),
        pst_rows=pst_rows,
        pst_account=pst_account,
        previous_day=start - timedelta(days=1),
        next_day=end + timedelta(days=1),
    )


# --- closing the period ----------------------------------------------------------------


def _close_page(form: CloseForm):
    return form_page(
        "backoffice/periods.html",
        form=form,
        reopen_form=ReopenForm(),
        lock_date=periods.lock_date(),
        closes=periods.history(),
        checks=month_end.month_end_checks(),
        account_ids={a.role: a.id for a in db.session.scalars(sa.select(Account)) if a.role},
    )


@bp.route("/accounting/periods", methods=["GET", "POST"])
@allow(*BOOKKEEPING)
def periods_page():
    form = CloseForm(month_ends=periods.closable_month_ends(_today()))
    if form.validate_on_submit():
        with service_call(form) as call:
            close = periods.close_through(
                date.fromisoformat(form.closed_through.data), user=current_user, today=_today()
            )
        if call.ok:
            flash(f"The books are closed through {local_date(close.closed_through)}.", "success")
            return redirect(url_for("backoffice.periods_page"))
    return _close_page(form)


@bp.post("/accounting/periods/reopen")
@allow()  # the owner only
def periods_reopen():
    form = ReopenForm()
    if form.validate_on_submit():
        with service_call() as call:
            close = periods.reopen(user=current_user)
        if call.ok:
            flash(
                f"Reopened the books closed through {local_date(close.closed_through)}.", "success"
            )
    return redirect(url_for("backoffice.periods_page"))
