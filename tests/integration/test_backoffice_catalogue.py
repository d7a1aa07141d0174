"""Staff keep the catalogue: categories, products, variants and their images."""

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from shop import media
from shop.accounts import roles
from shop.catalogue.models import Category, Product, ProductImage, Variant
from shop.extensions import db
from shop.inventory import reasons
from shop.inventory.models import StockLevel, StockMovement
from tests.conftest import log_in
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    SupplierFactory,
    TaxClassFactory,
    VariantFactory,
)
from tests.integration.backoffice_helpers import errors_beside, flashes, text_of


@pytest.fixture
def sales(app, client, staff):
    log_in(client, staff[roles.SALES].email)
    return staff[roles.SALES]


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def variant_form(tax_class, **overrides) -> dict:
    data = {
        "sku": "TENT-2P-GRN",
        "option1": "2 person",
        "option2": "Green",
        "price": "24.99",
        "cost": "10.50",
        "weight_g": "2300",
        "length_mm": "500",
        "width_mm": "180",
        "height_mm": "180",
        "tax_class_id": str(tax_class.id),
        "barcode": "0123456789012",
        "is_active": "y",
        "reorder_point": "4",
        "reorder_quantity": "12",
        "supplier_id": "",
        "lead_time_days": "",
        "bin_location": "A-03",
        "opening_stock": "7",
    }
    data.update(overrides)
    return data


