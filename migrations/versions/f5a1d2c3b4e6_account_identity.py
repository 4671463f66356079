"""Accounts that know who they are (identity id and name, connected-at) and their connection
parameters; connect attempts carry the parameters typed and a token waiting for a site choice;
the sandbox's codes and tokens know the tenant that issued them.

Existing accounts keep no identity (they were never read as one), so duplicates already there are
left as they are; their connected-at is their creation time.

Revision ID: f5a1d2c3b4e6
Revises: e2c8a6d89fa5
"""
import sqlalchemy as sa
from alembic import op

from wizard.models._base import UTCDateTime

revision = "f5a1d2c3b4e6"
down_revision = "e2c8a6d89fa5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("authentications") as batch:
        batch.add_column(sa.Column("identity_id", sa.String(200), nullable=True))
        batch.add_column(sa.Column("identity_name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("connected_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("params", sa.JSON(), nullable=True))
    op.execute("UPDATE authentications SET connected_at = created")
    with op.batch_alter_table("connect_flows") as batch:
        batch.add_column(sa.Column("params", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("pending", sa.Text(), nullable=True))
    for table in ("sandbox_codes", "sandbox_tokens"):  # the sandbox's tenants (/sandbox/t/<tenant>/)
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("tenant", sa.String(63), nullable=True))


def downgrade():
    for table in ("sandbox_tokens", "sandbox_codes"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("tenant")
    with op.batch_alter_table("connect_flows") as batch:
        batch.drop_column("pending")
        batch.drop_column("params")
    with op.batch_alter_table("authentications") as batch:
        batch.drop_column("params")
        batch.drop_column("connected_at")
        batch.drop_column("identity_name")
        batch.drop_column("identity_id")
