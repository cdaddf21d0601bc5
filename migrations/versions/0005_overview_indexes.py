"""overview indexes: covering indexes for the stock overview and the weekly chart

Revision ID: 0005_overview_indexes
Revises: 0004_imports
Create Date: 2026-11-26 23:55:00

"""
from alembic import op


revision = '0005_overview_indexes'
down_revision = '0004_imports'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('balances', schema=None) as batch_op:
        batch_op.drop_index('ix_balances_site_supply')
        batch_op.create_index(
            'ix_balances_site_supply_batch',
            ['site_id', 'supply_id', 'batch_id', 'quantity'],
            unique=False,
        )
        batch_op.create_index(
            'ix_balances_batch_site',
            ['batch_id', 'site_id', 'supply_id', 'quantity'],
            unique=False,
        )
    with op.batch_alter_table('movements', schema=None) as batch_op:
        batch_op.create_index(
            'ix_movements_kind_supply_occurred',
            ['kind', 'supply_id', 'occurred_at', 'site_id', 'quantity'],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table('movements', schema=None) as batch_op:
        batch_op.drop_index('ix_movements_kind_supply_occurred')
    with op.batch_alter_table('balances', schema=None) as batch_op:
        batch_op.drop_index('ix_balances_batch_site')
        batch_op.drop_index('ix_balances_site_supply_batch')
        batch_op.create_index('ix_balances_site_supply', ['site_id', 'supply_id'], unique=False)
