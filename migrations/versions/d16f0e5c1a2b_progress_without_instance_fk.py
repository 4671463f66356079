"""Wizard progress without a foreign key to instances (a front end of a remote core keeps it)

Revision ID: d16f0e5c1a2b
Revises: b7e1c0a4d9f2
Create Date: 2026-12-02 15:30:00
"""
from alembic import op

revision = "d16f0e5c1a2b"
down_revision = "b7e1c0a4d9f2"
branch_labels = None
depends_on = None

FK = "fk_wizard_progress_instance_id_solution_instances"


def upgrade():
    with op.batch_alter_table("wizard_progress", schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_="foreignkey")


def downgrade():
    op.execute("DELETE FROM wizard_progress WHERE instance_id NOT IN (SELECT id FROM solution_instances)")
    with op.batch_alter_table("wizard_progress", schema=None) as batch_op:
        batch_op.create_foreign_key(FK, "solution_instances", ["instance_id"], ["id"], ondelete="CASCADE")
