"""Reversals: an order may reverse a completed one, and its rows the rows they undo.

`reversal_of` links a reversal to the order it reverses (SPEC §11); `reverses_component_id`
links each of its rows to the original's row, so what is left to reverse is counted per row.
Both are indexed: the original's detail lists its reversals, and every edit of a reversal sums
what the others already cover.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('production_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reversal_of', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_production_orders_reversal_of_production_orders'),
                                    'production_orders', ['reversal_of'], ['id'], ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_production_orders_reversal_of'), ['reversal_of'], unique=False)
    with op.batch_alter_table('components', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reverses_component_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_components_reverses_component_id_components'),
                                    'components', ['reverses_component_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_components_reverses_component_id'), ['reverses_component_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('components', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_components_reverses_component_id'))
        batch_op.drop_constraint(batch_op.f('fk_components_reverses_component_id_components'), type_='foreignkey')
        batch_op.drop_column('reverses_component_id')
    with op.batch_alter_table('production_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_production_orders_reversal_of'))
        batch_op.drop_constraint(batch_op.f('fk_production_orders_reversal_of_production_orders'), type_='foreignkey')
        batch_op.drop_column('reversal_of')
