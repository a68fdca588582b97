"""The shop's `shortagePolicy` (SPEC §10): whether an order short of materials may start.

Existing shops get 'warn' (the shortage is shown, starting is never refused), which is what they
had before the setting existed.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shop_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shortage_policy', sa.String(length=8), nullable=False, server_default='warn'))
    with op.batch_alter_table('shop_settings', schema=None) as batch_op:
        batch_op.alter_column('shortage_policy', server_default=None)


def downgrade():
    with op.batch_alter_table('shop_settings', schema=None) as batch_op:
        batch_op.drop_column('shortage_policy')
