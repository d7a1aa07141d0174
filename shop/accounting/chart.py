"""The chart of accounts the store starts with (the owner may rename and add accounts).

Each posting rule finds its account by role, never by code or name.
"""

from shop.accounting.models import ASSET, EQUITY, EXPENSE, INCOME, LIABILITY

BANK = "bank"
CLEARING = "processor_clearing"
RECEIVABLE = "receivable"
INVENTORY = "inventory"
PAYABLE = "payable"
COMMISSIONS_PAYABLE = "commissions_payable"
EQUITY_OPENING = "equity"
SALES = "sales"
SHIPPING_INCOME = "shipping_income"
REFUNDS = "refunds"
COGS = "cogs"
PAYMENT_FEES = "payment_fees"
COMMISSIONS = "commissions"


def tax_role(component: str) -> str:
    return f"tax:{component}"


# code, name, type, role
CHART = [
    ("1000", "Bank", ASSET, BANK),
    ("1050", "Payment processor clearing", ASSET, CLEARING),
    ("1100", "Accounts receivable", ASSET, RECEIVABLE),
    ("1200", "Inventory", ASSET, INVENTORY),
    ("2000", "Accounts payable", LIABILITY, PAYABLE),
    ("2100", "GST payable", LIABILITY, tax_role("GST")),
    ("2110", "HST payable", LIABILITY, tax_role("HST")),
    ("2120", "PST payable", LIABILITY, tax_role("PST")),
    ("2130", "QST payable", LIABILITY, tax_role("QST")),
    ("2200", "Commissions payable", LIABILITY, COMMISSIONS_PAYABLE),
    ("3000", "Owner's equity", EQUITY, EQUITY_OPENING),
    ("4000", "Sales", INCOME, SALES),
    ("4100", "Shipping income", INCOME, SHIPPING_INCOME),
    ("4900", "Refunds and returns", INCOME, REFUNDS),
    ("5000", "Cost of goods sold", EXPENSE, COGS),
    ("5100", "Payment processing fees", EXPENSE, PAYMENT_FEES),
    ("5200", "Commissions", EXPENSE, COMMISSIONS),
]
