from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.catalogue import search_index
from shop.db import Base, TimestampMixin, UTCDateTime, utcnow
from shop.tax.models import TaxClass


class Category(TimestampMixin, Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    parent: Mapped["Category | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Category"]] = relationship(
        back_populates="parent", order_by="(Category.position, Category.name)"
    )

    def ancestors(self) -> list["Category"]:
        """From the root down to the parent of this category."""
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    def __str__(self) -> str:
        return self.name


class Product(TimestampMixin, Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    slug: Mapped[str] = mapped_column(sa.String(140), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # Shopify-style options: a product names up to two ("Size", "Colour") and
    # each variant carries its values.
    option1_name: Mapped[str | None] = mapped_column(sa.String(30))
    option2_name: Mapped[str | None] = mapped_column(sa.String(30))
    is_active: Mapped[bool] = mapped_column(default=True, index=True)
    backorderable: Mapped[bool] = mapped_column(default=True)
    # Lower-cased name, SKUs and description, kept by catalogue.services so a
    # search is one LIKE per word over one column.
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    category: Mapped[Category] = relationship()
    variants: Mapped[list["Variant"]] = relationship(
        back_populates="product", order_by="(Variant.position, Variant.id)"
    )
    images: Mapped[list["ProductImage"]] = relationship(
        back_populates="product",
        order_by="(ProductImage.position, ProductImage.id)",
        cascade="all, delete-orphan",
    )

    @property
    def active_variants(self) -> list["Variant"]:
        return [v for v in self.variants if v.is_active]

    @property
    def main_image(self) -> "ProductImage | None":
        return self.images[0] if self.images else None

    def images_for(self, variant: "Variant | None") -> list["ProductImage"]:
        """The gallery as it shows `variant`: its own photo first, then the others."""
        own = [i for i in self.images if variant is not None and i.id == variant.image_id]
        return own + [i for i in self.images if i not in own]

    def price_range(self) -> tuple[int, int] | None:
        prices = [v.price for v in self.active_variants]
        return (min(prices), max(prices)) if prices else None

    def __str__(self) -> str:
        return self.name


class Variant(TimestampMixin, Base):
    """The sellable SKU. Money is in integer minor units of the base currency."""

    __tablename__ = "variants"
    __table_args__ = (
        sa.CheckConstraint("price >= 0", name="price_not_negative"),
        sa.CheckConstraint("cost >= 0", name="cost_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), index=True)
    sku: Mapped[str] = mapped_column(sa.String(40), unique=True)
    option1: Mapped[str | None] = mapped_column(sa.String(40))
    option2: Mapped[str | None] = mapped_column(sa.String(40))
    price: Mapped[int] = mapped_column(sa.BigInteger)
    cost: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    weight_g: Mapped[int] = mapped_column(default=0)
    length_mm: Mapped[int] = mapped_column(default=0)
    width_mm: Mapped[int] = mapped_column(default=0)
    height_mm: Mapped[int] = mapped_column(default=0)
    tax_class_id: Mapped[int] = mapped_column(sa.ForeignKey("tax_classes.id"))
    barcode: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    # The photo shown when this variant is chosen (one of its product's); None: the first.
    image_id: Mapped[int | None] = mapped_column(sa.ForeignKey("product_images.id"), index=True)

    product: Mapped[Product] = relationship(back_populates="variants")
    tax_class: Mapped[TaxClass] = relationship()
    stock: Mapped["StockLevel"] = relationship(back_populates="variant", uselist=False)  # noqa: F821

    @property
    def label(self) -> str:
        """ "Blue / M", or the product name when the product has no options."""
        values = [v for v in (self.option1, self.option2) if v]
        return " / ".join(values) if values else self.product.name

    @property
    def full_name(self) -> str:
        values = [v for v in (self.option1, self.option2) if v]
        return f"{self.product.name} ({' / '.join(values)})" if values else self.product.name

    @property
    def is_sellable(self) -> bool:
        return self.is_active and self.product.is_active

    def __str__(self) -> str:
        return self.sku


class ProductImage(TimestampMixin, Base):
    """An uploaded image: its original's name in the media storage (shop.media), which
    also keeps its sizes; served at /media/ or from MEDIA_PUBLIC_URL."""

    __tablename__ = "product_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(100), unique=True)
    alt: Mapped[str] = mapped_column(sa.String(200), default="")
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="images")


search_index.follow_metadata(Base.metadata)
