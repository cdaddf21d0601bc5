"""bundles and the last site per user (issue 19)

Revision ID: 0013_bundles
Revises: 0012_areas_void_codes
Create Date: 2026-12-04 16:40:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401


revision = '0013_bundles'
down_revision = '0012_areas_void_codes'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
