"""Searching the catalogue: the one function the storefront calls.

A search takes, in order: products whose SKU or barcode is exactly what was typed; then
products holding every word in some form, by relevance (shop.search.matching); when the
words find nothing, products holding the typed text as a substring of a code or word.
When that finds little, each word the index does not know is corrected to the nearest
word it does ("Did you mean ...?"), and when nothing was found the corrected words are
searched instead. The facets and their counts are worked out over every product found,
from one query of their active variants with their stock (shop.search.facets).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from shop.catalogue.models import Product, Variant
from shop.catalogue.queries import SORTS as LISTING_SORTS
from shop.catalogue.queries import card_columns, category_tree
from shop.db import Page
from shop.extensions import db
from shop.formatting import money
from shop.inventory.models import StockLevel
from shop.promise.availability import availability_for
from shop.promise.listings import free_stock
from shop.search import facets, matching
from shop.search.words import (
    SearchText,
    allowed_edits,
    closest_word,
    normalise,
    vocabulary_of,
)

RELEVANCE = "relevance"
SORTS = {RELEVANCE: "Relevance", **LISTING_SORTS}
FEW_RESULTS = 3  # below this many products a correction is offered
_FACET_ORDER = ("size", "colour")  # these option facets first, the others by name


@dataclass(frozen=True)
class SearchResult:
    query: SearchText
    page: Page
    facets: list[facets.Facet]
    choices: facets.Choices
    suggestion: str | None  # "Did you mean ...?": the query with its typos corrected
    showing_suggestion: bool  # the products are the suggestion's: the query found none

    @property
    def choice_params(self) -> dict[str, list[str]]:
        """The choices as query parameters, for links to other pages of the same search."""
        return {key: sorted(values) for key, values in self.choices.items()}


@dataclass
class _Names:
    """The words the facets show: category names by slug, each option facet's name and its
    values in the order first met (variants by position)."""

    categories: dict[str, str] = field(default_factory=dict)
    category_order: list[str] = field(default_factory=list)  # the tree's, parents first
    options: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, None]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Found:
    """What sorting needs of a product found."""

    name: str
    created_at: datetime
    price_min: int


def search_catalogue(
    typed: str, *, args: Mapping[str, list[str]] | None = None, sort: str = RELEVANCE,
    page: int = 1, per_page: int = 24,
) -> SearchResult:  # fmt: skip
    """Search the sellable catalogue for `typed`; `args` are the query parameters (name ->
    values) holding facet choices; `page` counts from 1."""
    query = normalise(typed)
    exact = matching.code_hits(query.raw)
    ids, literal = _matches(query, exact)
    suggestion, showing = None, False
    # a SKU or barcode typed is no typo, nor is text found as it was typed ("lamp")
    if len(ids) < FEW_RESULTS and not exact and not literal:
        corrected = _corrected(query.words)
        its_ids = matching.word_hits(corrected) if corrected != query.words else []
        if its_ids:  # a correction is offered only when it finds something
            suggestion = " ".join(corrected)
            if not ids:
                ids, showing = its_ids, True
    products, found, named = _facts(ids)
    option_keys = set(named.options)
    choices = facets.parse_choices(args or {}, option_keys)
    kept = _sorted(facets.kept_products(products, choices), found, sort)
    total = len(kept)
    start = (page - 1) * per_page
    return SearchResult(
        query=query,
        page=Page(_load(kept[start : start + per_page]), page, per_page, total),
        facets=_facets(products, choices, named),
        choices=choices,
        suggestion=suggestion,
        showing_suggestion=showing,
    )


def _matches(query: SearchText, exact: list[int]) -> tuple[list[int], bool]:
    """Exact codes first, then the words by relevance, else substrings; each product once;
    and whether they are substrings (the text typed is inside their words, as typed)."""
    ids = exact + matching.word_hits(query.words)
    if ids:
        return list(dict.fromkeys(ids)), False
    ids = matching.substring_hits(query.raw)
    return ids, bool(ids)


def _corrected(words: tuple[str, ...]) -> tuple[str, ...]:
    """The words, each one the index does not know replaced by its nearest known word."""
    correctable = tuple(w for w in words if allowed_edits(w))
    known = matching.known_words(correctable) if correctable else set()
    return tuple(
        closest_word(word, vocabulary_of(matching.words_near(word))) or word
        if word in correctable and word not in known
        else word
        for word in words
    )


def _facts(ids: list[int]):
    """The found products' facet facts (in the order found, sellable ones only), what
    sorting needs of each, and the names of the categories and option facets."""
    if not ids:
        return [], {}, _Names()
    rows = db.session.execute(
        sa.select(
            Variant.product_id,
            Variant.price,
            Variant.option1,
            Variant.option2,
            Product.option1_name,
            Product.option2_name,
            Product.backorderable,
            Product.name,
            Product.created_at,
            Product.category_id,
            free_stock().label("free"),
        )  # fmt: skip
        .join(Product, Product.id == Variant.product_id)
        .outerjoin(StockLevel, StockLevel.variant_id == Variant.id)
        .where(Variant.product_id.in_(ids), Variant.is_active.is_(True), Product.is_active)
        .order_by(Variant.position, Variant.id)
    ).all()
    variants: dict[int, list[facets.VariantFacts]] = {}
    found: dict[int, _Found] = {}
    category_of: dict[int, int] = {}
    named = _Names()
    within, named.categories, named.category_order = _category_tree()
    in_stock = _in_stock_rule()
    # Plain tuples: a page may read thousands of rows, and a Row's attributes cost more.
    for pid, price, value1, value2, name1, name2, backorderable, name, created_at, \
            category_id, free in rows:  # fmt: skip
        options = {}
        for option, value in ((name1, value1), (name2, value2)):
            if option and value:
                key = facets.option_key(option)
                options[key] = value
                named.options.setdefault(key, option)
                named.values.setdefault(key, {})[value] = None
        variants.setdefault(pid, []).append(
            facets.variant_facts(price, in_stock(free, backorderable), options)
        )
        if pid not in found:
            category_of[pid] = category_id
            found[pid] = _Found(name, created_at, price)
        elif price < found[pid].price_min:
            found[pid] = _Found(name, created_at, price)
    products = [
        facets.ProductFacts(pid, within.get(category_of[pid], frozenset()), tuple(variants[pid]))
        for pid in ids
        if pid in variants
    ]
    return products, found, named


def _category_tree() -> tuple[dict[int, frozenset[str]], dict[str, str], list[str]]:
    """Every category's slug with those of the categories above it (by id), the names by
    slug, and the slugs in the tree's order: each parent before its children."""
    within: dict[int, frozenset[str]] = {}
    names: dict[str, str] = {}
    path: list[str] = []  # the slugs from the top down to the category met last
    for category, depth in category_tree():
        path[depth:] = [category.slug]
        within[category.id] = frozenset(path)
        names[category.slug] = category.name
    return within, names, list(names)


