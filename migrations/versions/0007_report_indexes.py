"""report indexes: the funder report reads movements and events by period

Revision ID: 0007_report_indexes
Revises: 0006_user_language
Create Date: 2026-11-27 00:30:00

"""
from alembic import op


revision = '0007_report_indexes'
down_revision = '0006_user_language'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('movements', schema=None) as batch_op:
        batch_op.create_index(
            'ix_movements_occurred_covering',
            ['occurred_at', 'kind', 'site_id', 'supply_id', 'batch_id', 'quantity'],
            unique=False,
        )
    with op.batch_alter_table('distribution_events', schema=None) as batch_op:
        batch_op.create_index('ix_distribution_events_occurred', ['occurred_at'], unique=False)


def downgrade():
    with op.batch_alter_table('distribution_events', schema=None) as batch_op:
        batch_op.drop_index('ix_distribution_events_occurred')
    with op.batch_alter_table('movements', schema=None) as batch_op:
        batch_op.drop_index('ix_movements_occurred_covering')
