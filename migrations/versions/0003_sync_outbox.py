"""Sync outbox: pushes, their frozen batches, and the quantities each leg has had pushed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 05:56:05.133473

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sync_legs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.String(length=64), nullable=False),
    sa.Column('location_id', sa.String(length=64), nullable=False),
    sa.Column('pushed', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['production_orders.id'], name=op.f('fk_sync_legs_order_id_production_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_sync_legs_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_legs')),
    sa.UniqueConstraint('order_id', 'variant_id', 'location_id', name=op.f('uq_sync_legs_order_id_variant_id_location_id'))
    )
    op.create_table('sync_pushes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('frozen_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['production_orders.id'], name=op.f('fk_sync_pushes_order_id_production_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_sync_pushes_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_pushes'))
    )
    with op.batch_alter_table('sync_pushes', schema=None) as batch_op:
        batch_op.create_index('ix_sync_pushes_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_sync_pushes_order', ['order_id', 'id'], unique=False)
        batch_op.create_index('uq_sync_pushes_one_pending_per_order', ['order_id'], unique=True, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))

    op.create_table('sync_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('push_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('variables', sa.JSON(), nullable=True),
    sa.Column('key_generation', sa.Integer(), nullable=False),
    sa.Column('applied_at', sa.DateTime(), nullable=True),
    sa.Column('adjustment_group_id', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['push_id'], ['sync_pushes.id'], name=op.f('fk_sync_batches_push_id_sync_pushes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_batches')),
    sa.UniqueConstraint('push_id', 'seq', name=op.f('uq_sync_batches_push_id_seq'))
    )


def downgrade():
    op.drop_table('sync_batches')
    with op.batch_alter_table('sync_pushes', schema=None) as batch_op:
        batch_op.drop_index('uq_sync_pushes_one_pending_per_order', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_index('ix_sync_pushes_order')
        batch_op.drop_index('ix_sync_pushes_due')

    op.drop_table('sync_pushes')
    op.drop_table('sync_legs')
