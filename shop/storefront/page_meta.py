"""What search engines and link previews read of a page: its description, its canonical
address, and a product's schema.org data (JSON-LD) with price and availability.

Every address here is built from the store's public address (shop.links), never from the
request's Host: these are links that leave the store. Availability is the product page's
own (shop.promise.availability), so the data says what the page says.
"""

from dataclasses import dataclass, field

from flask import current_app

from shop.links import public_url
from shop.money import to_decimal
from shop.promise.availability import UNAVAILABLE, Availability
from shop.storefront.helpers import image_url
from shop.text import summary

SCHEMA = "https://schema.org/"
# A product's option names that schema.org has a property for (variesBy, and the
# property on each variant); other options are left out of the data.
OPTION_PROPERTIES = {
    "size": "size",
    "colour": "color",
    "color": "color",
    "material": "material",
    "pattern": "pattern",
}
GTIN_LENGTHS = (8, 12, 13, 14)


@dataclass(frozen=True)
class PageMeta:
    """What base.html writes into a page's head (templates/_macros/shop.html page_meta)."""

    title: str
    description: str
    url: str  # canonical, at the public address
    kind: str = "website"  # og:type
    image: str | None = None
    data: dict = field(default_factory=dict)  # schema.org JSON-LD, when the page has some


def home_meta() -> PageMeta:
    config = current_app.config
    return PageMeta(config["STORE_NAME"], config["TAGLINE"], public_url("catalogue.home"))


def category_meta(category, page: int = 1) -> PageMeta:
    values = {"page": page} if page > 1 else {}
    url = public_url("catalogue.category", slug=category.slug, **values)
    return PageMeta(category.name, description_of(category.description), url)


def product_meta(product, variants, availabilities: dict[int, Availability]) -> PageMeta:
    images = product_image_urls(product)
    return PageMeta(
        title=product.name,
        description=description_of(product.description),
        url=product_url(product),
        kind="product",
        image=images[0] if images else None,
        data=product_data(product, variants, availabilities),
    )


def description_of(text: str) -> str:
    """A page's meta description: its own text, else the store's tagline."""
    return summary(text) or current_app.config["TAGLINE"]


def product_url(product, variant=None) -> str:
    """The product page at the public address; a variant's page when one is named."""
    values = {"variant": variant.id} if variant is not None else {}
    return public_url("catalogue.product", slug=product.slug, **values)


def product_image_urls(product) -> list[str]:
    return [image_url(image, "product", build=public_url) for image in product.images]


def product_data(product, variants, availabilities: dict[int, Availability]) -> dict:
    """schema.org data of a product page: a Product with its Offer when it has one
    variant, else a ProductGroup with a Product (and Offer) per variant, as Google's
    product variant structured data asks."""
    base = {"@context": "https://schema.org", "name": product.name, "url": product_url(product)}
    if product.description:
        base["description"] = " ".join(product.description.split())
    images = product_image_urls(product)
    if images:
        base["image"] = images
    if len(variants) == 1:
        (variant,) = variants
        offer = _offer(variant, availabilities[variant.id], url=base["url"])
        return base | {"@type": "Product"} | _identifiers(variant) | {"offers": offer}
    options = _option_properties(product)
    return base | {
        "@type": "ProductGroup",
        "productGroupID": str(product.id),
        "variesBy": [SCHEMA + prop for _, prop in options],
        "hasVariant": [_variant(v, availabilities[v.id], options) for v in variants],
    }


def _variant(variant, answer: Availability, options: list[tuple[str, str]]) -> dict:
    url = product_url(variant.product, variant)
    values = {prop: getattr(variant, field) for field, prop in options if getattr(variant, field)}
    return {
        "@type": "Product",
        "name": variant.full_name,
        "url": url,
        **_identifiers(variant),
        **values,
        "offers": _offer(variant, answer, url=url),
    }


def _option_properties(product) -> list[tuple[str, str]]:
    """(variant field, schema.org property) of the product's options schema.org knows."""
    named = [("option1", product.option1_name), ("option2", product.option2_name)]
    found = [(field, OPTION_PROPERTIES.get((name or "").strip().lower())) for field, name in named]
    return [(field, prop) for field, prop in found if prop]


def _identifiers(variant) -> dict:
    found = {"sku": variant.sku}
    barcode = variant.barcode or ""
    if barcode.isdigit() and len(barcode) in GTIN_LENGTHS:
        found[f"gtin{len(barcode)}"] = barcode
    return found


def _offer(variant, answer: Availability, *, url: str) -> dict:
    currency = current_app.config["BASE_CURRENCY"]
    offer = {
        "@type": "Offer",
        "url": url,
        "price": str(to_decimal(variant.price, currency)),  # "129.00": Decimal, never a float
        "priceCurrency": currency,
        "availability": SCHEMA + _availability(answer),
        "itemCondition": SCHEMA + "NewCondition",
    }
    if answer.ships_later:
        offer["availabilityStarts"] = answer.ship_date.isoformat()
    return offer


def _availability(answer: Availability) -> str:
    """One unit of it: ships now, ships later (a backorder) or cannot be bought."""
    if answer.status == UNAVAILABLE:
        return "OutOfStock"
    return "BackOrder" if answer.ships_later else "InStock"
