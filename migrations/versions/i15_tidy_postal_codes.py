"""Saved addresses get their postal code as Canada Post prints it ("K1A 0B1"), as the
address book has saved them since i15: those saved before ("k1a0b1", "K1A  0B1") show and
print the same as the new ones. Only customers' saved addresses: an order's address is a
record of what was shipped and stays as it was.

This is a frozen copy of shop.addresses.tidy_postal_code as of this revision.

Revision ID: i15_tidy_postal_codes
Revises: i15_variant_image
Create Date: 2026-12-03 14:40:00

"""

import re

import sqlalchemy as sa
from alembic import op

revision = "i15_tidy_postal_codes"
down_revision = "i15_variant_image"
branch_labels = None
depends_on = None

CANADIAN_FORM = re.compile(r"[A-Z]\d[A-Z]\d[A-Z]\d")


def tidy(text: str | None) -> str:
    code = " ".join((text or "").split()).upper()
    joined = code.replace(" ", "")
    if CANADIAN_FORM.fullmatch(joined):
        return f"{joined[:3]} {joined[3:]}"
    return code


def upgrade():
    conn = op.get_bind()
    addresses = sa.table("addresses", sa.column("id", sa.Integer), sa.column("postal_code"))
    rows = conn.execute(sa.select(addresses.c.id, addresses.c.postal_code)).all()
    for address_id, code in rows:
        if tidy(code) != code:
            conn.execute(
                addresses.update()
                .where(addresses.c.id == address_id)
                .values(postal_code=tidy(code))
            )


def downgrade():
    """Nothing to undo: the untidy spellings were not kept, and a tidied code reads the
    same to every check of the revisions before."""
