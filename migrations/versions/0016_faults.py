"""import staging and fault handling (issue 23)

An import is written in short transactions: its checked plan is staged in import_runs, and
the batches it receives stay hidden from removals (batches.import_id) until it is done.

Revision ID: 0016_faults
Revises: 0015_workbook
Create Date: 2026-12-04 16:40:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0016_faults'
down_revision = '0015_workbook'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'import_runs',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('copy', sa.Integer(), nullable=False),
        sa.Column('attempt', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('steps_total', sa.Integer(), nullable=False),
        sa.Column('steps_done', sa.Integer(), nullable=False),
        sa.Column('steps_reversed', sa.Integer(), nullable=False),
        sa.Column('plan', sa.LargeBinary(), nullable=False),
        sa.Column('summary', sa.JSON(), nullable=False),
        sa.Column('errors', sa.JSON(), nullable=True),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('sha256', 'copy', 'attempt', name='uq_import_runs_sha256_copy_attempt'),
    )
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_id', sa.String(length=36), nullable=True))
        batch_op.create_index('ix_batches_import_id', ['import_id'], unique=False)


def downgrade():
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.drop_index('ix_batches_import_id')
        batch_op.drop_column('import_id')
    op.drop_table('import_runs')
