"""Tray compatibility: external_users.is_test_user, authentications.hidden

Revision ID: b7e1c0a4d2f8
Revises: 925b2879ed7c
Create Date: 2026-11-25 23:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7e1c0a4d2f8'
down_revision = '925b2879ed7c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('external_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_test_user', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('authentications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('authentications', schema=None) as batch_op:
        batch_op.drop_column('hidden')
    with op.batch_alter_table('external_users', schema=None) as batch_op:
        batch_op.drop_column('is_test_user')
