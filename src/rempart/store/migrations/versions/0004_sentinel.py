"""sentinel: baseline of protected files, watch runs (heartbeat), incidents with their timeline

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sentinel_baseline",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("path", sa.String(4096), nullable=False, unique=True),
        sa.Column("root", sa.String(4096), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mtime", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("entropy", sa.Float(), nullable=False),
        sa.Column("chi2", sa.Float(), nullable=False),
        sa.Column("fuzzy", sa.String(255), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sentinel_baseline_root", "sentinel_baseline", ["root"])
    op.create_table(
        "sentinel_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("folders", sa.JSON(), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("drill", sa.Boolean(), nullable=False, default=False),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("folder", sa.String(4096), nullable=False),
        sa.Column("actor_pid", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(255), nullable=True),
        sa.Column("actor_user", sa.String(255), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("files_affected", sa.Integer(), nullable=False, default=0),
        sa.Column("drill", sa.Boolean(), nullable=False, default=False),
        sa.Column("status", sa.String(16), nullable=False, default="open"),
        sa.Column("timeline", sa.JSON(), nullable=False),
    )
    op.create_index("ix_incidents_detected_at", "incidents", ["detected_at"])


def downgrade() -> None:
    op.drop_table("incidents")
    op.drop_table("sentinel_runs")
    op.drop_table("sentinel_baseline")
