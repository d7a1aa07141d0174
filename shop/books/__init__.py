"""The bookkeeper's reading of the books: the journal, ledgers, trial balance, tax collected
and the invoice register (ledgers.py), their exports (exports.py: CSV, Beancount,
QuickBooks) and the sales-tax returns (tax_returns.py). Above accounting, billing and
orders, because tax collected and the invoice register read invoices and orders; the
journal itself (shop.accounting) knows neither."""
