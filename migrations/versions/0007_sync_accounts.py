"""Exact accounts per (variant, location, quantity name), built from what was already pushed.

Upgrading sends nothing to Shopify: every account starts with `exact` = `whole` = the integers the
previous version had pushed (applied batches, plus the frozen batches of pushes still sending,
which the new version finishes under their keys). Each order's legs become what it has frozen per
account. Unapplied batches of failed pushes were already abandoned by the previous version (its
retry recomputed from the applied totals), so they are marked as given back.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 08:10:00

"""
from collections import defaultdict
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _now():
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _legs_and_batches(bind):
    """Fill the new columns of legs and batches, and return the accounts' starting totals."""
    legs = sa.table('sync_legs', sa.column('id', sa.Integer), sa.column('shop_id', sa.Integer),
                    sa.column('order_id', sa.Integer), sa.column('variant_id', sa.String),
                    sa.column('location_id', sa.String), sa.column('name', sa.String),
                    sa.column('exact', sa.String), sa.column('whole', sa.BigInteger),
                    sa.column('updated_at', sa.DateTime))
    batches = sa.table('sync_batches', sa.column('id', sa.Integer), sa.column('push_id', sa.Integer),
                       sa.column('changes', sa.JSON), sa.column('variables', sa.JSON),
                       sa.column('applied_at', sa.DateTime), sa.column('first_sent_at', sa.DateTime),
                       sa.column('returned_at', sa.DateTime))
    pushes = sa.table('sync_pushes', sa.column('id', sa.Integer), sa.column('shop_id', sa.Integer),
                      sa.column('order_id', sa.Integer), sa.column('status', sa.String),
                      sa.column('frozen_at', sa.DateTime))
    now = _now()
    whole = defaultdict(int)  # (shop, order, variant, location) -> integers counted
    for shop, order, variant, location, pushed in bind.execute(sa.select(
            legs.c.shop_id, legs.c.order_id, legs.c.variant_id, legs.c.location_id, legs.c.whole)):
        whole[(shop, order, variant, location)] += pushed
    rows = bind.execute(
        sa.select(batches.c.id, batches.c.changes, batches.c.variables, batches.c.applied_at, pushes.c.status,
                  pushes.c.shop_id, pushes.c.order_id, pushes.c.frozen_at)
        .select_from(batches.join(pushes, pushes.c.id == batches.c.push_id))).all()
    for batch_id, changes, variables, applied_at, status, shop, order, frozen_at in rows:
        values = {'changes': [dict(c, name='available', exact=str(c['delta'])) for c in changes]}
        if applied_at is None and status == 'sending':
            # Frozen, to be finished under its key: counted now, as the new version counts frozen deltas.
            for c in changes:
                whole[(shop, order, c['variantId'], c['locationId'])] += c['delta']
            if variables is not None:
                values['first_sent_at'] = frozen_at or now
        elif applied_at is None:
            values['returned_at'] = now
        bind.execute(batches.update().where(batches.c.id == batch_id).values(**values))
    bind.execute(legs.delete())
    accounts = defaultdict(int)
    leg_rows = []
    for (shop, order, variant, location), total in sorted(whole.items()):
        leg_rows.append({'shop_id': shop, 'order_id': order, 'variant_id': variant, 'location_id': location,
                         'name': 'available', 'exact': str(total), 'whole': total, 'updated_at': now})
        accounts[(shop, variant, location)] += total
    if leg_rows:
        bind.execute(legs.insert(), leg_rows)
    return accounts, now


def upgrade():
    op.create_table('sync_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.String(length=64), nullable=False),
    sa.Column('location_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('exact', sa.String(length=64), nullable=False),
    sa.Column('whole', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_sync_accounts_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_accounts')),
    sa.UniqueConstraint('shop_id', 'variant_id', 'location_id', 'name', name=op.f('uq_sync_accounts_shop_id_variant_id_location_id_name'))
    )
    op.create_table('sync_skipped_variants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['production_orders.id'], name=op.f('fk_sync_skipped_variants_order_id_production_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_sync_skipped_variants_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_skipped_variants')),
    sa.UniqueConstraint('order_id', 'variant_id', name=op.f('uq_sync_skipped_variants_order_id_variant_id'))
    )
    with op.batch_alter_table('sync_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_sent_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('returned_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('receipt', sa.JSON(), nullable=True))
    with op.batch_alter_table('sync_legs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('exact', sa.String(length=64), nullable=True))
        batch_op.alter_column('pushed', new_column_name='whole', existing_type=sa.BigInteger(), existing_nullable=False)

    bind = op.get_bind()
    totals, now = _legs_and_batches(bind)
    if totals:
        accounts = sa.table('sync_accounts', sa.column('shop_id', sa.Integer), sa.column('variant_id', sa.String),
                            sa.column('location_id', sa.String), sa.column('name', sa.String),
                            sa.column('exact', sa.String), sa.column('whole', sa.BigInteger),
                            sa.column('updated_at', sa.DateTime))
        bind.execute(accounts.insert(), [
            {'shop_id': shop, 'variant_id': variant, 'location_id': location, 'name': 'available',
             'exact': str(total), 'whole': total, 'updated_at': now}
            for (shop, variant, location), total in sorted(totals.items())])

    with op.batch_alter_table('sync_legs', schema=None) as batch_op:
        batch_op.alter_column('name', existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column('exact', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint('uq_sync_legs_order_id_variant_id_location_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_sync_legs_order_id_variant_id_location_id_name'),
                                          ['order_id', 'variant_id', 'location_id', 'name'])


def downgrade():
    # Back to per-order pushed totals: what each order froze (the old version's retries recompute
    # from them). Accounts and exact sums are dropped.
    with op.batch_alter_table('sync_legs', schema=None) as batch_op:
        batch_op.drop_constraint('uq_sync_legs_order_id_variant_id_location_id_name', type_='unique')
        batch_op.drop_column('exact')
        batch_op.drop_column('name')
        batch_op.alter_column('whole', new_column_name='pushed', existing_type=sa.BigInteger(), existing_nullable=False)
        batch_op.create_unique_constraint('uq_sync_legs_order_id_variant_id_location_id',
                                          ['order_id', 'variant_id', 'location_id'])
    with op.batch_alter_table('sync_batches', schema=None) as batch_op:
        batch_op.drop_column('receipt')
        batch_op.drop_column('returned_at')
        batch_op.drop_column('first_sent_at')
    op.drop_table('sync_skipped_variants')
    op.drop_table('sync_accounts')
