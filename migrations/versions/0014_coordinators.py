"""multi-line transfers and what coordinators need (issue 20)

Revision ID: 0014_coordinators
Revises: 0013_bundles
Create Date: 2026-12-04 16:40:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401


revision = '0014_coordinators'
down_revision = '0013_bundles'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
