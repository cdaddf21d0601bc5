"""partner agencies: supply requests and monthly partner reports (issue 24)

Revision ID: 0017_partners
Revises: 0016_faults
Create Date: 2026-12-04 20:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0017_partners'
down_revision = '0016_faults'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'supply_requests',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('needed_by', sa.Date(), nullable=True),
        sa.Column('decline_reason', sa.String(length=32), nullable=True),
        sa.Column('from_site_id', sa.Integer(), nullable=True),
        sa.Column('transfer_id', sa.String(length=36), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id']),
        sa.ForeignKeyConstraint(['from_site_id'], ['sites.id']),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        'ix_supply_requests_status_created', 'supply_requests', ['status', 'created_at']
    )
    op.create_index(
        'ix_supply_requests_site_created', 'supply_requests', ['site_id', 'created_at']
    )
    op.create_table(
        'supply_request_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.String(length=36), nullable=False),
        sa.Column('supply_id', sa.Integer(), nullable=False),
        sa.Column('requested', sa.Integer(), nullable=False),
        sa.Column('approved', sa.Integer(), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.CheckConstraint('requested > 0', name='ck_supply_request_lines_requested'),
        sa.CheckConstraint(
            'approved IS NULL OR (approved >= 0 AND approved <= requested)',
            name='ck_supply_request_lines_approved',
        ),
        sa.ForeignKeyConstraint(['request_id'], ['supply_requests.id']),
        sa.ForeignKeyConstraint(['supply_id'], ['supplies.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('request_id', 'supply_id', name='uq_supply_request_lines_supply'),
    )
    op.create_table(
        'partner_reports',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('encounters', sa.Integer(), nullable=True),
        sa.Column('reversals_reported', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('encounters IS NULL OR encounters >= 0', name='ck_partner_reports_enc'),
        sa.CheckConstraint(
            'reversals_reported IS NULL OR reversals_reported >= 0',
            name='ck_partner_reports_reversals',
        ),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id']),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('site_id', 'month', name='uq_partner_reports_site_month'),
    )
    op.create_index('ix_partner_reports_month', 'partner_reports', ['month'])
    op.create_table(
        'partner_report_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('report_id', sa.String(length=36), nullable=False),
        sa.Column('supply_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.CheckConstraint('quantity >= 0', name='ck_partner_report_lines_quantity'),
        sa.ForeignKeyConstraint(['report_id'], ['partner_reports.id']),
        sa.ForeignKeyConstraint(['supply_id'], ['supplies.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('report_id', 'supply_id', name='uq_partner_report_lines_supply'),
    )


def downgrade():
    # Partner accounts have no role to go back to: they are deactivated, not deleted, so
    # the audit log keeps naming them.
    users = sa.table('users', sa.column('role', sa.String), sa.column('active', sa.Boolean))
    op.execute(users.update().where(users.c.role == 'partner').values(active=False))
    op.drop_table('partner_report_lines')
    op.drop_index('ix_partner_reports_month', table_name='partner_reports')
    op.drop_table('partner_reports')
    op.drop_table('supply_request_lines')
    op.drop_index('ix_supply_requests_site_created', table_name='supply_requests')
    op.drop_index('ix_supply_requests_status_created', table_name='supply_requests')
    op.drop_table('supply_requests')
