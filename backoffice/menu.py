"""The back-office menu, grouped by who uses it: each entry shows only to roles that may
open it, and a group with no entry left for the user is not shown at all.

Each group is a <details> disclosure in templates/backoffice/base.html, so the menu
works without JavaScript; static/backoffice/menu.js only closes the other groups when
one opens. The group of the page being read is marked, and so is its link.
"""

from dataclasses import dataclass

from flask import Flask, request, url_for
from flask_login import current_user

from backoffice.access import allowed_roles

HOME = ("backoffice.dashboard", "Dashboard")

# (group, [(endpoint, label), ...]) in menu order; modules of the back office add theirs here.
GROUPS = [
    (
        "Sell",
        [
            ("backoffice.orders", "Orders"),
            ("backoffice.returns", "Returns"),
            ("backoffice.refunds_attention", "Refunds to see to"),
            ("backoffice.products", "Products"),
            ("backoffice.categories", "Categories"),
            ("backoffice.commission_agents", "Commission agents"),
            ("backoffice.discounts", "Discount codes"),
        ],
    ),
    (
        "Warehouse",
        [
            ("backoffice.to_pack", "To pack"),
            ("backoffice.shipments", "Shipments"),
            ("backoffice.backorders", "Backorders"),
            ("backoffice.stock", "Stock and counts"),
        ],
    ),
    (
        "Purchasing",
        [
            ("backoffice.reorder", "Reorder list"),
            ("backoffice.purchase_orders", "Purchase orders"),
            ("backoffice.suppliers", "Suppliers"),
        ],
    ),
    (
        "Books",
        [
            ("backoffice.invoices", "Invoices and credit notes"),
            ("backoffice.journal", "Journal"),
            ("backoffice.accounts", "Accounts and ledgers"),
            ("backoffice.bank_statements", "Bank"),
            ("backoffice.payouts_list", "Payouts"),
            ("backoffice.bills_list", "Supplier bills"),
            ("backoffice.bills_to_pay", "Bills to pay"),
            ("backoffice.payables_aging", "Payables aging"),
            ("backoffice.tax_returns_page", "Tax returns"),
            ("backoffice.periods_page", "Close the period"),
        ],
    ),
    (
        "Reports",
        [
            ("backoffice.report_sales", "Sales"),
            ("backoffice.report_margin", "Margin"),
            ("backoffice.report_customers", "Customers"),
            ("backoffice.report_stock", "Stock"),
            ("backoffice.report_forecast", "Forecast"),
            ("backoffice.report_backorders", "Backorders"),
            ("backoffice.report_returns", "Returns"),
            ("backoffice.report_shipping", "Shipping"),
            ("backoffice.stock_valuation", "Stock valuation"),
            ("backoffice.trial_balance", "Trial balance"),
            ("backoffice.profit_and_loss", "Profit and loss"),
            ("backoffice.balance_sheet", "Balance sheet"),
            ("backoffice.tax_collected", "Tax collected"),
        ],
    ),
    (
        "Settings",
        [
            ("backoffice.store_settings", "Store"),
            ("backoffice.tax_rates", "Tax rates"),
            ("backoffice.shipping", "Shipping"),
            ("backoffice.staff", "Staff"),
            ("backoffice.chores", "Chores"),
        ],
    ),
]


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    current: bool  # this very page


@dataclass(frozen=True)
class Group:
    name: str
    links: list[Link]
    current: bool  # the page being read belongs here (a list, or one of its rows)


def can(endpoint: str) -> bool:
    """Whether the logged-in user may open this back-office page (for links and buttons)."""
    return current_user.is_authenticated and current_user.role in allowed_roles(endpoint)


def menu_groups() -> list[Group]:
    """The groups the logged-in user may see, each with only the links they may open."""
    visible = [
        (
            name,
            [(endpoint, label, url_for(endpoint)) for endpoint, label in entries if can(endpoint)],
        )
        for name, entries in GROUPS
    ]
    visible = [(name, links) for name, links in visible if links]
    here = request.script_root + request.path  # as url_for writes them, behind a prefix too
    home = _home_of(here, [url for _, links in visible for _, _, url in links])
    return [
        Group(
            name,
            [Link(label, url, endpoint == request.endpoint) for endpoint, label, url in links],
            any(url == home for _, _, url in links),
        )
        for name, links in visible
    ]


def _home_of(path: str, urls: list[str]) -> str | None:
    """The menu address this page comes under: itself, or the longest one it starts with
    (/admin/orders/SO-1 is under /admin/orders)."""
    under = [url for url in urls if path == url or path.startswith(url.rstrip("/") + "/")]
    return max(under, key=len, default=None)


def register(app: Flask) -> None:
    @app.context_processor
    def _menu():
        return {"admin_home": HOME, "admin_menu": menu_groups, "can": can}
