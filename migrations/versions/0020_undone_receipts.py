"""receipts undone with their import are received back, not voided

An import refused midway is undone by reversing movements. Those of its receipts were
written as "void" (negative), a kind the funder workbook counts as Distributed: a stock
import undone showed its units as handed out. They are "receive" movements now, negative,
so Received nets to what was really received. Voids of distributions put units back
(positive), so a negative void was always such a reversed receipt.

Revision ID: 0020_undone_receipts
Revises: 0019_quarter_counts
Create Date: 2026-12-05 08:00:00

"""
from alembic import op


revision = '0020_undone_receipts'
down_revision = '0019_quarter_counts'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE movements SET kind = 'receive' WHERE kind = 'void' AND quantity < 0")


def downgrade():
    op.execute("UPDATE movements SET kind = 'void' WHERE kind = 'receive' AND quantity < 0")
