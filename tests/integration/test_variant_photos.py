"""The photo follows the chosen variant: staff pick, on the variant's form, which of the
product's photos it shows; the product page then shows that one large when the variant
is chosen (and the others small), the first photo for a variant with none; a photo
removed leaves its variants on the first again; the demo's colours show their own.
"""

import io
import re

import pytest
import sqlalchemy as sa

from shop import media
from shop.accounts import roles
from shop.catalogue.errors import CatalogueError
from shop.catalogue.models import Product, ProductImage, Variant
from shop.extensions import db
from shop.inventory.variants import save_variant
from tests.conftest import log_in
from tests.factories import ProductFactory, VariantFactory
from tests.integration.backoffice_helpers import errors_beside, flashes, text_of
from tests.integration.test_backoffice_catalogue import png_bytes, variant_form

LARGE = re.compile(r'<div class="gallery">\s*<img src="/media/([^"]+)"')


@pytest.fixture
def sales(app, client, staff):
    log_in(client, staff[roles.SALES].email)
    return client


@pytest.fixture
def tent(sales, tax_class):
    """A tent in Forest green and Sand, with a photo of each (green first)."""
    product = ProductFactory(name="Ridge Tent", slug="ridge-tent", option1_name="Colour")
    for colour, sku in (("Forest green", "TENT-GRN"), ("Sand", "TENT-SND")):
        VariantFactory(product=product, sku=sku, option1=colour, price=18500, stock=5)
    for colour in ("green", "tan"):
        sales.post(
            f"/admin/products/{product.id}/images/new",
            data={"image": (io.BytesIO(png_bytes(colour)), f"{colour}.png"),
                  "alt": f"Ridge Tent in {colour}"},
            content_type="multipart/form-data",
        )  # fmt: skip
    db.session.commit()
    return product


def _variant(sku: str) -> Variant:
    return db.session.scalar(sa.select(Variant).filter_by(sku=sku))


def _images() -> list[ProductImage]:
    return db.session.scalars(sa.select(ProductImage).order_by(ProductImage.id)).all()


def large_photo(client, variant: Variant) -> str:
    """The original's name of the photo the product page shows large for `variant`."""
    page = client.get(f"/p/ridge-tent?variant={variant.id}").get_data(as_text=True)
    shown = LARGE.search(page).group(1)
    return next(
        i.filename for i in _images() if media.rendition_name(i.filename, "product") == shown
    )


def edit(client, variant: Variant, tax_class, **changes):
    data = variant_form(tax_class, sku=variant.sku, option1=variant.option1, option2="",
                        barcode="", **changes)  # fmt: skip
    data.pop("opening_stock")
    return client.post(f"/admin/variants/{variant.id}/edit", data=data, follow_redirects=True)


def test_the_sand_tent_shows_the_sand_photo_once_staff_choose_it(sales, tent, tax_class):
    green, sand = _variant("TENT-GRN"), _variant("TENT-SND")
    green_photo, sand_photo = _images()
    assert large_photo(sales, sand) == green_photo.filename  # none chosen: the first
    form = sales.get(f"/admin/variants/{sand.id}/edit").get_data(as_text=True)
    assert "Photo shown when chosen" in form and "2. Ridge Tent in tan" in form

    response = edit(sales, sand, tax_class, image_id=str(sand_photo.id))
    assert "Variant TENT-SND saved." in flashes(text_of(response))
    assert large_photo(sales, sand) == sand_photo.filename  # the page kept before is not shown
    assert large_photo(sales, green) == green_photo.filename
    page = sales.get(f"/p/ridge-tent?variant={sand.id}").get_data(as_text=True)
    assert page.count('<img src="/media/') == 2  # the green one still there, small
    form = sales.get(f"/admin/variants/{sand.id}/edit").get_data(as_text=True)
    assert re.search(
        rf'<option selected value="{sand_photo.id}">|<option value="{sand_photo.id}" selected>',
        form,
    )


def test_a_photo_of_another_product_is_refused_beside_the_field(sales, tent, tax_class):
    sand = _variant("TENT-SND")
    other = ProductFactory(name="Camp Lamp")
    db.session.add(ProductImage(product=other, filename="lamp-abc.png", alt="Lamp"))
    db.session.commit()
    lamp_photo = db.session.scalar(sa.select(ProductImage).filter_by(product_id=other.id))
    response = edit(sales, sand, tax_class, image_id=str(lamp_photo.id), price="1.00")
    assert response.status_code == 422
    assert errors_beside(text_of(response), "image_id") == ["Choose a photo from the list."]
    db.session.refresh(sand)
    assert sand.image_id is None and sand.price == 18500  # nothing saved


def test_a_removed_photo_leaves_its_variants_on_the_first(sales, tent, tax_class):
    sand = _variant("TENT-SND")
    green_photo, sand_photo = _images()
    edit(sales, sand, tax_class, image_id=str(sand_photo.id))
    response = sales.post(
        f"/admin/products/{tent.id}/images/{sand_photo.id}/delete", follow_redirects=True
    )
    assert "Image removed." in flashes(text_of(response))
    db.session.expire_all()
    assert _variant("TENT-SND").image_id is None
    assert large_photo(sales, sand) == green_photo.filename


def test_the_demo_colours_show_their_own_photos(demo_app):
    client = demo_app.test_client()
    coloured = db.session.scalars(
        sa.select(Variant).join(Product).where(Product.option1_name == "Colour")
    ).all()
    assert coloured
    for variant in coloured:
        image = db.session.get(ProductImage, variant.image_id)
        assert image.product_id == variant.product_id
        assert image.alt.endswith(f"in {variant.option1.lower()}")
    variant = coloured[-1]
    page = client.get(f"/p/{variant.product.slug}?variant={variant.id}").get_data(as_text=True)
    shown = LARGE.search(page).group(1)
    assert shown == media.rendition_name(
        db.session.get(ProductImage, variant.image_id).filename, "product"
    )


def test_the_service_refuses_a_photo_of_another_product_too(sales, tent):
    """Whatever form or import calls it: save_variant names the field and saves nothing."""
    other = ProductFactory(name="Camp Lamp")
    db.session.add(ProductImage(product=other, filename="lamp-def.png", alt="Lamp"))
    db.session.commit()
    lamp_photo = db.session.scalar(sa.select(ProductImage).filter_by(product_id=other.id))
    sand = _variant("TENT-SND")
    with pytest.raises(CatalogueError) as refused:
        save_variant(product=tent, variant=sand, data={"image_id": lamp_photo.id})
    assert (refused.value.message, refused.value.field) == (
        "Choose one of this product's photos.",
        "image_id",
    )
    db.session.rollback()
    assert _variant("TENT-SND").image_id is None
