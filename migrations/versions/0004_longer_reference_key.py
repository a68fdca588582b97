"""Room for lower-cased references that grow ('İ' lower-cases to two characters).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 06:16:58.926790

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('production_orders', schema=None) as batch_op:
        batch_op.alter_column('reference_key',
               existing_type=sa.VARCHAR(length=64),
               type_=sa.String(length=192),
               existing_nullable=False)



def downgrade():
    with op.batch_alter_table('production_orders', schema=None) as batch_op:
        batch_op.alter_column('reference_key',
               existing_type=sa.String(length=192),
               type_=sa.VARCHAR(length=64),
               existing_nullable=False)

