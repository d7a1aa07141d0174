"""The back office under /admin: one module per area of the business."""

from flask import Blueprint

from backoffice.access import check_access

bp = Blueprint("backoffice", __name__, url_prefix="/admin")
bp.before_request(check_access)

# Modules add their routes to bp.
from backoffice import (  # noqa: E402,F401
    accounting,
    agents,
    banking,
    catalogue,
    chores,
    dashboard,
    documents,
    fulfilment,
    inventory,
    invoice_files,
    order_refunds,
    orders,
    payables,
    purchasing,
    refunds,
    reports,
    returns,
    shipping,
    staff,
    statements,
    store_settings,
    tax,
)
