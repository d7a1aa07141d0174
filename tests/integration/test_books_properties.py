"""The books agree with the store whatever happens: a property test driving the real
services (purchasing and receiving, supplier bills and their payments, checkout and
fulfilment, orders backordered and cancelled whole or in their rest, partial refunds with
or without shipping and a restocking fee, goodwill amounts, returns received resellable
or damaged, stock adjustments and counts, the catalogue's cost edits, the payment
provider's payouts). Every order's invoice less its credit notes is what was paid less
what was refunded, and no order gets back more than it paid.

Generated histories of events, one rule per kind of event (Store.receive, .ship, ...);
after every step each invariant is checked, one function per invariant (check_...).
A new kind of event is a rule (a Store method and its strategy in RULES), a new
invariant a function in CHECKS. After every step every month-end check of the
bookkeeper's close page (shop.month_end) agrees: trial balance zero; inventory =
stock at average cost; goods received not billed = received-not-billed units at PO
cost; accounts payable = open bills; processor clearing = paid - fees - refunds -
payouts; tax payable per component = tax on invoices less credit notes; input tax
credits = tax on supplier bills; and the balance sheet balances.

The database is kept from one example to the next (a fixture's app serves all of a
test's examples), so each check covers everything done so far.
"""

import secrets
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shop import month_end
from shop.accounting import chart, statements
from shop.accounting.models import JournalEntry
from shop.after_sale import cancellations
from shop.backorders import purchase_orders
from shop.billing.models import Invoice
from shop.catalogue.models import Variant
from shop.clock import store_today
from shop.errors import DomainError
from shop.extensions import db
from shop.fulfilment import services as fulfilment
from shop.inventory import services as inventory
from shop.inventory import valuation
from shop.inventory.models import StockLevel, StockMovement
from shop.inventory.variants import save_variant
from shop.orders.models import Order, OrderLine
from shop.payables import bills, payments
from shop.payables import models as payables
from shop.payouts import services as payouts
from shop.purchasing import services as purchasing
from shop.purchasing.models import PurchaseOrderLine
from shop.refunds import services as refunds
from shop.refunds import status as refund_status
from shop.returns import services as returns
from tests.factories import ProductFactory, SupplierFactory, VariantFactory
from tests.integration.books_helpers import balances, source_keys_posted_twice
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy

PROPERTY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,  # the examples depend on the rows left by earlier ones: replay none
)
GOODS = {"lantern": (3, 1500), "tarp": (0, 999)}  # name: opening stock, catalogue cost


@pytest.fixture
def goods(app):
    classes = seed_reference_data()
    supplier = SupplierFactory(name="Valuation Supply Co")
    variants = {}
    for name, (opening, cost) in GOODS.items():
        variant = VariantFactory(
            product=ProductFactory(name=name.title()), price=4900, cost=cost,
            tax_class=classes["standard"], weight_g=300, stock=opening,
        )  # fmt: skip
        variant.stock.supplier = supplier
        variants[name] = variant.id
    db.session.commit()
    return variants


