"""The shop window: home, categories, search, product pages."""

from flask import Blueprint, abort, current_app, render_template, request

from shop.catalogue import queries
from shop.promise import listings
from shop.promise.availability import availabilities
from shop.search.services import RELEVANCE, search_catalogue
from shop.search.services import SORTS as SEARCH_SORTS
from shop.storefront import page_meta
from shop.storefront.forms import AddToCartForm
from shop.views import found_page, page_number

bp = Blueprint("catalogue", __name__)


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


@bp.get("/c/<slug>")
def category(slug: str):
    found = queries.category_by_slug(slug)
    if found is None:
        abort(404)
    page, sort = _page_and_sort()
    pagination = found_page(queries.products_in_category(found, sort=sort, page=page))
    return render_template(
        "shop/category.html",
        category=found,
        pagination=pagination,
        cards=listings.cards_for(pagination.items),
        sort=sort,
        sorts=queries.SORTS,
        meta=page_meta.category_meta(found, pagination.page),
    )


@bp.get("/search")
def search():
    typed = request.args.get("q", "")
    page = page_number()
    sort = request.args.get("sort", RELEVANCE)
    sort = sort if sort in SEARCH_SORTS else RELEVANCE
    result = None
    if typed.strip():
        result = search_catalogue(
            typed, args=request.args.to_dict(flat=False), sort=sort, page=page,
            per_page=current_app.config["PRODUCTS_PER_PAGE"],
        )  # fmt: skip
        found_page(result.page)
    return render_template(
        "shop/search.html",
        q=result.query.raw if result else "",
        result=result,
        pagination=result.page if result else None,
        cards=listings.cards_for(result.page.items) if result else [],
        sort=sort,
        sorts=SEARCH_SORTS,
    )


@bp.get("/p/<slug>")
def product(slug: str):
    found = listings.product_by_slug(slug)
    if found is None:
        abort(404)
    variants = found.active_variants
    # One answer per variant, with the goods on order of all of them read at once.
    found_now = availabilities([(v, 1) for v in variants])
    answers = {v.id: answer for v, answer in zip(variants, found_now, strict=True)}
    chosen_id = request.args.get("variant", type=int)
    chosen = next((v for v in variants if v.id == chosen_id), None) or _first_in_stock(
        variants, answers
    )
    form = AddToCartForm(variant_id=str(chosen.id))
    return render_template(
        "shop/product.html",
        product=found,
        variants=variants,
        chosen=chosen,
        availabilities=answers,
        form=form,
        meta=page_meta.product_meta(found, variants, answers),
    )


def _first_in_stock(variants, answers):
    return next((v for v in variants if answers[v.id].available_now), variants[0])
