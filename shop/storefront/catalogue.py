"""The shop window: home, categories, search, product pages.

What a category or product page shows of the catalogue is the same for everybody: it is
rendered once per version of the catalogue and stock (shop/page_cache.py) and put into
each visitor's own layout (their name, cart and CSRF token) at every request.
"""

import hashlib

from flask import Blueprint, abort, current_app, get_template_attribute, render_template, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from shop import page_cache
from shop.catalogue import queries
from shop.promise import listings
from shop.promise.availability import availabilities
from shop.search.services import RELEVANCE, search_catalogue
from shop.search.services import SORTS as SEARCH_SORTS
from shop.storefront import page_meta
from shop.storefront.forms import AddToCartForm
from shop.views import found_page, page_number

bp = Blueprint("catalogue", __name__)
# The hidden field Flask-WTF's form.csrf_token renders, with this visitor's token.
CSRF_FIELD = '<input id="csrf_token" name="csrf_token" type="hidden" value="{}">'


def _page_and_sort() -> tuple[int, str]:
    sort = request.args.get("sort", "name")
    return page_number(), sort if sort in queries.SORTS else "name"


@bp.get("/")
def home():
    return render_template(
        "shop/home.html",
        categories=queries.top_categories(),
        cards=listings.cards_for(queries.featured_products()),
        meta=page_meta.home_meta(),
    )


def _cached_page(part: dict | None, **personal):
    if part is None:
        abort(404)
    return render_template("shop/cached_page.html", part=part, **personal)


def _head(meta) -> str:
    """The page's meta tags and structured data (templates/_macros/shop.html)."""
    return str(get_template_attribute("_macros/shop.html", "page_meta")(meta))


@bp.get("/c/<slug>")
def category(slug: str):
    page, sort = _page_and_sort()
    key = ("category", slug, page, sort)
    return _cached_page(page_cache.shared_part(key, lambda: _category_part(slug, page, sort)))


def _category_part(slug: str, page: int, sort: str) -> dict | None:
    found = queries.category_by_slug(slug)
    if found is None:
        return None
    pagination = found_page(queries.products_in_category(found, sort=sort, page=page))
    content = render_template(
        "shop/_category.html",
        category=found,
        pagination=pagination,
        cards=listings.cards_for(pagination.items),
        sort=sort,
        sorts=queries.SORTS,
    )
    meta = page_meta.category_meta(found, pagination.page)
    return {"title": found.name, "head": _head(meta), "content": content}


@bp.get("/search")
def search():
    typed = request.args.get("q", "")
    page = page_number()
    sort = request.args.get("sort", RELEVANCE)
    sort = sort if sort in SEARCH_SORTS else RELEVANCE
    args = request.args.to_dict(flat=False)
    # The same words and filters give everybody the same results: kept like a category.
    asked = hashlib.sha256(repr(sorted(args.items())).encode()).hexdigest()
    key = ("search", asked, page, sort)
    return _cached_page(page_cache.shared_part(key, lambda: _search_part(typed, args, page, sort)))


def _search_part(typed: str, args: dict, page: int, sort: str) -> dict:
    result = None
    if typed.strip():
        result = search_catalogue(
            typed, args=args, sort=sort, page=page,
            per_page=current_app.config["PRODUCTS_PER_PAGE"],
        )  # fmt: skip
        found_page(result.page)
    q = result.query.raw if result else ""
    content = render_template(
        "shop/_search.html",
        q=q,
        result=result,
        pagination=result.page if result else None,
        cards=listings.cards_for(result.page.items) if result else [],
        sort=sort,
        sorts=SEARCH_SORTS,
    )
    return {"title": f"Search: {q}" if q else "Search", "head": "", "content": content}


@bp.get("/p/<slug>")
def product(slug: str):
    chosen_id = request.args.get("variant", type=int)
    key = ("product", slug, chosen_id)
    part = page_cache.shared_part(key, lambda: _product_part(slug, chosen_id))
    if part is not None:
        # The add-to-cart form's CSRF field is this visitor's own, never the cached one.
        field = Markup(CSRF_FIELD).format(generate_csrf())
        part = part | {"content": page_cache.fill_personal(part["content"], field)}
    return _cached_page(part)


def _product_part(slug: str, chosen_id: int | None) -> dict | None:
    found = listings.product_by_slug(slug)
    if found is None:
        return None
    variants = found.active_variants
    # One answer per variant, with the goods on order of all of them read at once.
    found_now = availabilities([(v, 1) for v in variants])
    answers = {v.id: answer for v, answer in zip(variants, found_now, strict=True)}
    chosen = next((v for v in variants if v.id == chosen_id), None) or _first_in_stock(
        variants, answers
    )
    content = render_template(
        "shop/_product.html",
        product=found,
        variants=variants,
        chosen=chosen,
        availabilities=answers,
        form=AddToCartForm(variant_id=str(chosen.id), meta={"csrf": False}),
        csrf_slot=Markup(page_cache.PERSONAL_SLOT),
    )
    meta = page_meta.product_meta(found, variants, answers)
    return {"title": found.name, "head": _head(meta), "content": content}


def _first_in_stock(variants, answers):
    return next((v for v in variants if answers[v.id].available_now), variants[0])
