"""Themes (issue 12): the ISV's look per embeddedId

Revision ID: d3a7c1e9b5f0
Revises: e11a0c5f3b21
Create Date: 2026-12-02 15:40:00

"""
from alembic import op
import sqlalchemy as sa

import wizard.models._base  # noqa: F401  (custom column types)


revision = 'd3a7c1e9b5f0'
down_revision = 'e11a0c5f3b21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('themes',
    sa.Column('embedded_id', sa.String(length=100), nullable=False),
    sa.Column('product_name', sa.String(length=80), nullable=False),
    sa.Column('colors', sa.JSON(), nullable=False),
    sa.Column('corner_radius', sa.Integer(), nullable=False),
    sa.Column('custom_css', sa.Text(), nullable=False),
    sa.Column('logo', sa.LargeBinary(), nullable=True),
    sa.Column('logo_type', sa.String(length=20), nullable=True),
    sa.Column('logo_hash', sa.String(length=64), nullable=True),
    sa.Column('updated', wizard.models._base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('embedded_id')
    )


def downgrade():
    op.drop_table('themes')
