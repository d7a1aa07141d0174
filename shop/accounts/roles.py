"""Who may do what. A role is a constant with a one-line meaning."""

CUSTOMER = "customer"  # shops online; sees only their own orders and addresses
WAREHOUSE = "warehouse"  # stock, picking, packing, receiving
SALES = "sales"  # counter sales, quotes, business customers, catalogue
BOOKKEEPER = "bookkeeper"  # invoices, journal, tax reports
OWNER = "owner"  # everything, including settings and staff accounts

ALL = (CUSTOMER, WAREHOUSE, SALES, BOOKKEEPER, OWNER)
STAFF = (WAREHOUSE, SALES, BOOKKEEPER, OWNER)

LABELS = {
    CUSTOMER: "Customer",
    WAREHOUSE: "Warehouse",
    SALES: "Sales",
    BOOKKEEPER: "Bookkeeper",
    OWNER: "Owner",
}
