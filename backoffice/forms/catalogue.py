"""Forms of the catalogue: categories, products, variants and their images."""

import sqlalchemy as sa
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from backoffice.forms import (
    IMAGE_EXTENSIONS,
    MAX_GRAMS,
    MAX_LEAD_DAYS,
    MAX_MM,
    MAX_STOCK,
    BackofficeForm,
    category_choices,
)
from shop.extensions import db
from shop.forms.fields import (
    IdSelectField,
    MoneyField,
    Required,
    WholeNumberField,
    at_most,
    between,
)
from shop.purchasing.models import Supplier
from shop.tax.models import TaxClass


class CategoryForm(BackofficeForm):
    name = StringField("Name", validators=[DataRequired("Enter a name."), at_most(80)])
    # Every category is offered; the service refuses a parent inside the category itself.
    parent_id = IdSelectField("Parent category", validate_choice=False)
    description = TextAreaField("Description", validators=[at_most(5000)])
    position = WholeNumberField("Position in menus", default=0, validators=[between(0, 10_000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parent_id.choices = category_choices("(top level)")

    def data_for_service(self) -> dict:
        return {
            "name": self.name.data,
            "parent_id": self.parent_id.data,
            "description": self.description.data or "",
            "position": self.position.data or 0,
        }


class ProductForm(BackofficeForm):
    name = StringField("Name", validators=[DataRequired("Enter a name."), at_most(120)])
    description = TextAreaField("Description", validators=[at_most(20_000)])
    category_id = IdSelectField("Category", message="Choose a category from the list.")
    option1_name = StringField("First option name (e.g. Size)", validators=[at_most(30)])
    option2_name = StringField("Second option name (e.g. Colour)", validators=[at_most(30)])
    is_active = BooleanField("Shown in the shop", default=True)
    backorderable = BooleanField("Customers may order it when out of stock", default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = category_choices()

    def data_for_service(self) -> dict:
        return {
            "name": self.name.data,
            "description": self.description.data or "",
            "category_id": self.category_id.data,
            "option1_name": self.option1_name.data or "",
            "option2_name": self.option2_name.data or "",
            "is_active": self.is_active.data,
            "backorderable": self.backorderable.data,
        }


class VariantForm(BackofficeForm):
    sku = StringField("SKU", validators=[DataRequired("Enter a SKU."), at_most(40)])
    option1 = StringField("First option value", validators=[at_most(40)])
    option2 = StringField("Second option value", validators=[at_most(40)])
    price = MoneyField("Price ($)", validators=[Required("Enter a price, like 24.99.")])
    cost = MoneyField("Cost ($)")
    weight_g = WholeNumberField("Weight (g)", default=0, validators=[between(0, MAX_GRAMS)])
    length_mm = WholeNumberField("Length (mm)", default=0, validators=[between(0, MAX_MM)])
    width_mm = WholeNumberField("Width (mm)", default=0, validators=[between(0, MAX_MM)])
    height_mm = WholeNumberField("Height (mm)", default=0, validators=[between(0, MAX_MM)])
    tax_class_id = IdSelectField("Tax class", message="Choose a tax class from the list.")
    barcode = StringField("Barcode (GTIN/UPC/EAN)", validators=[at_most(40)])
    is_active = BooleanField("On sale", default=True)
    reorder_point = WholeNumberField("Reorder point", default=0, validators=[between(0, MAX_STOCK)])
    reorder_quantity = WholeNumberField(
        "Reorder quantity", default=0, validators=[between(0, MAX_STOCK)]
    )
    supplier_id = IdSelectField("Supplier", message="Choose a supplier from the list.")
    lead_time_days = WholeNumberField(
        "Lead time (days; empty: the supplier's)",
        validators=[Optional(), between(0, MAX_LEAD_DAYS)],
    )
    bin_location = StringField("Bin location", validators=[at_most(20)])
    image_id = IdSelectField("Photo shown when chosen", message="Choose a photo from the list.")

    STOCK_FIELDS = (
        "reorder_point", "reorder_quantity", "supplier_id", "lead_time_days", "bin_location",
    )  # fmt: skip

    def __init__(self, *args, stock=None, product=None, **kwargs):
        if stock is not None:
            # The stock settings live on the variant's stock row, not on the variant.
            kwargs["data"] = {name: getattr(stock, name) for name in self.STOCK_FIELDS}
        super().__init__(*args, **kwargs)
        if product is not None and product.option1_name:
            self.option1.label.text = product.option1_name
        if product is not None and product.option2_name:
            self.option2.label.text = product.option2_name
        tax_classes = db.session.scalars(sa.select(TaxClass).order_by(TaxClass.name))
        self.tax_class_id.choices = [SelectChoice(t.id, t.name) for t in tax_classes]
        images = product.images if product is not None else []
        self.image_id.choices = [SelectChoice("", "(the product's first photo)")] + [
            SelectChoice(image.id, f"{n}. {image.alt}") for n, image in enumerate(images, 1)
        ]
        suppliers = db.session.scalars(sa.select(Supplier).order_by(Supplier.name))
        self.supplier_id.choices = [SelectChoice("", "(none)")] + [
            SelectChoice(s.id, s.name) for s in suppliers
        ]

    def data_for_service(self) -> dict:
        return {
            "sku": self.sku.data,
            "option1": self.option1.data or "",
            "option2": self.option2.data or "",
            "price": self.price.minor_units(),
            "cost": self.cost.minor_units(),
            "weight_g": self.weight_g.data or 0,
            "length_mm": self.length_mm.data or 0,
            "width_mm": self.width_mm.data or 0,
            "height_mm": self.height_mm.data or 0,
            "tax_class_id": self.tax_class_id.data,
            "barcode": self.barcode.data or "",
            "is_active": self.is_active.data,
            "image_id": self.image_id.data,
            "reorder_point": self.reorder_point.data or 0,
            "reorder_quantity": self.reorder_quantity.data or 0,
            "supplier_id": self.supplier_id.data,
            "lead_time_days": self.lead_time_days.data,
            "bin_location": (self.bin_location.data or "").strip() or None,
        }


class NewVariantForm(VariantForm):
    opening_stock = WholeNumberField(
        "Opening stock (units on the shelf now)", default=0, validators=[between(0, MAX_STOCK)]
    )


class ImageForm(BackofficeForm):
    image = FileField(
        "Image",
        validators=[
            FileRequired("Choose an image file."),
            FileAllowed(IMAGE_EXTENSIONS, "Upload a JPEG, PNG, WebP or GIF image."),
        ],
    )
    alt = StringField("Description for screen readers", validators=[at_most(200)])
