"""BOM lines keep their material's SKU and BOMs a default hold, so a BOM CSV names variants portably.

A variant GID belongs to one shop; the SKU is what lets a BOM exported from one shop import into
another (SPEC §11). `hold_days` is the BOM's default curing hold (SPEC §10), carried by the CSV.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-03 08:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows get '' and 0; the defaults then move to the models, like every other column's.
    with op.batch_alter_table('bom_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sku', sa.String(length=255), nullable=False, server_default=''))
    with op.batch_alter_table('bom_lines', schema=None) as batch_op:
        batch_op.alter_column('sku', server_default=None)
    with op.batch_alter_table('boms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_days', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('boms', schema=None) as batch_op:
        batch_op.alter_column('hold_days', server_default=None)


def downgrade():
    with op.batch_alter_table('boms', schema=None) as batch_op:
        batch_op.drop_column('hold_days')
    with op.batch_alter_table('bom_lines', schema=None) as batch_op:
        batch_op.drop_column('sku')
