"""job runs: the record of each scheduled job's run per period (and of runs staff asked
for), which makes a periodic job run once however many workers run the schedule

Revision ID: i13_jobs
Revises: i12_stripe_refunds
Create Date: 2026-12-01 18:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "i13_jobs"
down_revision = "i12_stripe_refunds"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.String(length=500), nullable=True),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.Column("host", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("name", "period", name=op.f("uq_job_runs_name")),
    )
    op.create_index(op.f("ix_job_runs_started_at"), "job_runs", ["started_at"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_job_runs_started_at"), table_name="job_runs")
    op.drop_table("job_runs")
