"""Imports every model so that SQLAlchemy and Alembic know all the tables."""

from shop.accounting.models import Account, CommissionAgent, JournalEntry, JournalLine
from shop.accounts.models import Address, LoginChallenge, RecoveryCode, TotpFactor, User
from shop.banking.models import BankLine, BankStatement
from shop.billing.models import Invoice, InvoiceLine, InvoiceSequence, InvoiceTax
from shop.cart.models import Cart, CartLine, CheckoutState
from shop.catalogue.models import Category, Product, ProductImage, Variant
from shop.fulfilment.models import (
    DocumentBatch,
    DocumentBatchFile,
    Parcel,
    Shipment,
    ShipmentLine,
)
from shop.inventory.models import StockLevel, StockMovement
from shop.jobs.models import JobRun
from shop.notifications.models import OutboxAttachment, OutboxMessage
from shop.orders.models import Order, OrderEvent, OrderLine, OrderTax, Payment, PaymentEvent
from shop.page_cache import PageVersion
from shop.payables.models import SupplierBill, SupplierBillLine, SupplierBillTax, SupplierPayment
from shop.payments.models import Payout
from shop.planning.models import DemandForecast
from shop.purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier
from shop.refunds.models import Refund, RefundLine
from shop.returns.models import ReturnLine, ReturnRequest
from shop.shipping.models import (
    Box,
    Carrier,
    ShippingRate,
    ShippingService,
    ShippingZone,
    ZoneRegion,
)
from shop.store_details.models import StoreSettings
from shop.tax.models import TaxClass, TaxRate

__all__ = [
    "PageVersion",
    "JobRun",
    "DocumentBatchFile",
    "Refund",
    "RefundLine",
    "ReturnLine",
    "ReturnRequest",
    "SupplierBill",
    "SupplierBillLine",
    "SupplierBillTax",
    "SupplierPayment",
    "BankLine",
    "BankStatement",
    "Payout",
    "DocumentBatch",
    "Parcel",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "Shipment",
    "ShipmentLine",
    "Account",
    "CommissionAgent",
    "Invoice",
    "InvoiceLine",
    "InvoiceSequence",
    "InvoiceTax",
    "JournalEntry",
    "JournalLine",
    "OutboxAttachment",
    "StoreSettings",
    "DemandForecast",
    "Address",
    "LoginChallenge",
    "RecoveryCode",
    "TotpFactor",
    "Box",
    "Carrier",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderTax",
    "Payment",
    "PaymentEvent",
    "ShippingRate",
    "ShippingService",
    "ShippingZone",
    "TaxRate",
    "ZoneRegion",
    "Cart",
    "CartLine",
    "CheckoutState",
    "Category",
    "OutboxMessage",
    "Product",
    "ProductImage",
    "StockLevel",
    "StockMovement",
    "Supplier",
    "TaxClass",
    "User",
    "Variant",
]
