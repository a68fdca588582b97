"""Bills of materials: reusable output variant + materials per unit.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 06:24:34.918054

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('boms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('output_variant_id', sa.String(length=64), nullable=False),
    sa.Column('output_title', sa.String(length=255), nullable=False),
    sa.Column('output_sku', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_boms_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_boms'))
    )
    with op.batch_alter_table('boms', schema=None) as batch_op:
        batch_op.create_index('ix_boms_shop_name', ['shop_id', 'name'], unique=False)

    op.create_table('bom_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bom_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('quantity_per_unit', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['bom_id'], ['boms.id'], name=op.f('fk_bom_lines_bom_id_boms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bom_lines')),
    sa.UniqueConstraint('bom_id', 'variant_id', name=op.f('uq_bom_lines_bom_id_variant_id'))
    )


def downgrade():
    op.drop_table('bom_lines')
    with op.batch_alter_table('boms', schema=None) as batch_op:
        batch_op.drop_index('ix_boms_shop_name')

    op.drop_table('boms')
