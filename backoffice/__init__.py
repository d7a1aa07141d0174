"""The back office under /admin: one module per area of the business."""

# Each area module adds its routes to bp (backoffice/blueprint.py) when imported here.
from backoffice import (  # noqa: F401
    accounting,
    agents,
    banking,
    catalogue,
    chores,
    dashboard,
    discounts,
    fulfilment,
    inventory,
    invoice_files,
    order_refunds,
    orders,
    owner_reports,
    payables,
    printouts,
    purchasing,
    refunds,
    returns,
    shipping,
    staff,
    statements,
    store_settings,
    tax,
)
from backoffice.blueprint import bp  # noqa: F401  (registered by shop.create_app)
