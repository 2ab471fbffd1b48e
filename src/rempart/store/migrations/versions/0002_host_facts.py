"""host facts: the computers audited from inside, kept with their audit

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "host_facts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "audit_id", sa.String(36), sa.ForeignKey("audits.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("hostname", sa.String(255), nullable=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
    )
    op.create_index("ix_host_facts_audit_id", "host_facts", ["audit_id"])


def downgrade() -> None:
    op.drop_table("host_facts")
