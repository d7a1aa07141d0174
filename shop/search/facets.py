"""Facets of a search: what the found products offer (category, option values such as
size and colour, price range, in stock now), how many products each choice leaves, and
the products a set of choices keeps. Plain data in, plain data out.

Choices within a facet are alternatives (Red or Blue); facets narrow each other (Red and
M and in stock). Option values, price and stock belong to a variant, so a product is kept
when one of its variants meets all of them at once (a red M in stock, not a red S and a
blue M). The counts of a facet apply every other facet's choices, not its own: they say
what choosing that value would give.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from shop.text import slugify

CATEGORY = "category"
PRICE = "price"
STOCK = "stock"
IN_STOCK = "in"
RESERVED = frozenset({"q", "sort", "page", CATEGORY, PRICE, STOCK})
MAX_CHOICES = 20  # per facet: more is no real filter, only work
MAX_VALUE_CHARS = 60

# Price ranges in minor units: from (inclusive) to (exclusive; None: no top).
PRICE_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (0, 2500), (2500, 5000), (5000, 10000), (10000, 20000), (20000, None),
)  # fmt: skip
_SAME_OPTION = {"color": "colour"}


@lru_cache(maxsize=1024)
def option_key(name: str) -> str:
    """The query parameter of an option: "Size" -> "size", "Color" and "Colour" -> "colour";
    a name that is taken by another parameter ("Price") becomes "option-price"."""
    key = slugify(name)
    key = _SAME_OPTION.get(key, key)
    return f"option-{key}" if key in RESERVED else key


def bucket_id(low: int, high: int | None) -> str:
    return f"{low}-{'' if high is None else high}"


def price_bucket(price: int) -> str:
    """The range a price in minor units falls into ("2500-5000")."""
    for low, high in PRICE_BUCKETS:
        if price >= low and (high is None or price < high):
            return bucket_id(low, high)
    return bucket_id(*PRICE_BUCKETS[0])  # a negative price, which the database refuses


BUCKET_IDS = tuple(bucket_id(low, high) for low, high in PRICE_BUCKETS)


@dataclass(frozen=True)
class VariantFacts:
    """A variant's value for each variant facet: its price range, "in" when in stock now,
    its option values by option key."""

    values: Mapping[str, str]

    def value(self, key: str) -> str | None:
        return self.values.get(key)


def variant_facts(price: int, in_stock: bool, options: Mapping[str, str]) -> VariantFacts:
    values = {**options, PRICE: price_bucket(price)}
    if in_stock:
        values[STOCK] = IN_STOCK
    return VariantFacts(values)


@dataclass(frozen=True)
class ProductFacts:
    product_id: int
    categories: frozenset[str]  # the slugs of its category and of every category above it
    variants: tuple[VariantFacts, ...]


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    key: str
    label: str
    values: list[FacetValue] = field(default_factory=list)


Choices = dict[str, frozenset[str]]


def parse_choices(args: Mapping[str, list[str]], option_keys: Iterable[str]) -> Choices:
    """The facet choices among query parameters (each name with its list of values).
    Unknown names, unknown price ranges and empty values are left out, not refused: a
    stale or hand-made link still gives a page."""
    known = {CATEGORY, PRICE, STOCK, *option_keys}
    choices: Choices = {}
    for key, values in args.items():
        if key not in known:
            continue
        kept = {v.strip()[:MAX_VALUE_CHARS] for v in values[:MAX_CHOICES] if v.strip()}
        if key == PRICE:
            kept &= set(BUCKET_IDS)
        elif key == STOCK:
            kept &= {IN_STOCK}
        if kept:
            choices[key] = frozenset(kept)
    return choices


def _variant_ok(variant: VariantFacts, choices: Choices, skip: str | None) -> bool:
    values = variant.values
    return all(
        values.get(key) in wanted for key, wanted in choices.items() if key not in (CATEGORY, skip)
    )


def _category_ok(product: ProductFacts, choices: Choices, skip: str | None) -> bool:
    """A product is in a category when it is in the category or in one below it."""
    if skip == CATEGORY or CATEGORY not in choices:
        return True
    return not product.categories.isdisjoint(choices[CATEGORY])


def kept_products(products: Iterable[ProductFacts], choices: Choices) -> list[int]:
    """The ids of the products the choices keep, in the order given."""
    return [
        p.product_id
        for p in products
        if _category_ok(p, choices, None) and any(_variant_ok(v, choices, None) for v in p.variants)
    ]


def counts(products: list[ProductFacts], choices: Choices, key: str) -> dict[str, int]:
    """For each value of facet `key`, how many products it would leave with every other
    facet's choices applied."""
    found: dict[str, int] = {}
    for product in products:
        if not _category_ok(product, choices, key):
            continue
        if key == CATEGORY:
            values = product.categories if any(
                _variant_ok(v, choices, None) for v in product.variants
            ) else set()  # fmt: skip
        else:
            values = {v.value(key) for v in product.variants if _variant_ok(v, choices, key)}
        for value in values - {None}:
            found[value] = found.get(value, 0) + 1
    return found


def facet(
    key: str, label: str, products: list[ProductFacts], choices: Choices,
    labels: Mapping[str, str] | None = None, order: Iterable[str] = (),
) -> Facet:  # fmt: skip
    """One facet with its values (those any product has, and those chosen), in `order`
    first, then as first met; `labels` names values (a category's slug -> its name)."""
    found = counts(products, choices, key)
    chosen = choices.get(key, frozenset())
    values = list(dict.fromkeys([*[v for v in order if v in found or v in chosen],
                                 *sorted(found), *sorted(chosen)]))  # fmt: skip
    labels = labels or {}
    return Facet(
        key,
        label,
        [FacetValue(v, labels.get(v, v), found.get(v, 0), v in chosen) for v in values],
    )
