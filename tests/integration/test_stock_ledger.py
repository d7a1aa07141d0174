"""on_hand always equals the sum of the stock movements, whatever staff do."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shop.extensions import db
from shop.inventory import reasons
from shop.inventory.errors import StockError
from shop.inventory.services import (
    adjust_stock,
    count_stock,
    movement_total,
    record_movement,
    stock_for,
)
from tests.factories import VariantFactory

operations = st.lists(
    st.one_of(
        st.tuples(st.just("adjust"), st.integers(-30, 30)),
        st.tuples(st.just("count"), st.integers(0, 60)),
    ),
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(opening=st.integers(0, 40), ops=operations)
def test_on_hand_equals_the_sum_of_movements(app, tax_class, opening, ops):
    variant = VariantFactory(stock=opening)
    expected = opening
    for kind, number in ops:
        try:
            if kind == "adjust":
                adjust_stock(variant_id=variant.id, quantity=number, reason=reasons.ADJUSTMENT)
                expected += number
            else:
                count_stock(variant_id=variant.id, counted=number)
                expected = number
            db.session.commit()
        except StockError:
            db.session.rollback()
        stock = stock_for(variant.id)
        assert stock.on_hand == expected >= 0
        assert stock.on_hand == movement_total(variant.id)


def test_removing_more_than_is_free_is_refused(app, tax_class):
    variant = VariantFactory(stock=3)
    stock_for(variant.id).allocated = 2
    db.session.commit()
    with pytest.raises(StockError, match="3 on hand, 2 allocated to orders; cannot remove 2"):
        record_movement(variant_id=variant.id, quantity=-2, reason=reasons.ADJUSTMENT)
    db.session.rollback()
    assert stock_for(variant.id).on_hand == 3 == movement_total(variant.id)


@pytest.mark.parametrize("quantity", [0, 1_000_001, -1_000_001])
def test_silly_movements_are_refused(app, tax_class, quantity):
    variant = VariantFactory(stock=3)
    with pytest.raises(StockError):
        record_movement(variant_id=variant.id, quantity=quantity, reason=reasons.ADJUSTMENT)
    db.session.rollback()
    assert movement_total(variant.id) == 3
