"""document batches: packing slips or labels of many shipments made by a job, downloaded
by whoever asked through a random token

Revision ID: i13_document_batches
Revises: i13_jobs
Create Date: 2026-12-01 18:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "i13_document_batches"
down_revision = "i13_jobs"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "document_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("shipment_numbers", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_document_batches_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_batches")),
        sa.UniqueConstraint("token", name=op.f("uq_document_batches_token")),
    )
    op.create_index(
        op.f("ix_document_batches_created_at"), "document_batches", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_document_batches_user_id"), "document_batches", ["user_id"], unique=False
    )
    op.create_table(
        "document_batch_files",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_document_batch_files")),
    )


def downgrade():
    op.drop_table("document_batch_files")
    op.drop_index(op.f("ix_document_batches_user_id"), table_name="document_batches")
    op.drop_index(op.f("ix_document_batches_created_at"), table_name="document_batches")
    op.drop_table("document_batches")
