"""what the funder workbook needs stored (issue 21)

No schema change was needed: Received splits receipts by the batch's existing source and
funding source, Write-offs reads the adjustments' reasons. The revision stays, empty, so
the chain 0014 -> 0016 holds.

Revision ID: 0015_workbook
Revises: 0014_coordinators
Create Date: 2026-12-04 16:40:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401


revision = '0015_workbook'
down_revision = '0014_coordinators'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
