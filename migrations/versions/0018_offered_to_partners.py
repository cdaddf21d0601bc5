"""supplies offered to partner agencies (issue 24)

A partner's request form offers only the supplies the program offers partners; every
supply that exists when this runs stays offered.

Revision ID: 0018_offered_to_partners
Revises: 0017_partners
Create Date: 2026-12-05 10:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0018_offered_to_partners'
down_revision = '0017_partners'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('supplies', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'offered_to_partners', sa.Boolean(), server_default=sa.true(), nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table('supplies', schema=None) as batch_op:
        batch_op.drop_column('offered_to_partners')
