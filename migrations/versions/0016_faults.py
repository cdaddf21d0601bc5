"""import staging and fault handling (issue 23)

Revision ID: 0016_faults
Revises: 0015_workbook
Create Date: 2026-12-04 16:40:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401


revision = '0016_faults'
down_revision = '0015_workbook'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
