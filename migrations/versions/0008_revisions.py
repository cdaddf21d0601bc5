"""revisions: counters announcing changes to data that readers keep (closed weeks of the chart)

Revision ID: 0008_revisions
Revises: 0007_report_indexes
Create Date: 2026-12-01 10:30:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0008_revisions'
down_revision = '0007_report_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'revisions',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade():
    op.drop_table('revisions')
