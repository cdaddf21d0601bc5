"""count sessions: physical counts awaiting a coordinator's confirmation

Revision ID: 0003_count_sessions
Revises: 0002_throttles
Create Date: 2026-11-26 23:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0003_count_sessions'
down_revision = '0002_throttles'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('count_sessions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('blind', sa.Boolean(), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('counted_by_id', sa.Integer(), nullable=True),
    sa.Column('counted_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['counted_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('count_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_count_sessions_site_status', ['site_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('count_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_count_sessions_site_status')
    op.drop_table('count_sessions')
