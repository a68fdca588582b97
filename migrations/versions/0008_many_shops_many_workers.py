"""Many shops, many workers: shared Admin API budgets, shop turns, maintained order counts, keyset indexes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('admin_api_budgets',
    sa.Column('shop_domain', sa.String(length=255), nullable=False),
    sa.Column('maximum', sa.Float(), nullable=False),
    sa.Column('available', sa.Float(), nullable=False),
    sa.Column('restore_rate', sa.Float(), nullable=False),
    sa.Column('inflight', sa.Float(), nullable=False),
    sa.Column('at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('shop_domain', name=op.f('pk_admin_api_budgets'))
    )
    op.create_table('sync_shop_turns',
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('served_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_sync_shop_turns_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', name=op.f('pk_sync_shop_turns'))
    )
    op.create_table('shop_order_counts',
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_shop_order_counts_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', 'status', name=op.f('pk_shop_order_counts'))
    )
    # The counts start from the orders that exist; from now on every write keeps them.
    op.execute("INSERT INTO shop_order_counts (shop_id, status, count) "
               "SELECT shop_id, status, count(*) FROM production_orders GROUP BY shop_id, status")
    with op.batch_alter_table('production_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_production_orders_shop_created')
        batch_op.drop_index('ix_production_orders_shop_status_created')
        batch_op.create_index('ix_production_orders_shop_created', ['shop_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_production_orders_shop_status_created', ['shop_id', 'status', 'created_at', 'id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('production_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_production_orders_shop_status_created')
        batch_op.drop_index('ix_production_orders_shop_created')
        batch_op.create_index('ix_production_orders_shop_status_created', ['shop_id', 'status', 'created_at'],
                              unique=False)
        batch_op.create_index('ix_production_orders_shop_created', ['shop_id', 'created_at'], unique=False)
    op.drop_table('shop_order_counts')
    op.drop_table('sync_shop_turns')
    op.drop_table('admin_api_budgets')
