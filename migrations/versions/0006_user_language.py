"""users.language: each person's chosen language (null: follow the browser)

Revision ID: 0006_user_language
Revises: 0005_overview_indexes
Create Date: 2026-11-26 23:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006_user_language'
down_revision = '0005_overview_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
