"""multi-line transfers and what coordinators need (issue 20)

No schema change was needed: a transfer's lines are its movements (one operation id) and
its recorded result (the packing slip reads them); the lots search reads the existing
indexes (ix_batches_supply_lot, ix_balances_batch_site); the run-out forecast sums
movements through ix_movements_kind_supply_occurred. The revision stays, empty, so the
chain 0013 -> 0015 holds.

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
