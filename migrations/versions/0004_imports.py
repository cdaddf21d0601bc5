"""imported files

Revision ID: 0004_imports
Revises: 0003_count_sessions
Create Date: 2026-11-26 23:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_imports'
down_revision = '0003_count_sessions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('imported_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('copy', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('forced', sa.Boolean(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('operation_id', sa.String(length=36), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sha256', 'copy', name='uq_imported_files_sha256_copy')
    )


def downgrade():
    op.drop_table('imported_files')