def png_bytes(colour="red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, format="PNG")
    return buffer.getvalue()


# --- categories ------------------------------------------------------------------


def test_sales_creates_categories_and_sees_them_as_a_tree(client, sales):
    response = client.post(
        "/admin/categories/new",
        data={"name": "Outdoor", "parent_id": "", "description": "", "position": "0"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Category \u201cOutdoor\u201d saved." in flashes(text_of(response))
    outdoor = db.session.scalar(sa.select(Category).where(Category.name == "Outdoor"))
    assert outdoor.parent_id is None and outdoor.slug == "outdoor"

    response = client.post(
        "/admin/categories/new",
        data={"name": "Tents", "parent_id": str(outdoor.id), "position": "1"},
        follow_redirects=True,
    )
    page = text_of(response)
    tents = db.session.scalar(sa.select(Category).where(Category.name == "Tents"))
    assert tents.parent_id == outdoor.id
    # The child is listed under its parent, indented.
    table = page[page.index("<tbody>") :]
    assert table.index("Outdoor") < table.index("Tents")
    assert '<td class="tree-1">\u21b3 Tents</td>' in table


def test_a_category_cannot_be_moved_inside_itself(client, sales):
    outdoor = CategoryFactory(name="Outdoor")
    tents = CategoryFactory(name="Tents", parent=outdoor)
    response = client.post(
        f"/admin/categories/{outdoor.id}",
        data={"name": "Outdoor gear", "parent_id": str(tents.id), "position": "0"},
    )
    assert response.status_code == 422
    assert errors_beside(text_of(response), "parent_id") == ["A category cannot sit inside itself."]
    db.session.refresh(outdoor)
    assert (outdoor.name, outdoor.parent_id) == ("Outdoor", None)


def test_an_over_long_category_name_is_refused(client, sales):
    response = client.post("/admin/categories/new", data={"name": "x" * 81, "position": "0"})
    assert response.status_code == 422
    assert errors_beside(text_of(response), "name") == ["Use at most 80 characters."]
    assert count(Category) == 0


def test_editing_an_unknown_category_is_not_found(client, sales):
    assert client.get("/admin/categories/4242").status_code == 404
    assert client.post("/admin/categories/4242", data={"name": "X"}).status_code == 404


# --- products --------------------------------------------------------------------


def test_sales_creates_and_edits_a_product(client, sales):
    tents = CategoryFactory(name="Tents")
    response = client.post(
        "/admin/products/new",
        data={
            "name": "Ridge Tent",
            "description": "Sleeps two.",
            "category_id": str(tents.id),
            "option1_name": "Size",
            "option2_name": "Colour",
            "is_active": "y",
            "backorderable": "y",
        },
        follow_redirects=True,
    )
    page = text_of(response)
    assert "Product \u201cRidge Tent\u201d saved." in flashes(page)
    assert "<h1>Ridge Tent</h1>" in page
    assert "No variants yet" in page
    product = db.session.scalar(sa.select(Product).where(Product.name == "Ridge Tent"))
    assert (product.category_id, product.option1_name, product.is_active) == (
        tents.id,
        "Size",
        True,
    )

    response = client.post(
        f"/admin/products/{product.id}/edit",
        data={
            "name": "Ridge Tent 2P",
            "category_id": str(tents.id),
            "description": "Sleeps two.",
            "option1_name": "",
            "option2_name": "",
        },
        follow_redirects=True,
    )
    page = text_of(response)
    assert "<h1>Ridge Tent 2P</h1>" in page
    assert "Hidden from the shop" in page
    db.session.refresh(product)
    assert (product.name, product.is_active, product.backorderable) == (
        "Ridge Tent 2P",
        False,
        False,
    )
    assert product.option1_name is None


def test_text_with_a_nul_character_is_refused(client, sales):
    tents = CategoryFactory(name="Tents")
    response = client.post(
        "/admin/products/new", data={"name": "Tent\x00", "category_id": str(tents.id)}
    )
    assert response.status_code == 422
    assert errors_beside(text_of(response), "name") == [
        "Remove the control characters from this text."
    ]
    assert count(Product) == 0


def test_a_product_needs_a_category_from_the_list(client, sales):
    response = client.post("/admin/products/new", data={"name": "Lost", "category_id": "999"})
    assert response.status_code == 422
    assert errors_beside(text_of(response), "category_id") == ["Choose a category from the list."]
    assert count(Product) == 0


def test_an_over_long_product_name_is_refused_and_nothing_changes(client, sales):
    product = ProductFactory(name="Stove")
    response = client.post(
        f"/admin/products/{product.id}/edit",
        data={"name": "S" * 121, "category_id": str(product.category_id)},
    )
    assert response.status_code == 422
    assert errors_beside(text_of(response), "name") == ["Use at most 120 characters."]
    db.session.refresh(product)
    assert product.name == "Stove"


def test_the_product_list_searches_and_pages(client, sales, tax_class, app):
    VariantFactory(product=ProductFactory(name="Ridge Tent"), sku="TENT-1")
    VariantFactory(product=ProductFactory(name="Camp Stove"), sku="STOVE-1")
    VariantFactory(product=ProductFactory(name="Hidden Tent", is_active=False), sku="TENT-9")

    page = text_of(client.get("/admin/products?q=tent"))
    assert "2 products matching \u201ctent\u201d" in page
    assert "Ridge Tent" in page and "Hidden Tent" in page
    assert "Camp Stove" not in page

    page = text_of(client.get("/admin/products?q=stove-1"))
    assert "Camp Stove" in page and "Ridge Tent" not in page

    for n in range(50):
        ProductFactory(name=f"Zz Item {n:02d}")
    first = text_of(client.get("/admin/products"))
    assert "53 products" in first and "Page 1 of 2" in first
    assert "Zz Item 49" not in first
    second = text_of(client.get("/admin/products?page=2"))
    assert "Zz Item 49" in second and "Ridge Tent" not in second


def test_the_product_list_makes_no_query_per_product(client, sales, tax_class):
    statements = []

    def listen(*args):
        statements.append(args)

    def queries_for_list() -> int:
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", listen)
        try:
            assert client.get("/admin/products").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listen)
        return len(statements)

    VariantFactory(stock=3)
    few = queries_for_list()
    for _ in range(8):
        VariantFactory(stock=3)
    assert queries_for_list() == few


# --- variants --------------------------------------------------------------------


def test_sales_adds_a_variant_with_price_in_dollars_stored_in_cents(client, sales, tax_class):
    supplier = SupplierFactory(name="Northern Tents")
    product = ProductFactory(name="Ridge Tent", option1_name="Size", option2_name="Colour")
    new_page = text_of(client.get(f"/admin/products/{product.id}/variants/new"))
    assert "Opening stock" in new_page and '<label for="option1">Size</label>' in new_page

    response = client.post(
        f"/admin/products/{product.id}/variants/new",
        data=variant_form(tax_class, supplier_id=str(supplier.id), lead_time_days="9"),
        follow_redirects=True,
    )
    page = text_of(response)
    assert "Variant TENT-2P-GRN added." in flashes(page)
    assert "TENT-2P-GRN" in page and "$24.99" in page and "$10.50" in page

    variant = db.session.scalar(sa.select(Variant).where(Variant.sku == "TENT-2P-GRN"))
    assert (variant.price, variant.cost) == (2499, 1050)
    assert (variant.weight_g, variant.length_mm, variant.width_mm, variant.height_mm) == (
        2300,
        500,
        180,
        180,
    )
    assert (variant.option1, variant.option2, variant.barcode) == (
        "2 person",
        "Green",
        "0123456789012",
    )
    assert variant.tax_class_id == tax_class.id
    stock = db.session.scalar(sa.select(StockLevel).where(StockLevel.variant_id == variant.id))
    assert (stock.on_hand, stock.reorder_point, stock.reorder_quantity) == (7, 4, 12)
    assert (stock.supplier_id, stock.lead_time_days, stock.bin_location) == (supplier.id, 9, "A-03")
    movement = db.session.scalar(
        sa.select(StockMovement).where(StockMovement.variant_id == variant.id)
    )
    assert (movement.quantity, movement.reason, movement.user_id) == (7, reasons.INITIAL, sales.id)


@pytest.mark.parametrize("price", ["abc", "-1", "24.999", "1.5.0", "10000000", "", "  "])
def test_a_price_that_is_not_dollars_and_cents_is_refused(client, sales, tax_class, price):
    product = ProductFactory()
    response = client.post(
        f"/admin/products/{product.id}/variants/new", data=variant_form(tax_class, price=price)
    )
    assert response.status_code == 422
    expected = "Enter a price, like 24.99." if not price.strip() else None
    messages = errors_beside(text_of(response), "price")
    assert messages == [expected or "Enter an amount in dollars and cents, like 24.99."]
    assert count(Variant) == 0


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("weight_g", "abc", "Enter a whole number, like 5."),
        ("weight_g", "1.5", "Enter a whole number, like 5."),
        ("weight_g", "-1", "Enter a whole number from 0 to 1,000,000."),
        ("length_mm", "1000000000", "Enter a whole number from 0 to 100,000."),
        ("opening_stock", "1000000000", "Enter a whole number from 0 to 1,000,000."),
        ("tax_class_id", "999", "Choose a tax class from the list."),
        ("supplier_id", "abc", "Choose a supplier from the list."),
        ("sku", "S" * 41, "Use at most 40 characters."),
        ("sku", "", "Enter a SKU."),
    ],
)
def test_bad_variant_input_gets_a_message_beside_the_field(
    client, sales, tax_class, field, value, message
):
    product = ProductFactory()
    response = client.post(
        f"/admin/products/{product.id}/variants/new", data=variant_form(tax_class, **{field: value})
    )
    assert response.status_code == 422
    assert errors_beside(text_of(response), field) == [message]
    assert count(Variant) == 0 and count(StockMovement) == 0


