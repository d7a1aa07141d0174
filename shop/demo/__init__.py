"""The demo store (`flask seed-demo`) and its past year of sales (`--history`).

seed.py builds the store from catalogue.py (products, variants, images.py's pictures),
people.py (staff and customer accounts) and store.py (the store's details, tax, shipping,
suppliers). The history: history_plan.py decides what happens on which day (seeded, so the
same seed gives the same year), history_people.py holds its customers, history_orders.py
makes each order with the checkout's own pricing and the order's own constructors and event
functions (shop.orders.pricing, shop.orders.services.new_order / frozen_line,
shop.orders.events), history_books.py invoices and posts them through the real services,
and history_writer.py writes the rows (rows.py turns each object into its row).
"""

from shop.demo.catalogue import ITEMS, ean13, option_code
from shop.demo.history_plan import DEFAULT_SEED as HISTORY_SEED
from shop.demo.history_plan import HistoryError, HistoryResult
from shop.demo.history_writer import advance_sequences, generate_history
from shop.demo.people import ACCOUNTS, CUSTOMER_PASSWORD, STAFF_PASSWORD, login_table
from shop.demo.seed import DEFAULT_SEED, SeedResult, seed_demo, store_has_products

__all__ = [
    "ACCOUNTS", "CUSTOMER_PASSWORD", "DEFAULT_SEED", "HISTORY_SEED", "ITEMS", "STAFF_PASSWORD",
    "HistoryError", "HistoryResult", "SeedResult", "advance_sequences", "ean13",
    "generate_history", "login_table", "option_code", "seed_demo", "store_has_products",
]  # fmt: skip
