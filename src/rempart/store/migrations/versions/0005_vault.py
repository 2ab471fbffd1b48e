"""vault: backup runs (with their anomalies) and restore drills, for the audit and the dashboard

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backup_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("repository", sa.String(1024), nullable=False),
        sa.Column("snapshot_id", sa.String(64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False, default=0),
        sa.Column("bytes_read", sa.BigInteger(), nullable=False, default=0),
        sa.Column("bytes_added", sa.BigInteger(), nullable=False, default=0),
        sa.Column("immutable", sa.Boolean(), nullable=False, default=False),
        sa.Column("anomalies", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False, default=""),
    )
    op.create_index("ix_backup_runs_started_at", "backup_runs", ["started_at"])
    op.create_table(
        "restore_drills",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("repository", sa.String(1024), nullable=False),
        sa.Column("snapshot_id", sa.String(64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False, default=0),
        sa.Column("bytes", sa.BigInteger(), nullable=False, default=0),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False, default=""),
    )
    op.create_index("ix_restore_drills_at", "restore_drills", ["at"])


def downgrade() -> None:
    op.drop_table("restore_drills")
    op.drop_table("backup_runs")
