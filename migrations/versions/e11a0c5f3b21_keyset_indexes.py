"""Keyset pagination's order has an index: instances by (created, id)

Revision ID: e11a0c5f3b21
Revises: d16f0e5c1a2b
Create Date: 2026-12-02 15:50:00
"""
from alembic import op

revision = "e11a0c5f3b21"
down_revision = "d16f0e5c1a2b"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("solution_instances", schema=None) as batch_op:
        batch_op.create_index("ix_solution_instances_created_id", ["created", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("solution_instances", schema=None) as batch_op:
        batch_op.drop_index("ix_solution_instances_created_id")
