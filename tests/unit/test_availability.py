"""The one function that tells customers what they can have now and when the rest ships."""

from datetime import date
from types import SimpleNamespace

import pytest

from shop.promise.availability import (
    BACKORDER,
    IN_STOCK,
    LOW_STOCK,
    PARTIAL,
    UNAVAILABLE,
    availability,
)

TODAY = date(2026, 11, 24)


def variant(on_hand=10, allocated=0, lead=None, supplier_lead=None, backorderable=True):
    supplier = SimpleNamespace(lead_time_days=supplier_lead) if supplier_lead is not None else None
    stock = SimpleNamespace(
        on_hand=on_hand, allocated=allocated, lead_time_days=lead, supplier=supplier
    )
    return SimpleNamespace(stock=stock, product=SimpleNamespace(backorderable=backorderable))


@pytest.fixture(autouse=True)
def _context(app):
    app.config.update(LOW_STOCK_THRESHOLD=5, HANDLING_DAYS=2, DEFAULT_LEAD_TIME_DAYS=14)


def test_plenty_in_stock():
    a = availability(variant(on_hand=50), 2, TODAY)
    assert (a.status, a.available_now, a.backordered, a.ship_date) == (IN_STOCK, 2, 0, None)
    assert a.message() == "In stock"


def test_low_stock_counts_what_is_free_not_what_is_on_the_shelf():
    a = availability(variant(on_hand=10, allocated=7), 1, TODAY)
    assert a.status == LOW_STOCK
    assert a.message() == "Only 3 left"


def test_out_of_stock_ships_after_supplier_lead_time_plus_handling():
    a = availability(variant(on_hand=0, supplier_lead=10), 1, TODAY)
    assert a.status == BACKORDER
    assert a.ship_date == date(2026, 12, 6)
    assert a.message() == "Out of stock - ships in about 12 days"


def test_variant_lead_time_wins_over_the_suppliers():
    a = availability(variant(on_hand=0, lead=3, supplier_lead=10), 1, TODAY)
    assert a.ship_date == date(2026, 11, 29)


def test_without_a_supplier_the_store_default_lead_time_applies():
    a = availability(variant(on_hand=0), 1, TODAY)
    assert a.ship_in_days == 16


def test_part_now_part_later():
    a = availability(variant(on_hand=3, supplier_lead=5), 5, TODAY)
    assert (a.status, a.available_now, a.backordered) == (PARTIAL, 3, 2)
    assert a.message() == "3 in stock now; 2 ship in about 7 days"
    one = availability(variant(on_hand=3, supplier_lead=5), 4, TODAY)
    assert one.message() == "3 in stock now; 1 ships in about 7 days"


def test_not_backorderable_cannot_be_ordered_beyond_stock():
    a = availability(variant(on_hand=2, backorderable=False), 3, TODAY)
    assert a.status == UNAVAILABLE and not a.can_order
    assert a.message() == "Only 2 left"
    assert (
        availability(variant(on_hand=0, backorderable=False), 1, TODAY).message() == "Out of stock"
    )


def test_no_stock_row_means_nothing_on_hand():
    v = SimpleNamespace(stock=None, product=SimpleNamespace(backorderable=True))
    a = availability(v, 1, TODAY)
    assert a.available_now == 0 and a.ship_in_days == 16


def on_order(promised: int, *arrivals: tuple[date, int]):
    from shop.promise.availability import Incoming

    return {
        7: Incoming(
            promised, tuple(SimpleNamespace(expected=d, outstanding=n) for d, n in arrivals)
        )
    }


def saved(**kwargs):
    v = variant(**kwargs)
    v.id = 7
    return v


def test_a_purchase_order_that_covers_the_backorder_sets_the_date():
    incoming = on_order(0, (date(2026, 11, 30), 5))
    a = availability(saved(on_hand=0, supplier_lead=10), 2, TODAY, incoming=incoming)
    assert a.ship_date == date(2026, 12, 2)  # the PO's day + 2 handling days
    assert a.message() == "Out of stock - ships in about 8 days"


def test_units_promised_to_earlier_orders_come_first():
    # 4 units are already promised: a PO of 5 leaves 1 for a new order of 2; the next PO covers it.
    incoming = on_order(4, (date(2026, 11, 30), 5), (date(2026, 12, 1), 3))
    a = availability(saved(on_hand=0, supplier_lead=30), 2, TODAY, incoming=incoming)
    assert a.ship_date == date(2026, 12, 3)


def test_more_than_the_open_orders_cover_waits_for_the_lead_time():
    incoming = on_order(4, (date(2026, 11, 30), 5))
    a = availability(saved(on_hand=0, supplier_lead=10), 2, TODAY, incoming=incoming)
    assert a.ship_date == date(2026, 12, 6)


def test_a_late_purchase_order_counts_from_today():
    incoming = on_order(0, (date(2026, 11, 1), 5))
    a = availability(saved(on_hand=0, supplier_lead=10), 1, TODAY, incoming=incoming)
    assert a.ship_date == date(2026, 11, 26)


def test_only_an_item_none_of_which_ships_now_is_a_pre_order(app):
    assert not availability(variant(on_hand=3), 1, TODAY).ships_later
    assert not availability(variant(on_hand=1), 2, TODAY).ships_later  # one ships now
    assert not availability(variant(on_hand=0, backorderable=False), 1, TODAY).ships_later
    assert availability(variant(on_hand=0, supplier_lead=10), 1, TODAY).ships_later


def test_a_ship_date_one_day_away_says_day(app):
    app.config["HANDLING_DAYS"] = 0
    a = availability(variant(on_hand=0, lead=1), 1, TODAY)
    assert a.message() == "Out of stock - ships in about 1 day"
