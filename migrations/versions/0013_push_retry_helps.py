"""A failed push records whether the merchant's retry can help.

A variant deleted in Shopify, or a change Shopify refused as such, fails the same way on every
retry: the order page then offers only to settle (leave those products out), never a Retry that
cannot work. Pushes failed before this column existed keep offering Retry (NULL).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sync_pushes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retry_helps', sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table('sync_pushes', schema=None) as batch_op:
        batch_op.drop_column('retry_helps')
