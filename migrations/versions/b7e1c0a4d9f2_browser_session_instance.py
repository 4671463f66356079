"""Browser sessions know their wizard instance (a newer session of it ends the older ones)

Revision ID: b7e1c0a4d9f2
Revises: cfcaf69939f9
Create Date: 2026-11-25 23:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "b7e1c0a4d9f2"
down_revision = "cfcaf69939f9"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("browser_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("instance_id", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_browser_sessions_instance_id"), ["instance_id"], unique=False)


def downgrade():
    with op.batch_alter_table("browser_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_browser_sessions_instance_id"))
        batch_op.drop_column("instance_id")