def test_a_duplicate_sku_or_barcode_is_refused_and_nothing_changes(client, sales, tax_class):
    VariantFactory(sku="TENT-2P-GRN", barcode="111", stock=2)
    product = ProductFactory()
    before = (count(Variant), count(StockMovement))

    response = client.post(
        f"/admin/products/{product.id}/variants/new",
        data=variant_form(tax_class, sku="tent-2p-grn", barcode="222"),
    )
    assert response.status_code == 422
    assert errors_beside(text_of(response), "sku") == ["This SKU is already used."]

    response = client.post(
        f"/admin/products/{product.id}/variants/new",
        data=variant_form(tax_class, sku="OTHER", barcode="111"),
    )
    assert response.status_code == 422
    assert errors_beside(text_of(response), "barcode") == ["This barcode is already used."]
    assert (count(Variant), count(StockMovement)) == before


def test_sales_edits_a_variant_and_stock_stays_as_it_was(client, sales, tax_class):
    reduced = TaxClassFactory(code="zero", name="Zero-rated")
    variant = VariantFactory(sku="MUG-1", price=1500, stock=6)
    form_page = text_of(client.get(f"/admin/variants/{variant.id}/edit"))
    assert 'value="15.00"' in form_page and "Opening stock" not in form_page

    response = client.post(
        f"/admin/variants/{variant.id}/edit",
        data=variant_form(
            tax_class,
            sku="MUG-1",
            price="19.95",
            cost="0",
            tax_class_id=str(reduced.id),
            barcode="",
            reorder_point="2",
            opening_stock="500",
        ),
        follow_redirects=True,
    )
    page = text_of(response)
    assert "Variant MUG-1 saved." in flashes(page)
    assert "$19.95" in page and "Zero-rated" in page
    db.session.refresh(variant)
    assert (variant.price, variant.cost, variant.tax_class_id, variant.barcode) == (
        1995,
        0,
        reduced.id,
        None,
    )
    assert variant.stock.on_hand == 6 and variant.stock.reorder_point == 2
    assert count(StockMovement) == 1


