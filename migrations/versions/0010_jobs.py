"""jobs and stored files: background work and the files it takes and makes, for every server

Revision ID: 0010_jobs
Revises: 0009_dated_ledger
Create Date: 2026-12-04 15:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0010_jobs'
down_revision = '0009_dated_ledger'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stored_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('media_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'name', name='uq_stored_files_kind_name'),
    )
    op.create_index('ix_stored_files_expires_at', 'stored_files', ['expires_at'], unique=False)
    op.create_table(
        'stored_file_chunks',
        sa.Column('file_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['file_id'], ['stored_files.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('file_id', 'number'),
    )
    op.create_table(
        'jobs',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=True),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('message', sa.JSON(), nullable=True),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('worker', sa.String(length=200), nullable=True),
        sa.Column('file_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['file_id'], ['stored_files.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_jobs_key_created_at', 'jobs', ['key', 'created_at'], unique=False)
    op.create_index('ix_jobs_status_heartbeat_at', 'jobs', ['status', 'heartbeat_at'], unique=False)


def downgrade():
    op.drop_index('ix_jobs_status_heartbeat_at', table_name='jobs')
    op.drop_index('ix_jobs_key_created_at', table_name='jobs')
    op.drop_table('jobs')
    op.drop_table('stored_file_chunks')
    op.drop_index('ix_stored_files_expires_at', table_name='stored_files')
    op.drop_table('stored_files')
