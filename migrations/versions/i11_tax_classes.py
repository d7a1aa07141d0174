"""tax classes that match Canadian law (printed books, children's clothing and footwear)
with their rates; each invoice line keeps the tax rate its goods paid

Revision ID: i11_tax_classes
Revises: i11_bank
Create Date: 2026-12-01 12:20:00

A store that already has its standard rates gets the two classes and their Canadian
rates (frozen here as released; shop/tax/data.py names the source of each). The demo
catalogue's books and children's items move to their classes: they are found by SKU
and product name together, so no product of the owner's own is touched; an owner
moves their own books in the back office (Catalogue > variant > Tax class).

invoice_lines.tax_rate is the combined rate the line's goods paid (0.13 for HST 13%,
0 for zero-rated goods): the e-invoice tags each line with it. Invoices issued
before had one class that paid tax and one that did not, so their lines get the
sum of the invoice's rates, or 0 for the zero-rated class.
"""

from decimal import Decimal

from alembic import op
import sqlalchemy as sa


revision = "i11_tax_classes"
down_revision = "i11_bank"
branch_labels = None
depends_on = None

GST = ("GST", "0.05")
HST_5 = ("HST", "0.05")
NEW_CLASSES = {
    "printed-books": ("Printed books", {
        "AB": [GST], "BC": [GST], "MB": [GST], "NB": [HST_5], "NL": [HST_5], "NS": [HST_5],
        "NT": [GST], "NU": [GST], "ON": [HST_5], "PE": [HST_5], "QC": [GST], "SK": [GST],
        "YT": [GST],
    }),
    "childrens-clothing": ("Children's clothing and footwear", {
        "AB": [GST], "BC": [GST], "MB": [GST], "NB": [("HST", "0.15")],
        "NL": [("HST", "0.15")], "NS": [HST_5], "NT": [GST], "NU": [GST], "ON": [HST_5],
        "PE": [HST_5], "QC": [GST, ("QST", "0.09975")], "SK": [GST, ("PST", "0.06")],
        "YT": [GST],
    }),
}  # fmt: skip

# The demo catalogue's items of each class: SKU (or SKU prefix of its variants), name.
DEMO_ITEMS = {
    "printed-books": [
        ("BK-BIRD", "Birds of Ontario Field Guide"),
        ("BK-MUSH", "Mushrooms of Canada Field Guide"),
        ("BK-PADL", "Paddling Ontario's Rivers"),
        ("BK-CCK", "Camp Cooking: 100 Recipes for the Fire"),
        ("BK-ROAS", "The Coffee Roaster's Handbook"),
    ],
    "childrens-clothing": [
        ("KT-EXP", "Little Explorer Tee"),
        ("KT-GLW", "Glow-in-the-Dark Constellation Tee"),
        ("KJ-PUD", "Puddle Jumper Rain Jacket"),
        ("KJ-SNW", "Snowfort Insulated Jacket"),
    ],
}

tax_classes = sa.table(
    "tax_classes", sa.column("id", sa.Integer), sa.column("code", sa.String),
    sa.column("name", sa.String),
)  # fmt: skip
tax_rates = sa.table(
    "tax_rates", sa.column("country", sa.String), sa.column("province", sa.String),
    sa.column("tax_class_id", sa.Integer), sa.column("component", sa.String),
    sa.column("rate", sa.Numeric(7, 5)),
)  # fmt: skip
variants = sa.table(
    "variants", sa.column("id", sa.Integer), sa.column("sku", sa.String),
    sa.column("product_id", sa.Integer), sa.column("tax_class_id", sa.Integer),
)  # fmt: skip
products = sa.table("products", sa.column("id", sa.Integer), sa.column("name", sa.String))


def upgrade():
    with op.batch_alter_table("invoice_lines") as batch:
        batch.add_column(
            sa.Column("tax_rate", sa.Numeric(7, 5), nullable=False, server_default="0")
        )
    bind = op.get_bind()
    classes = dict(bind.execute(sa.select(tax_classes.c.code, tax_classes.c.id)).all())
    _backfill_invoice_lines(bind)
    if "standard" not in classes:
        return  # an empty store: the application seeds every class
    for code, (name, rates) in NEW_CLASSES.items():
        if code not in classes:
            bind.execute(tax_classes.insert().values(code=code, name=name))
            classes[code] = bind.execute(
                sa.select(tax_classes.c.id).where(tax_classes.c.code == code)
            ).scalar_one()
            for province, components in rates.items():
                for component, rate in components:
                    bind.execute(
                        tax_rates.insert().values(
                            country="CA", province=province, tax_class_id=classes[code],
                            component=component, rate=Decimal(rate),
                        )
                    )  # fmt: skip
        _move_demo_items(bind, DEMO_ITEMS[code], classes["standard"], classes[code])


def _backfill_invoice_lines(bind):
    zero_rated = sa.text("SELECT name FROM tax_classes WHERE code = 'zero-rated'")
    names = [row[0] for row in bind.execute(zero_rated)]
    summed = (
        "COALESCE((SELECT SUM(t.rate) FROM invoice_taxes t"
        " WHERE t.invoice_id = invoice_lines.invoice_id), 0)"
    )
    statement = f"UPDATE invoice_lines SET tax_rate = {summed}"
    if names:
        statement += " WHERE tax_class_name NOT IN :names"
        bind.execute(
            sa.text(statement).bindparams(sa.bindparam("names", expanding=True)),
            {"names": names},
        )
    else:
        bind.execute(sa.text(statement))


def _move_demo_items(bind, items, standard_id, class_id):
    for sku, name in items:
        found = (
            sa.select(variants.c.id)
            .join(products, products.c.id == variants.c.product_id)
            .where(
                products.c.name == name,
                sa.or_(variants.c.sku == sku, variants.c.sku.like(sku + "-%")),
                variants.c.tax_class_id == standard_id,
            )
        )
        ids = [row[0] for row in bind.execute(found)]
        if ids:
            bind.execute(
                variants.update().where(variants.c.id.in_(ids)).values(tax_class_id=class_id)
            )


def downgrade():
    bind = op.get_bind()
    classes = dict(bind.execute(sa.select(tax_classes.c.code, tax_classes.c.id)).all())
    if "standard" in classes:
        for code in NEW_CLASSES:
            if code not in classes:
                continue
            bind.execute(
                variants.update().where(variants.c.tax_class_id == classes[code])
                .values(tax_class_id=classes["standard"])
            )  # fmt: skip
            bind.execute(tax_rates.delete().where(tax_rates.c.tax_class_id == classes[code]))
            in_use = bind.execute(
                sa.text("SELECT 1 FROM order_lines WHERE tax_class_id = :id LIMIT 1"),
                {"id": classes[code]},
            ).first()
            if in_use is None:  # orders placed in the class keep it
                bind.execute(tax_classes.delete().where(tax_classes.c.id == classes[code]))
    with op.batch_alter_table("invoice_lines") as batch:
        batch.drop_column("tax_rate")
