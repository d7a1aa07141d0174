"""The books in the back office: invoices, the journal, the chart of accounts, an account's
ledger, the trial balance, tax collected, the exports, and manual journal entries.

The bookkeeper (and the owner) read and post; sales staff may read the invoice
list to answer customers; only the owner changes the chart of accounts.
"""

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from backoffice.access import allow
from backoffice.blueprint import bp
from backoffice.forms.accounting import (
    AccountForm,
    InvoiceFilterForm,
    JournalFilterForm,
    ManualEntryForm,
    NewAccountForm,
    PeriodForm,
)
from backoffice.menu import can
from backoffice.views import (
    form_page,
    found_page,
    get_or_404,
    page_number,
    service_call,
    stream_download,
)
from shop.accounting import services
from shop.accounting.models import ACCOUNT_TYPES, Account
from shop.accounts import roles
from shop.billing.models import STATUS_LABELS
from shop.books import exports, ledgers

BOOKKEEPING = (roles.BOOKKEEPER,)
INVOICE_VIEWERS = (roles.BOOKKEEPER, roles.SALES)
DOCUMENT_PATH = "/admin/invoices/{number}.{ext}"  # the invoice files' pages, if installed


# --- invoices ---------------------------------------------------------------------


def _invoice_filters() -> tuple[InvoiceFilterForm, ledgers.InvoiceFilters]:
    form = InvoiceFilterForm(request.args, statuses=STATUS_LABELS)
    form.validate()
    return form, ledgers.InvoiceFilters(**form.filters())


def _document_links() -> list[str]:
    """The invoice file formats this user may download ("pdf", "xml"), if those pages exist."""
    adapter = current_app.url_map.bind("localhost")
    found = []
    for ext in ("pdf", "xml"):
        try:
            endpoint, _ = adapter.match(DOCUMENT_PATH.format(number="X", ext=ext), method="GET")
        except HTTPException:
            continue
        if can(endpoint):
            found.append(ext)
    return found


@bp.get("/accounting/invoices")
@allow(*INVOICE_VIEWERS)
def invoices():
    form, chosen = _invoice_filters()
    return render_template(
        "backoffice/invoices.html",
        filters=form,
        pagination=found_page(ledgers.invoices(chosen, page=page_number())),
        totals=ledgers.invoice_totals(chosen),
        document_path=DOCUMENT_PATH,
        document_links=_document_links(),
        status_labels=STATUS_LABELS,
    )


@bp.get("/accounting/invoices.csv")
@allow(*INVOICE_VIEWERS)
def invoices_csv():
    _, chosen = _invoice_filters()
    return stream_download(exports.invoices_csv(chosen), "invoices.csv", "text/csv")


# --- the journal ------------------------------------------------------------------


def _journal_filters() -> tuple[JournalFilterForm, ledgers.JournalFilters]:
    form = JournalFilterForm(
        request.args, accounts=services.accounts_in_order(), sources=ledgers.source_types()
    )
    form.validate()
    return form, ledgers.JournalFilters(**form.filters())


@bp.get("/accounting/journal")
@allow(*BOOKKEEPING)
def journal():
    form, chosen = _journal_filters()
    return render_template(
        "backoffice/journal.html",
        filters=form,
        pagination=found_page(ledgers.journal(chosen, page=page_number())),
        totals=ledgers.journal_totals(chosen),
    )


@bp.get("/accounting/journal.csv")
@allow(*BOOKKEEPING)
def journal_csv():
    _, chosen = _journal_filters()
    return stream_download(exports.journal_csv(chosen), "journal.csv", "text/csv")


@bp.get("/accounting/journal.beancount")
@allow(*BOOKKEEPING)
def journal_beancount():
    _, chosen = _journal_filters()
    return stream_download(exports.beancount(chosen), "journal.beancount", "text/plain")


@bp.get("/accounting/journal-quickbooks.csv")
@allow(*BOOKKEEPING)
def journal_quickbooks():
    _, chosen = _journal_filters()
    return stream_download(exports.quickbooks_csv(chosen), "journal-quickbooks.csv", "text/csv")