class Store:
    """The rules: each does one event to one variant through the real services; an event
    the store refuses (a DomainError: not enough stock) changes nothing."""

    def __init__(self, goods):
        self.goods = goods

    def step(self, kind: str, name: str, *args) -> None:
        variant = db.session.get(Variant, self.goods[name])
        try:
            getattr(self, kind)(variant, *args)
        except DomainError:
            db.session.rollback()
        else:
            db.session.commit()

    def receive(self, variant, units: int, unit_cost: int) -> None:
        """A purchase order for `units` at `unit_cost`, sent and received in full."""
        po = purchasing.create_purchase_order(supplier_id=variant.stock.supplier_id, user=None)
        purchasing.add_line(po=po, sku=variant.sku, quantity=units, unit_cost=unit_cost)
        purchase_orders.send_purchase_order(po=po, user=None)
        purchase_orders.receive_purchase_order(po=po, quantities={po.lines[0].id: units}, user=None)

    def ship(self, variant, units: int) -> None:
        """A customer buys `units` (if they are free) and the warehouse ships them."""
        if inventory.free_stock(variant.id) < units:
            return
        order = buy(self.app, [(variant, units)], email=f"v{variant.id}@example.com")
        shipment = fulfilment.start_shipment(order=order, user=None)
        fulfilment.confirm_shipment(shipment=shipment, user=None)

    def adjust(self, variant, quantity: int) -> None:
        inventory.adjust_stock(variant_id=variant.id, quantity=quantity, reason="adjustment")

    def count(self, variant, counted: int) -> None:
        inventory.count_stock(variant_id=variant.id, counted=counted)

    def bill(self, variant, price_change: int, gst: bool) -> None:
        """The supplier's bill for the oldest receipt not billed yet (of any variant), at
        the PO's cost plus `price_change` a unit (a price variance), with GST at 5 % or none."""
        received = sa.select(PurchaseOrderLine).where(PurchaseOrderLine.quantity_received > 0)
        lines = db.session.scalars(received.order_by(PurchaseOrderLine.id)).all()
        billed = bills.billed_units([line.id for line in lines])
        waiting = [(ln, ln.quantity_received - billed.get(ln.id, 0)) for ln in lines]
        waiting = [(line, units) for line, units in waiting if units > 0]
        if not waiting:
            return
        line, units = waiting[0]
        unit_cost = max(line.unit_cost + price_change, 0)
        taxes = {"GST": (units * unit_cost * 5 + 50) // 100} if gst and unit_cost else {}
        draft = bills.Draft(
            invoice_number=f"INV-{secrets.token_hex(4)}", bill_date=store_today(),
            goods=[bills.Goods(line.id, units, unit_cost)], taxes=taxes,
        )  # fmt: skip
        bills.enter_bill(po=line.purchase_order, draft=draft, user=None)

    def pay(self, variant, percent: int) -> None:
        """Part (or all) of the oldest open bill is paid by cheque."""
        bill = db.session.scalar(
            sa.select(payables.SupplierBill)
            .where(payables.SupplierBill.status.in_(payables.UNPAID))
            .order_by(payables.SupplierBill.id)
        )
        if bill is None:
            return
        amount = max(bill.open_amount * percent // 100, 1)
        payments.record_payment(
            bill=bill, paid_on=store_today(), method="cheque",
            reference=secrets.token_hex(3), amount=amount, user=None,
        )  # fmt: skip

    def refund(self, variant, units: int, shipping: bool, fee: int) -> None:
        """Units of the newest order of the variant are given back (with its shipping or
        not, a restocking fee or not) through the refund use case, and sent to the demo."""
        line = self._newest_line(variant)
        if line is None:
            return
        refund = refunds.refund_order(
            order=line.order, lines={line.id: units}, shipping=shipping,
            restocking_fee_percent=Decimal(fee), reason=refund_status.RETURN,
        )  # fmt: skip
        db.session.commit()
        refunds.send_refunds([refund.id])

    def goodwill(self, variant, percent: int) -> None:
        """A part of what is left of the newest order of the variant is given back."""
        line = self._newest_line(variant)
        if line is None:
            return
        amount = max(refunds.refundable_amount(line.order) * percent // 100, 1)
        refund = refunds.refund_amount(
            order=line.order, amount=amount, reason=refund_status.GOODWILL
        )
        db.session.commit()
        refunds.send_refunds([refund.id])

    def order(self, variant, units: int) -> None:
        """A customer buys `units`: what is free is allocated, the rest backordered (the
        variant is backorderable); nothing ships yet."""
        buy(self.app, [(variant, units)], email=f"w{variant.id}@example.com")

    def cancel(self, variant, whole: bool) -> None:
        """The customer of the newest unshipped order of the variant cancels it (whole), or
        only its backordered rest; the refund goes back through the demo provider."""
        line = self._newest_line(variant, OrderLine.quantity_shipped < OrderLine.quantity)
        if line is None:
            return
        cancel = cancellations.cancel_backordered_rest
        if whole:
            cancel = cancellations.cancel_order_by_customer
        done = cancel(order=line.order)
        db.session.commit()
        refunds.send_refunds(done.refund_ids)

    def give_back(self, variant, units: int, damaged: int) -> None:
        """A customer returns units of the newest shipped line of the variant, `damaged` of
        them damaged; staff authorise and receive them, the refund goes back."""
        line = self._newest_line(
            variant, OrderLine.quantity_shipped - OrderLine.quantity_returned >= units
        )
        if line is None:
            return
        request = returns.request_return(order=line.order, lines={line.id: (units, "wrong_size")})
        returns.authorise_return(request=request)
        got = returns.Receipt(resellable=units - min(damaged, units), damaged=min(damaged, units))
        _, refund = returns.receive_return(request=request, received={request.lines[0].id: got})
        db.session.commit()
        if refund is not None:
            refunds.send_refunds([refund.id])

    def _newest_line(self, variant, *conditions):
        return db.session.scalar(
            sa.select(OrderLine)
            .join(Order, Order.id == OrderLine.order_id)
            .where(OrderLine.variant_id == variant.id, Order.paid_at.is_not(None), *conditions)
            .order_by(OrderLine.id.desc())
        )

    def payout(self, variant, _unused: int = 0) -> None:
        """The demo provider pays out what it cleared up to today."""
        payouts.pay_out_demo(through=store_today())

    def edit_cost(self, variant, cost: int) -> None:
        """The owner types a new cost on the variant's form: a revaluation."""
        edit = {"sku": variant.sku, "barcode": variant.barcode, "cost": cost}
        save_variant(product=variant.product, variant=variant, data=edit)


NAMES = st.sampled_from(sorted(GOODS))
RULES = {
    "receive": st.tuples(st.integers(1, 12), st.integers(0, 5000)),
    "ship": st.tuples(st.integers(1, 4)),
    "adjust": st.tuples(st.integers(-4, 4).filter(bool)),
    "count": st.tuples(st.integers(0, 15)),
    "edit_cost": st.tuples(st.integers(0, 5000)),
    "bill": st.tuples(st.integers(-300, 300), st.booleans()),
    "pay": st.tuples(st.integers(10, 100)),
    "refund": st.tuples(st.integers(1, 3), st.booleans(), st.sampled_from([0, 0, 15])),
    "goodwill": st.tuples(st.integers(1, 100)),
    "order": st.tuples(st.integers(1, 6)),
    "cancel": st.tuples(st.booleans()),
    "give_back": st.tuples(st.integers(1, 3), st.integers(0, 2)),
    "payout": st.tuples(st.just(0)),
}
event = st.one_of(*(st.tuples(st.just(kind), NAMES, args) for kind, args in RULES.items())).map(
    lambda e: (e[0], e[1], *e[2])
)
history = st.lists(event, min_size=3, max_size=14)


# --- the invariants --------------------------------------------------------------------


def check_trial_balance_is_zero() -> None:
    assert sum(balances().values()) == 0
    assert source_keys_posted_twice() == []


def check_inventory_account_is_the_stock_value() -> None:
    assert valuation.inventory_balance() == valuation.stock_value_total()
    assert valuation.inventory_difference() == 0


def check_value_is_on_hand_at_average_cost() -> None:
    """Per variant: no units, no value; on_hand x the shown (rounded) average is the value
    to within half a cent a unit; and the sum over variants is the stock's value."""
    levels = db.session.scalars(sa.select(StockLevel)).all()
    for level in levels:
        assert level.stock_value >= 0
        average = valuation.average_cost(level.stock_value, level.on_hand)
        if level.on_hand == 0:
            assert level.stock_value == 0 and average is None
        else:
            assert 2 * abs(level.on_hand * average - level.stock_value) <= level.on_hand
    assert sum(level.stock_value for level in levels) == valuation.stock_value_total()


def check_value_is_explained_by_movements_and_revaluations() -> None:
    """A variant's value is the sum of what its movements moved, plus its revaluations."""
    moved = dict(
        db.session.execute(
            sa.select(StockMovement.variant_id, sa.func.sum(StockMovement.value)).group_by(
                StockMovement.variant_id
            )
        ).all()
    )
    revalued = {}
    for entry in db.session.scalars(
        sa.select(JournalEntry).where(JournalEntry.source_type == valuation.REVALUATION_SOURCE)
    ):
        variant_id = int(entry.source_key.split(":")[2])
        change = sum(x.debit - x.credit for x in entry.lines if x.account.role == chart.INVENTORY)
        revalued[variant_id] = revalued.get(variant_id, 0) + change
    for level in db.session.scalars(sa.select(StockLevel)):
        explained = moved.get(level.variant_id, 0) + revalued.get(level.variant_id, 0)
        assert level.stock_value == explained


def check_on_hand_is_the_sum_of_movements() -> None:
    for level in db.session.scalars(sa.select(StockLevel)):
        assert level.on_hand == inventory.movement_total(level.variant_id)


def check_every_month_end_check_agrees() -> None:
    wrong = [(c.name, c.books, c.records) for c in month_end.month_end_checks() if not c.ok]
    assert wrong == []


def check_each_order_is_paid_less_refunded() -> None:
    """Every order's invoice less its credit notes is what was paid less what was refunded,
    and no order got back more than it paid."""
    for order in db.session.scalars(sa.select(Order).where(Order.paid_at.is_not(None))):
        documents = db.session.scalars(sa.select(Invoice.total).where(Invoice.order_id == order.id))
        paid, refunded = refunds.paid_amount(order), refunds.refunded_amount(order)
        assert sum(documents) == paid - refunded == order.total - refunded, order.number
        assert 0 <= refunded <= paid


def check_the_balance_sheet_balances() -> None:
    assert statements.balance_sheet(store_today()).balances


CHECKS = [
    check_each_order_is_paid_less_refunded,
    check_every_month_end_check_agrees,
    check_the_balance_sheet_balances,
    check_trial_balance_is_zero,
    check_inventory_account_is_the_stock_value,
    check_value_is_on_hand_at_average_cost,
    check_value_is_explained_by_movements_and_revaluations,
    check_on_hand_is_the_sum_of_movements,
]


@pytest.fixture
def store(app, goods):
    made = Store(goods)
    made.app = app
    return made


def test_the_stock_value_and_the_books_agree_after_every_event(store):
    @PROPERTY
    @given(steps=history)
    def run(steps):
        for step in steps:
            store.step(*step)
            db.session.expire_all()
            for check in CHECKS:
                check()

    run()