def _in_stock_rule():
    """ "In stock now" for one unit, as the store's availability rule answers it; the
    answer depends only on whether a unit is free and on backorderable, so it is asked
    once for each of those (not once per variant)."""
    answers: dict[tuple[bool, bool], bool] = {}

    def in_stock(free: int, backorderable: bool) -> bool:
        key = (free > 0, backorderable)
        if key not in answers:
            answer = availability_for(free=1 if free > 0 else 0, lead_days=0,
                                      backorderable=backorderable)  # fmt: skip
            answers[key] = answer.available_now > 0
        return answers[key]

    return in_stock


def _sorted(ids: list[int], found: dict[int, _Found], sort: str) -> list[int]:
    if sort == "name":
        return sorted(ids, key=lambda i: (found[i].name.casefold(), i))
    if sort in ("price_asc", "price_desc"):
        sign = 1 if sort == "price_asc" else -1
        return sorted(ids, key=lambda i: (sign * found[i].price_min, i))
    if sort == "newest":
        return sorted(ids, key=lambda i: (found[i].created_at, i), reverse=True)
    return ids  # relevance: the order found


def _load(ids: list[int]) -> list[Product]:
    if not ids:
        return []
    loaded = {
        p.id: p
        for p in db.session.scalars(
            sa.select(Product).where(Product.id.in_(ids)).options(*card_columns())
        )
    }
    return [loaded[i] for i in ids if i in loaded]


def _facets(products, choices, named: _Names) -> list[facets.Facet]:
    if not products:
        return []
    keys = sorted(named.options, key=lambda k: (_FACET_ORDER.index(k) if k in _FACET_ORDER
                                                else len(_FACET_ORDER), k))  # fmt: skip
    found = [facets.facet(facets.CATEGORY, "Category", products, choices, named.categories,
                          named.category_order)]  # fmt: skip
    for key in keys:
        label = "Colour" if key == "colour" else named.options[key]
        found.append(facets.facet(key, label, products, choices, order=named.values[key]))
    found.append(
        facets.facet(facets.PRICE, "Price", products, choices, _price_labels(), facets.BUCKET_IDS)
    )
    in_stock = {facets.IN_STOCK: "In stock now"}
    found.append(facets.facet(facets.STOCK, "Availability", products, choices, in_stock))
    return [f for f in found if f.values]


def _price_labels() -> dict[str, str]:
    labels = {}
    for low, high in facets.PRICE_BUCKETS:
        if low == 0:
            text = f"Under {money(high)}"
        elif high is None:
            text = f"{money(low)} and up"
        else:
            text = f"{money(low)} to {money(high)}"
        labels[facets.bucket_id(low, high)] = text
    return labels