@bp.get("/accounting/journal-xero.csv")
@allow(*BOOKKEEPING)
def journal_xero():
    _, chosen = _journal_filters()
    return stream_download(exports.xero_csv(chosen), "journal-xero.csv", "text/csv")


@bp.route("/accounting/journal/new", methods=["GET", "POST"])
@allow(*BOOKKEEPING)
def journal_entry_new():
    form = ManualEntryForm(accounts=services.accounts_in_order(active_only=True))
    if form.validate_on_submit():
        with service_call(form) as call:
            entry = services.post_manual_entry(
                on=form.on.data,
                description=form.description.data,
                lines=[services.ManualLine(**line) for line in form.entry_lines()],
                user=current_user,
            )
        if call.ok:
            flash(f"Entry {entry.id} posted: {entry.description}.", "success")
            return redirect(url_for("backoffice.journal", date_from=entry.date, date_to=entry.date))
    return form_page("backoffice/journal_entry_form.html", form=form)


# --- the chart of accounts and ledgers ---------------------------------------------


@bp.get("/accounting/accounts")
@allow(*BOOKKEEPING)
def accounts():
    balances = {row.account.id: row.closing for row in ledgers.trial_balance().rows}
    return render_template(
        "backoffice/accounts.html",
        accounts=services.accounts_in_order(),
        balances=balances,
        type_labels=ACCOUNT_TYPES,
    )


def _account_form_page(form, heading: str, submit: str, help_text: str):
    return form_page(
        "backoffice/settings_form.html",
        form=form,
        heading=heading,
        submit=submit,
        back=url_for("backoffice.accounts"),
        help_text=help_text,
        section=("Chart of accounts", url_for("backoffice.accounts")),
    )


@bp.route("/accounting/accounts/new", methods=["GET", "POST"])
@allow()  # the owner only
def account_new():
    form = NewAccountForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            saved = services.create_account(
                code=form.code.data, name=form.name.data, type=form.type.data
            )
        if call.ok:
            flash(f"Account {saved} added.", "success")
            return redirect(url_for("backoffice.accounts"))
    return _account_form_page(
        form,
        "New account",
        "Add account",
        "A new account is used by manual journal entries; its type cannot change later.",
    )


@bp.route("/accounting/accounts/<int:account_id>", methods=["GET", "POST"])
@allow()
def account_edit(account_id: int):
    account = get_or_404(Account, account_id)
    form = AccountForm(obj=account)
    if form.validate_on_submit():
        with service_call(form) as call:
            services.update_account(
                account=account,
                code=form.code.data,
                name=form.name.data,
                is_active=form.is_active.data,
            )
        if call.ok:
            flash(f"Account {account} saved.", "success")
            return redirect(url_for("backoffice.accounts"))
    role = f" The posting rules use it for {account.role}." if account.role else ""
    return _account_form_page(
        form,
        f"Edit account {account.code}",
        "Save account",
        f"{ACCOUNT_TYPES[account.type]} account.{role} "
        "Its type and role stay as they are; entries already posted keep pointing at it.",
    )


@bp.get("/accounting/accounts/<int:account_id>/ledger")
@allow(*BOOKKEEPING)
def account_ledger(account_id: int):
    account = get_or_404(Account, account_id)
    period = PeriodForm(request.args)
    period.validate()
    return render_template(
        "backoffice/ledger.html",
        period=period,
        ledger=ledgers.account_ledger(account, *period.period(), page=page_number()),
    )


# --- reports ----------------------------------------------------------------------


@bp.get("/accounting/trial-balance")
@allow(*BOOKKEEPING)
def trial_balance():
    period = PeriodForm(request.args)
    period.validate()
    return render_template(
        "backoffice/trial_balance.html",
        period=period,
        report=ledgers.trial_balance(*period.period()),
        type_labels=ACCOUNT_TYPES,
    )


@bp.get("/accounting/tax")
@allow(*BOOKKEEPING)
def tax_collected():
    period = PeriodForm(request.args)
    period.validate()
    return render_template(
        "backoffice/tax_collected.html",
        period=period,
        report=ledgers.tax_collected(*period.period()),
    )
