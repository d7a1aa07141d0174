"""Moving average cost, the arithmetic: shares of the value rounded half-up, the last
unit out takes what is left, units arriving at what was paid or at the average."""

from shop.inventory.valuation import average_cost, value_in, value_out


def test_units_out_take_their_share_rounded_half_up():
    assert value_out(1000, 4, 1) == 250
    assert value_out(5, 2, 1) == 3  # 2.5 -> 3
    assert value_out(3002, 3, 1) == 1001  # 1000.67
    assert value_out(3002, 3, 2) == 2001  # 2001.33


def test_the_last_units_out_take_what_is_left():
    left, on_hand = 3002, 3
    for _ in range(3):
        taken = value_out(left, on_hand, 1)
        left, on_hand = left - taken, on_hand - 1
    assert (left, on_hand) == (0, 0)
    assert value_out(7, 1, 1) == 7 and value_out(0, 5, 5) == 0


def test_units_in_at_what_was_paid_else_at_the_average_else_at_the_catalogue_cost():
    assert value_in(1000, 4, 3, 1333, fallback=999) == 3999  # a receipt at its PO cost
    assert value_in(1001, 4, 2, None, fallback=999) == 501  # found: at the average, 500.5
    assert value_in(0, 0, 2, None, fallback=999) == 1998  # nothing on hand: catalogue cost


def test_the_average_is_shown_rounded_and_none_without_stock():
    assert average_cost(3002, 3) == 1001
    assert average_cost(1001, 2) == 501
    assert average_cost(0, 0) is None
