"""Order events are stored as kind + parameters; the history shows the same sentences
the events used to store (shop.order_history is the one place with those words)."""

import re
from datetime import date
from pathlib import Path

import pytest
from flask import Flask

from shop import order_history
from shop.order_history import sentence
from shop.orders import events


@pytest.fixture(autouse=True)
def app_context():
    app = Flask(__name__)
    app.config.update(LOCALE="en_CA", BASE_CURRENCY="CAD")
    with app.app_context():
        yield


CAD = {"currency": "CAD"}
SENTENCES = [
    ("placed", {"policy": "ship_complete", "backordered": 0},
     "Order placed (wait and ship everything together)."),
    ("placed", {"policy": "ship_available_now", "backordered": 3},
     "Order placed (ship what is in stock now, the rest when it arrives); "
     "3 units backordered."),
    ("placed", {"policy": "ship_available_now", "backordered": 1},
     "Order placed (ship what is in stock now, the rest when it arrives); "
     "1 unit backordered."),
    ("paid", {"provider": "Demo", "method": "Visa ending 4242", "amount": 12345, **CAD},
     "Payment of $123.45 received through Demo by Visa ending 4242."),
    ("paid", {"provider": "Stripe", "method": "", "amount": 500, **CAD},
     "Payment of $5.00 received through Stripe."),
    ("refunded", {"provider": "Stripe", "refund_id": "re_1", "amount": 100, **CAD,
                  "unavailable": [{"units": 2, "name": "Ridge Tent", "left": 0},
                                  {"units": 1, "name": "Camp Stove", "left": 0}]},
     "Payment of $1.00 refunded through Stripe (re_1): no longer available: "
     "2 x Ridge Tent (0 left); 1 x Camp Stove (0 left)."),
    # written before the items were data: their text is kept
    ("refunded", {"provider": "Stripe", "refund_id": "re_1", "amount": 100, **CAD,
                  "unavailable": ["2 x Ridge Tent (0 left)"]},
     "Payment of $1.00 refunded through Stripe (re_1): no longer available: "
     "2 x Ridge Tent (0 left)."),
    ("refunded", {"provider": "Stripe", "refund_id": "re_2", "amount": 100, **CAD,
                  "order_cancelled": True},
     "Payment of $1.00 refunded through Stripe (re_2): the order was cancelled."),
    ("email", {"notice": "shipment", "to": "a@example.com", "shipment": "SH-1"},
     "Shipment SH-1 notice emailed to a@example.com."),
    ("released", {"why": "expired"}, "Stock allocation released (not paid in time)."),
    ("packing", {"shipment": "SH-1", "units": 1}, "Shipment SH-1 started: 1 unit to pack."),
    ("packing", {"shipment": "SH-1", "units": 3}, "Shipment SH-1 started: 3 units to pack."),
    ("shipped", {"shipment": "SH-1", "units": 1, "tracking": "1Z9"},
     "Shipment SH-1 shipped: 1 unit, tracking 1Z9."),
    ("shipped", {"shipment": "SH-1", "units": 1250, "tracking": "1Z9"},
     "Shipment SH-1 shipped: 1,250 units, tracking 1Z9."),
    ("cancelled", {"reason": ""}, "Order cancelled."),
    ("cancelled", {"reason": "nothing left to ship"}, "Order cancelled: nothing left to ship."),
    ("refund_decided", {"reason": "goodwill", "note": "late", "credit_note": "CN-1",
                        "amount": 250, **CAD},
     "Refund of $2.50 decided: goodwill (late); credit note CN-1 issued."),
    ("refund_succeeded", {"provider": "Stripe", "reference": "", "amount": 250, **CAD},
     "Refund of $2.50 made through Stripe."),
    ("backorder_cancelled", {"items": [{"sku": "A", "units": 2}, {"sku": "B", "units": 1}],
                             "by_staff": True},
     "Backordered items cancelled by staff: 2 x A, 1 x B."),
    ("backorder_allocated", {"reference": "PO-000001", "items": [{"sku": "A", "units": 2}]},
     "Backordered stock allocated from PO-000001: 2 x A."),
    ("backorder_delayed",
     {"moves": [events.date_move(2, "A", None, date(2027, 1, 5)),
                events.date_move(1, "B", date(2027, 1, 1), date(2027, 1, 9))],
      "why": "Our supplier now expects to deliver later than planned."},
     "Expected ship date moved later: 2 x A from no date to Jan 5, 2027; 1 x B from "
     "Jan 1, 2027 to Jan 9, 2027. Our supplier now expects to deliver later than planned. "
     "Customer emailed."),
    ("return_requested", {"number": "RMA-1", "lines": [
        {"sku": "A", "units": 1, "reason": "wrong_size"}]},
     "Return RMA-1 requested: 1 x A (wrong size or fit)."),
    ("return_authorised", {"number": "RMA-1", "note": ""}, "Return RMA-1 authorised."),
    ("return_received", {"number": "RMA-1", "lines": [
        {"sku": "A", "units": 2, "resellable": 1, "damaged": 1}]},
     "Return RMA-1 received: 1 resellable, 1 damaged of 2 x A."),
    ("return_received", {"number": "RMA-1", "no_refund": "fee_kept"},
     "Return RMA-1: the whole price is kept as restocking fee; no refund."),
    ("return_refunded", {"number": "RMA-1", "fee": 150, "credit_note": "CN-2",
                         "amount": 1350, **CAD},
     "Return RMA-1 refunded: $13.50, credit note CN-2, restocking fee of $1.50 kept."),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "params", "expected"), SENTENCES)
def test_each_kind_reads_as_the_sentence_it_used_to_store(kind, params, expected):
    assert sentence(kind, params) == expected


def test_a_row_from_before_events_were_data_keeps_its_sentence():
    assert sentence("paid", {"text": "Payment of $9.99 received."}) == "Payment of $9.99 received."


def test_every_kind_written_has_its_sentence():
    """Each kind shop.orders.events writes (the string after `_add(order, `) has words."""
    source = Path(events.__file__).read_text()
    written = set(re.findall(r'_add\(\s*order, "(\w+)"', source))
    assert "email" in written and "return_refunded" in written
    assert written == set(order_history.SENTENCES)
