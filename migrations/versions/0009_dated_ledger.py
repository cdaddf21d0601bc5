"""dated ledger: lot status changes in business time, quarters closed early or reopened

Revision ID: 0009_dated_ledger
Revises: 0008_revisions
Create Date: 2026-12-04 14:10:00

"""
import sqlalchemy as sa
from alembic import op



revision = '0009_dated_ledger'
down_revision = '0008_revisions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'lot_status_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('supply_id', sa.Integer(), nullable=False),
        sa.Column('lot_number', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('occurred_at', sa.DateTime(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['supply_id'], ['supplies.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        'ix_lot_status_changes_lot',
        'lot_status_changes',
        ['supply_id', 'lot_number', 'occurred_at'],
    )
    op.create_table(
        'quarter_states',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_quarter_states_starts_on', 'quarter_states', ['starts_on'])


def downgrade():
    op.drop_index('ix_quarter_states_starts_on', table_name='quarter_states')
    op.drop_table('quarter_states')
    op.drop_index('ix_lot_status_changes_lot', table_name='lot_status_changes')
    op.drop_table('lot_status_changes')
