"""audits, assets, services, findings

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audits",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("ports", sa.Text(), nullable=False),
        sa.Column("authorized", sa.Boolean(), nullable=False),
        sa.Column("rempart_version", sa.String(32), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
    )
    op.create_index("ix_audits_started_at", "audits", ["started_at"])
    op.create_table(
        "assets",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "audit_id", sa.String(36), sa.ForeignKey("audits.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("hostname", sa.String(255), nullable=True),
        sa.Column("kind", sa.String(32), nullable=True),
    )
    op.create_index("ix_assets_audit_id", "assets", ["audit_id"])
    op.create_table(
        "services",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "asset_id", sa.Integer(), sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("transport", sa.String(8), nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("product", sa.String(255), nullable=True),
        sa.Column("version", sa.String(128), nullable=True),
        sa.Column("cpe", sa.String(255), nullable=True),
        sa.Column("banner", sa.Text(), nullable=True),
        sa.Column("observations", sa.JSON(), nullable=False),
    )
    op.create_index("ix_services_asset_id", "services", ["asset_id"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "audit_id", sa.String(36), sa.ForeignKey("audits.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("check_id", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("transport", sa.String(8), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("cves", sa.JSON(), nullable=False),
    )
    op.create_index("ix_findings_audit_id", "findings", ["audit_id"])
    op.create_index("ix_findings_check_id", "findings", ["check_id"])


def downgrade() -> None:
    op.drop_table("findings")
    op.drop_table("services")
    op.drop_table("assets")
    op.drop_table("audits")
