"""Shopify's inventory states (SPEC §10): planned output as `incoming`, curing in `quality_control`.

- `shop_settings.planned_output_as_incoming`: the shop's switch (off by default).
- `production_orders.incoming_planned`: whether this order books its planned output as `incoming`,
  decided once, at start (a later change of the shop setting does not strand what was booked).
- `production_orders.hold_days`, `hold_until`, `released_at`: the curing hold of an order's output.
- `sync_batches.kind`: `adjust` (inventoryAdjustQuantities, one quantity name per call) or `move`
  (inventoryMoveQuantities, `quality_control` -> `available` when a hold is released).

Revision ID: 0015
Revises: 0013 (to be re-chained onto 0014_shortage_policy when branches are merged)
Create Date: 2026-12-03 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shop_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('planned_output_as_incoming', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('production_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('incoming_planned', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('hold_days', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('hold_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('released_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_production_orders_hold_due', ['hold_until'], unique=False)
    with op.batch_alter_table('sync_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='adjust'))
    # The defaults only fill existing rows; the models set every value from now on. An order's two
    # keep theirs: bulk loads (bench/, the large-shop tests) insert orders in SQL, without the models.
    for table, columns in (('shop_settings', ['planned_output_as_incoming']), ('sync_batches', ['kind'])):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, server_default=None)


def downgrade():
    with op.batch_alter_table('sync_batches', schema=None) as batch_op:
        batch_op.drop_column('kind')
    with op.batch_alter_table('production_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_production_orders_hold_due')
        batch_op.drop_column('released_at')
        batch_op.drop_column('hold_until')
        batch_op.drop_column('hold_days')
        batch_op.drop_column('incoming_planned')
    with op.batch_alter_table('shop_settings', schema=None) as batch_op:
        batch_op.drop_column('planned_output_as_incoming')
