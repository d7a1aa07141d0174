"""The back-office menu: each entry shows only to roles that may open it."""

from flask import Flask
from flask_login import current_user

from backoffice.access import allowed_roles

# (endpoint, label) in menu order; modules of the back office add theirs here.
MENU = [
    ("backoffice.dashboard", "Dashboard"),
    ("backoffice.report_sales", "Reports"),
    ("backoffice.orders", "Orders"),
    ("backoffice.products", "Products"),
    ("backoffice.categories", "Categories"),
    ("backoffice.stock", "Stock"),
    ("backoffice.stock_valuation", "Valuation"),
    ("backoffice.purchase_orders", "Purchase orders"),
    ("backoffice.suppliers", "Suppliers"),
    ("backoffice.reorder", "Reorder list"),
    ("backoffice.backorders", "Backorders"),
    ("backoffice.to_pack", "To pack"),
    ("backoffice.shipments", "Shipments"),
    ("backoffice.returns", "Returns"),
    ("backoffice.shipping", "Shipping"),
    ("backoffice.tax_rates", "Tax"),
    ("backoffice.invoices", "Invoices"),
    ("backoffice.bills_list", "Supplier bills"),
    ("backoffice.payables_aging", "Payables aging"),
    ("backoffice.journal", "Journal"),
    ("backoffice.accounts", "Accounts"),
    ("backoffice.trial_balance", "Trial balance"),
    ("backoffice.tax_collected", "Tax collected"),
    ("backoffice.profit_and_loss", "Profit and loss"),
    ("backoffice.balance_sheet", "Balance sheet"),
    ("backoffice.tax_returns_page", "Tax returns"),
    ("backoffice.periods_page", "Close the period"),
    ("backoffice.bank_statements", "Bank"),
    ("backoffice.payouts_list", "Payouts"),
    ("backoffice.refunds_attention", "Refunds to see to"),
    ("backoffice.commission_agents", "Commission agents"),
    ("backoffice.discounts", "Discount codes"),
    ("backoffice.staff", "Staff"),
    ("backoffice.chores", "Chores"),
    ("backoffice.store_settings", "Store settings"),
]


def can(endpoint: str) -> bool:
    """Whether the logged-in user may open this back-office page (for links and buttons)."""
    return current_user.is_authenticated and current_user.role in allowed_roles(endpoint)


def register(app: Flask) -> None:
    @app.context_processor
    def _menu():
        def admin_menu():
            return [(e, label) for e, label in MENU if can(e)]

        return {"admin_menu": admin_menu, "can": can}