def test_a_variant_of_an_unknown_product_is_not_found(client, sales, tax_class):
    response = client.post("/admin/products/4242/variants/new", data=variant_form(tax_class))
    assert response.status_code == 404
    assert client.get("/admin/variants/4242/edit").status_code == 404
    assert count(Variant) == 0


# --- images ----------------------------------------------------------------------


def test_an_uploaded_png_is_shown_and_served(client, sales):
    product = ProductFactory(name="Ridge Tent")
    data = png_bytes()
    response = client.post(
        f"/admin/products/{product.id}/images/new",
        data={"image": (io.BytesIO(data), "tent.png"), "alt": "The tent pitched"},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = text_of(response)
    assert "Image added." in flashes(page)
    image = db.session.scalar(sa.select(ProductImage))
    assert image.filename.endswith(".png") and image.alt == "The tent pitched"
    card = media.rendition_name(image.filename, "card")
    assert f'src="/media/{card}"' in page  # the small size, not the original
    assert client.get(f"/media/{card}").mimetype == "image/webp"

    served = client.get(f"/media/{image.filename}")
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert served.data == data


@pytest.mark.parametrize(
    "filename,content,message",
    [
        ("tent.png", b"this is not a picture", "This file is not an image we can show."),
        ("notes.txt", b"hello", "Upload a JPEG, PNG, WebP or GIF image."),
    ],
)
def test_a_file_that_is_not_an_image_is_refused(client, sales, app, filename, content, message):
    product = ProductFactory()
    response = client.post(
        f"/admin/products/{product.id}/images/new",
        data={"image": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert errors_beside(text_of(response), "image") == [message]
    assert count(ProductImage) == 0
    folder = Path(app.instance_path) / "images"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_an_image_is_removed_from_the_product_and_the_disk(client, sales, app):
    product = ProductFactory(name="Ridge Tent")
    client.post(
        f"/admin/products/{product.id}/images/new",
        data={"image": (io.BytesIO(png_bytes()), "tent.png")},
        content_type="multipart/form-data",
    )
    image = db.session.scalar(sa.select(ProductImage))
    filename = image.filename
    names = [filename, *(media.rendition_name(filename, size) for size in media.SIZES)]
    for name in names:
        assert client.get(f"/media/{name}").status_code == 200

    other = ProductFactory()
    assert client.post(f"/admin/products/{other.id}/images/{image.id}/delete").status_code == 404

    response = client.post(
        f"/admin/products/{product.id}/images/{image.id}/delete", follow_redirects=True
    )
    page = text_of(response)
    assert "Image removed." in flashes(page)
    assert "No images yet." in page and filename not in page
    assert count(ProductImage) == 0
    for name in names:
        assert client.get(f"/media/{name}").status_code == 404
    assert list((Path(app.instance_path) / "images").iterdir()) == []


# --- who may change it -------------------------------------------------------------


def test_warehouse_sees_the_catalogue_but_cannot_change_it(app, staff, tax_class):
    variant = VariantFactory(sku="LAMP-1", price=3000, stock=4)
    client = app.test_client()
    log_in(client, staff[roles.WAREHOUSE].email)
    page = text_of(client.get(f"/admin/products/{variant.product_id}"))
    assert "LAMP-1" in page and "$30.00" in page
    assert "Edit product" not in page and "Add a variant" not in page
    assert "Adjust stock" in page

    response = client.post(
        f"/admin/variants/{variant.id}/edit", data=variant_form(tax_class, sku="LAMP-1", price="1")
    )
    assert response.status_code == 403
    db.session.refresh(variant)
    assert variant.price == 3000
