"""order events as data: a kind and its parameters (JSON) instead of a finished English
sentence; shop.order_history writes the sentence when the history is shown. Rows written
before keep their sentence whole, as params {"text": ...}, and keep their kind.

Revision ID: i14_event_kinds
Revises: i13_document_batches
Create Date: 2026-12-01 21:30:00

"""

import json

import sqlalchemy as sa
from alembic import op

revision = "i14_event_kinds"
down_revision = "i13_document_batches"
branch_labels = None
depends_on = None

events = sa.table(
    "order_events",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("message", sa.String),
    sa.column("params", sa.JSON),
)


def upgrade():
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("params", sa.JSON(), server_default="{}", nullable=False))
    # One statement for the whole history, however long: the sentence becomes {"text": ...}.
    conn = op.get_bind()
    make = "json_build_object" if conn.dialect.name == "postgresql" else "json_object"
    conn.execute(sa.text(f"UPDATE order_events SET params = {make}('text', message)"))
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.drop_column("message")


def downgrade():
    """Old rows get their sentence back; rows written since get their kind (the words
    live in the code now, which a migration does not run)."""
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("message", sa.String(length=500), server_default="", nullable=False)
        )
    conn = op.get_bind()
    for event_id, kind, params in conn.execute(
        sa.select(events.c.id, events.c.kind, events.c.params)
    ).all():
        params = json.loads(params) if isinstance(params, str) else params
        text = (params or {}).get("text") or kind
        conn.execute(events.update().where(events.c.id == event_id).values(message=text[:500]))
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.drop_column("params")
