"""Packing units into boxes, and the weight a carrier bills."""

from hypothesis import given
from hypothesis import strategies as st

from shop.shipping.packing import BoxSpec, Parcel, Unit, pack
from shop.shipping.rates import band_price

SMALL = BoxSpec(1, "Small", 250, 180, 100, weight_g=150, max_weight_g=10000)
MEDIUM = BoxSpec(2, "Medium", 350, 250, 150, weight_g=250, max_weight_g=20000)
LARGE = BoxSpec(3, "Large", 450, 350, 250, weight_g=450, max_weight_g=30000)
BOXES = [LARGE, SMALL, MEDIUM]  # any order


def unit(l=100, w=100, h=50, g=300, vid=1):  # noqa: E741
    return Unit(vid, l, w, h, g)


def test_a_small_item_goes_in_the_smallest_box():
    [parcel] = pack([unit()], BOXES)
    assert parcel.box.name == "Small"
    assert parcel.weight_g == 450  # item 300 g + box 150 g


def test_many_items_move_up_to_a_bigger_box():
    [parcel] = pack([unit()] * 8, BOXES)  # 4,000 cm3: more than 85 % of Small (4,500 cm3)
    assert parcel.box.name == "Medium"


def test_an_item_longer_than_a_box_needs_a_box_it_fits():
    [parcel] = pack([unit(l=400, w=50, h=50)], BOXES)
    assert parcel.box.name == "Large"


def test_too_much_for_one_box_is_split_into_parcels():
    parcels = pack([unit(l=400, w=300, h=200, g=5000)] * 3, BOXES)
    assert len(parcels) == 3
    assert all(p.box.name == "Large" for p in parcels)


def test_an_item_that_fits_no_box_ships_in_its_own_packaging():
    [parcel] = pack([unit(l=1200, w=300, h=300, g=8000)], BOXES)
    assert parcel.box is None
    assert parcel.dims_mm == (1200, 300, 300)


def test_box_weight_limit_is_respected():
    parcels = pack([unit(g=6000)] * 3, [SMALL])  # Small carries 10 kg including itself
    assert [len(p.units) for p in parcels] == [1, 1, 1]


def test_nothing_to_ship_means_no_parcels():
    assert pack([], BOXES) == []


def test_billable_weight_is_the_larger_of_actual_and_dimensional():
    light_but_big = Parcel(LARGE, [unit(g=500)])
    # 450 x 350 x 250 mm = 39,375 cm3 / 6000 = 6.5625 kg -> 6563 g
    assert light_but_big.billable_weight_g(6000) == 6563
    heavy_and_small = Parcel(SMALL, [unit(g=9000)])
    assert heavy_and_small.billable_weight_g(6000) == 9150


def test_rate_band_lookup():
    bands = [(500, 1049), (1000, 1209), (2000, 1419)]
    assert band_price(bands, 1) == 1049
    assert band_price(bands, 500) == 1049
    assert band_price(bands, 501) == 1209
    assert band_price(bands, 2000) == 1419
    assert band_price(bands, 2001) is None  # too heavy for this service


units = st.builds(
    Unit,
    st.integers(1, 5),
    st.integers(10, 600),
    st.integers(10, 400),
    st.integers(10, 400),
    st.integers(1, 12000),
)


@given(st.lists(units, max_size=15))
def test_every_unit_is_packed_exactly_once_and_boxes_hold_their_contents(items):
    parcels = pack(items, BOXES)
    packed = [u for p in parcels for u in p.units]
    assert sorted(packed, key=repr) == sorted(items, key=repr)
    for parcel in parcels:
        if parcel.box is not None:
            assert parcel.box.holds(parcel.units)
        else:
            assert len(parcel.units) == 1
