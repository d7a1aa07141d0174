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
SALES_DISCOUNTS = "sales_discounts"  # discount codes: what customers did not pay of the price
SHIPPING_INCOME = "shipping_income"
REFUNDS = "refunds"
COGS = "cogs"
PAYMENT_FEES = "payment_fees"
COMMISSIONS = "commissions"
# Issue 11, the books a bookkeeper can close:
RECEIVED_NOT_BILLED = "received_not_billed"  # goods in, the supplier's bill not yet entered
OPENING_BALANCE = "opening_balance"  # the other side of stock (and balances) the store starts with
RETAINED_EARNINGS = "retained_earnings"
SHRINKAGE = "shrinkage"  # stock adjustments, counts and scrap, at average cost
PRICE_VARIANCE = "price_variance"  # a supplier bill's price differs from the PO's
REVALUATION = "revaluation"  # a variant's average cost edited by hand
TAX_EXPENSE = "tax_expense"  # sales tax paid on purchases that cannot be claimed back (PST)
BANK_CHARGES = "bank_charges"


def tax_role(component: str) -> str:
    """Tax collected on sales, owed to the government (a liability per component)."""
    return f"tax:{component}"


def itc_role(component: str) -> str:
    """Tax paid on purchases and claimed back: GST/HST input tax credits, QST input tax
    refunds (an asset per component; PST is not recoverable and has none)."""
    return f"itc:{component}"


RECOVERABLE_TAXES = ("GST", "HST", "QST")


# code, name, type, role
CHART = [
    ("1000", "Bank", ASSET, BANK),
    ("1050", "Payment processor clearing", ASSET, CLEARING),
    ("1100", "Accounts receivable", ASSET, RECEIVABLE),
    ("1200", "Inventory", ASSET, INVENTORY),
    ("1310", "GST input tax credits", ASSET, itc_role("GST")),
    ("1311", "HST input tax credits", ASSET, itc_role("HST")),
    ("1312", "QST input tax refunds", ASSET, itc_role("QST")),
    ("2000", "Accounts payable", LIABILITY, PAYABLE),
    ("2050", "Goods received not billed", LIABILITY, RECEIVED_NOT_BILLED),
    ("2100", "GST payable", LIABILITY, tax_role("GST")),
    ("2110", "HST payable", LIABILITY, tax_role("HST")),
    ("2120", "PST payable", LIABILITY, tax_role("PST")),
    ("2130", "QST payable", LIABILITY, tax_role("QST")),
    ("2200", "Commissions payable", LIABILITY, COMMISSIONS_PAYABLE),
    ("3000", "Owner's equity", EQUITY, EQUITY_OPENING),
    ("3100", "Opening balance equity", EQUITY, OPENING_BALANCE),
    ("3900", "Retained earnings", EQUITY, RETAINED_EARNINGS),
    ("4000", "Sales", INCOME, SALES),
    ("4050", "Sales discounts", INCOME, SALES_DISCOUNTS),
    ("4100", "Shipping income", INCOME, SHIPPING_INCOME),
    ("4900", "Refunds and returns", INCOME, REFUNDS),
    ("5000", "Cost of goods sold", EXPENSE, COGS),
    ("5010", "Inventory shrinkage", EXPENSE, SHRINKAGE),
    ("5020", "Purchase price variance", EXPENSE, PRICE_VARIANCE),
    ("5030", "Inventory revaluation", EXPENSE, REVALUATION),
    ("5040", "Non-recoverable sales tax", EXPENSE, TAX_EXPENSE),
    ("5100", "Payment processing fees", EXPENSE, PAYMENT_FEES),
    ("5200", "Commissions", EXPENSE, COMMISSIONS),
    ("5300", "Bank charges", EXPENSE, BANK_CHARGES),
]
