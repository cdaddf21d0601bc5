"""sums over a closed quarter's events, kept once worked out (issue 21)

The funder workbook's person-derived tables come from whole closed quarters, whose events
can no longer change while closed; their sums are kept here with a stamp of what they were
read from, and worked out again whenever the stamp no longer matches.

Revision ID: 0019_quarter_counts
Revises: 0018_offered_to_partners
Create Date: 2026-12-05 07:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0019_quarter_counts'
down_revision = '0018_offered_to_partners'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'quarter_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('stamp', sa.String(length=200), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.Column('counted_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('starts_on', name='uq_quarter_counts_starts_on'),
    )


def downgrade():
    op.drop_table('quarter_counts')
