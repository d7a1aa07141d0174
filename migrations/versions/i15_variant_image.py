"""variants.image_id: the photo a variant shows (the sand tent when Sand is chosen), one of
its product's images; none: the product's first. Removing the image clears it
(shop.catalogue.services.remove_image).

Revision ID: i15_variant_image
Revises: i15_search_paths
Create Date: 2026-12-03 14:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "i15_variant_image"
down_revision = "i15_search_paths"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        # ADD COLUMN with its REFERENCES inline (alembic would want a batch copy of
        # `variants`, which drops the search index's triggers on it).
        op.execute(
            "ALTER TABLE variants ADD COLUMN image_id INTEGER REFERENCES product_images (id)"
        )
    else:
        op.add_column("variants", sa.Column("image_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_variants_image_id_product_images"), "variants", "product_images",
            ["image_id"], ["id"],
        )  # fmt: skip
    op.create_index(op.f("ix_variants_image_id"), "variants", ["image_id"])


def downgrade():
    op.drop_index(op.f("ix_variants_image_id"), table_name="variants")
    if op.get_bind().dialect.name != "sqlite":  # SQLite drops the column with its REFERENCES
        op.drop_constraint(
            op.f("fk_variants_image_id_product_images"), "variants", type_="foreignkey"
        )
    op.drop_column("variants", "image_id")
