"""Facets of a search: keys, price ranges, parsing, counts and filtering (shop.search.facets)."""

from shop.search.facets import (
    BUCKET_IDS,
    ProductFacts,
    counts,
    facet,
    kept_products,
    option_key,
    parse_choices,
    price_bucket,
    variant_facts,
)


def test_option_names_become_parameters():
    assert option_key("Size") == "size"
    assert option_key("Colour") == option_key("Color") == option_key("color") == "colour"
    assert option_key("Shoe width") == "shoe-width"
    assert option_key("Price") == "option-price" and option_key("Q") == "option-q"


def test_prices_fall_into_ranges_with_the_top_open():
    assert price_bucket(0) == "0-2500" and price_bucket(2499) == "0-2500"
    assert price_bucket(2500) == "2500-5000"
    assert price_bucket(19999) == "10000-20000"
    assert price_bucket(20000) == "20000-" and price_bucket(10**9) == "20000-"
    assert BUCKET_IDS[0] == "0-2500" and BUCKET_IDS[-1] == "20000-"


def test_only_known_choices_are_kept():
    args = {
        "q": ["tent"], "size": ["M", " ", "L"], "price": ["2500-5000", "cheap"],
        "stock": ["yes"], "category": ["tents"], "unknown": ["x"], "colour": [""],
    }  # fmt: skip
    assert parse_choices(args, {"size", "colour"}) == {
        "size": frozenset({"M", "L"}),
        "price": frozenset({"2500-5000"}),
        "category": frozenset({"tents"}),
    }
    assert parse_choices({"stock": ["in"]}, set()) == {"stock": frozenset({"in"})}
    assert len(parse_choices({"size": [str(n) for n in range(500)]}, {"size"})["size"]) == 20


def _variant(price=1000, in_stock=True, **options):
    return variant_facts(price, in_stock, options)


JACKET = ProductFacts(1, frozenset({"jackets"}), (
    _variant(18900, True, size="S", colour="Red"),
    _variant(18900, False, size="M", colour="Red"),
))  # fmt: skip
SHELL = ProductFacts(2, frozenset({"jackets"}), (
    _variant(12900, True, size="M", colour="Green"),
))  # fmt: skip
SOCKS = ProductFacts(3, frozenset({"socks"}), (_variant(1900, True),))
FOUND = [JACKET, SHELL, SOCKS]


def test_no_choice_keeps_everything_in_order():
    assert kept_products(FOUND, {}) == [1, 2, 3]


def test_choices_of_one_variant_must_all_hold_on_one_variant():
    in_stock_m = {"stock": frozenset({"in"}), "size": frozenset({"M"})}
    assert kept_products(FOUND, in_stock_m) == [2]  # the jacket's M is sold out
    assert kept_products(FOUND, {"size": frozenset({"M", "S"})}) == [1, 2]  # either


def test_category_and_variant_choices_narrow_each_other():
    choices = {"category": frozenset({"jackets"}), "price": frozenset({"10000-20000"})}
    assert kept_products(FOUND, choices) == [1, 2]
    assert kept_products(FOUND, {**choices, "colour": frozenset({"Green"})}) == [2]


def test_a_facets_counts_leave_out_its_own_choice():
    choices = {"colour": frozenset({"Red"})}
    assert counts(FOUND, choices, "colour") == {"Red": 1, "Green": 1}
    assert counts(FOUND, choices, "size") == {"S": 1, "M": 1}
    assert counts(FOUND, choices, "category") == {"jackets": 1}
    assert counts(FOUND, {}, "category") == {"jackets": 2, "socks": 1}
    assert counts(FOUND, {"stock": frozenset({"in"})}, "size") == {"S": 1, "M": 1}


def test_a_product_counts_once_per_value():
    assert counts(FOUND, {}, "colour") == {"Red": 1, "Green": 1}  # two red variants, one product
    assert counts(FOUND, {}, "price") == {"10000-20000": 2, "0-2500": 1}


def test_a_facet_lists_chosen_values_even_when_none_is_left():
    made = facet("size", "Size", FOUND, {"size": frozenset({"XXL"})}, order=["S", "M"])
    assert [(v.value, v.count, v.selected) for v in made.values] == [
        ("S", 1, False), ("M", 2, False), ("XXL", 0, True),
    ]  # fmt: skip
    named = facet("category", "Category", FOUND, {}, labels={"jackets": "Jackets"})
    assert [(v.label, v.count) for v in named.values] == [("Jackets", 2), ("socks", 1)]
