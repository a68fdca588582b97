"""Costing (SPEC §9): labour and overhead per order, its frozen cost basis, Shopify's unit costs
as last read, the cost writes owed to Shopify, and the shop's `costUpdate` setting.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-03 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('variant_costs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.String(length=64), nullable=False),
    sa.Column('amount', sa.String(length=64), nullable=True),
    sa.Column('currency', sa.String(length=8), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_variant_costs_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_variant_costs')),
    sa.UniqueConstraint('shop_id', 'variant_id', name=op.f('uq_variant_costs_shop_id_variant_id'))
    )
    op.create_table('cost_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.String(length=64), nullable=False),
    sa.Column('inventory_item_id', sa.String(length=64), nullable=False),
    sa.Column('mode', sa.String(length=24), nullable=False),
    sa.Column('old_cost', sa.String(length=64), nullable=True),
    sa.Column('new_cost', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('applied_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['production_orders.id'], name=op.f('fk_cost_updates_order_id_production_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_cost_updates_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cost_updates')),
    sa.UniqueConstraint('order_id', 'variant_id', name=op.f('uq_cost_updates_order_id_variant_id'))
    )
    with op.batch_alter_table('cost_updates', schema=None) as batch_op:
        batch_op.create_index('ix_cost_updates_due', ['status', 'next_attempt_at'], unique=False)
    with op.batch_alter_table('production_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('labour_cost', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('overhead_cost', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('cost_basis', sa.JSON(), nullable=True))
    # Existing shops get 'off' (nothing written to Shopify); the default then lives in the model.
    with op.batch_alter_table('shop_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cost_update', sa.String(length=24), nullable=False, server_default='off'))
    with op.batch_alter_table('shop_settings', schema=None) as batch_op:
        batch_op.alter_column('cost_update', server_default=None)


def downgrade():
    with op.batch_alter_table('shop_settings', schema=None) as batch_op:
        batch_op.drop_column('cost_update')
    # Batch mode would copy the table on SQLite, and dropping the old copy cascades to every row
    # that references an order (components, events, sync legs); SQLite ≥ 3.35 drops a plain
    # column in place.
    for column in ('cost_basis', 'overhead_cost', 'labour_cost'):
        if op.get_bind().dialect.name == 'sqlite':
            op.execute(f'ALTER TABLE production_orders DROP COLUMN {column}')
        else:
            op.drop_column('production_orders', column)
    with op.batch_alter_table('cost_updates', schema=None) as batch_op:
        batch_op.drop_index('ix_cost_updates_due')
    op.drop_table('cost_updates')
    op.drop_table('variant_costs')
