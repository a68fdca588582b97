"""Production order core: shops, settings, orders, components, events.

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 05:39:11.114194

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shops',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=255), nullable=False),
    sa.Column('access_token_encrypted', sa.Text(), nullable=True),
    sa.Column('access_token_expires_at', sa.DateTime(), nullable=True),
    sa.Column('refresh_token_encrypted', sa.Text(), nullable=True),
    sa.Column('refresh_token_expires_at', sa.DateTime(), nullable=True),
    sa.Column('scopes', sa.Text(), nullable=True),
    sa.Column('installed_at', sa.DateTime(), nullable=True),
    sa.Column('uninstalled_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shops')),
    sa.UniqueConstraint('domain', name=op.f('uq_shops_domain'))
    )
    op.create_table('production_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('reference_key', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('location_id', sa.String(length=64), nullable=True),
    sa.Column('planned_start_date', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('sync_to_shopify', sa.Boolean(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_production_orders_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_production_orders')),
    sa.UniqueConstraint('shop_id', 'reference_key', name=op.f('uq_production_orders_shop_id_reference_key'))
    )
    with op.batch_alter_table('production_orders', schema=None) as batch_op:
        batch_op.create_index('ix_production_orders_shop_created', ['shop_id', 'created_at'], unique=False)
        batch_op.create_index('ix_production_orders_shop_status_created', ['shop_id', 'status', 'created_at'], unique=False)

    op.create_table('shop_settings',
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('sync_by_default', sa.Boolean(), nullable=False),
    sa.Column('default_location_id', sa.String(length=64), nullable=True),
    sa.Column('sync_mode', sa.String(length=16), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_shop_settings_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', name=op.f('pk_shop_settings'))
    )
    op.create_table('components',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('sku', sa.String(length=255), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.Column('quantity_planned', sa.BigInteger(), nullable=False),
    sa.Column('quantity_produced', sa.BigInteger(), nullable=False),
    sa.Column('materials', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['production_orders.id'], name=op.f('fk_components_order_id_production_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_components_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_components'))
    )
    with op.batch_alter_table('components', schema=None) as batch_op:
        batch_op.create_index('ix_components_order', ['order_id', 'id'], unique=False)

    op.create_table('order_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['production_orders.id'], name=op.f('fk_order_events_order_id_production_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_order_events_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_events'))
    )
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.create_index('ix_order_events_order', ['order_id', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.drop_index('ix_order_events_order')

    op.drop_table('order_events')
    with op.batch_alter_table('components', schema=None) as batch_op:
        batch_op.drop_index('ix_components_order')

    op.drop_table('components')
    op.drop_table('shop_settings')
    with op.batch_alter_table('production_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_production_orders_shop_status_created')
        batch_op.drop_index('ix_production_orders_shop_created')

    op.drop_table('production_orders')
    op.drop_table('shops')
