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


# (table, column, referred table, foreign key name, index name)
LINKS = (
    ('production_orders', 'reversal_of', 'production_orders', 'fk_production_orders_reversal_of_production_orders',
     'ix_production_orders_reversal_of'),
    ('components', 'reverses_component_id', 'components', 'fk_components_reverses_component_id_components',
     'ix_components_reverses_component_id'),
)


def upgrade():
    # On SQLite these are table rebuilds; migrations/env.py runs them with foreign keys off.
    for table, column, referred, fk_name, index_name in LINKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
            batch_op.create_foreign_key(fk_name, referred, [column], ['id'], ondelete='SET NULL')
            batch_op.create_index(index_name, [column], unique=False)


def downgrade():
    for table, column, _, fk_name, index_name in reversed(LINKS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(index_name)
            batch_op.drop_constraint(fk_name, type_='foreignkey')
            batch_op.drop_column(column)
