"""bundles and the last site per user (issue 19)

Bundles (a named set of supplies and quantities offered as one tap), the distribution
site each user used last, and `trained` left null when the question was not asked.

Revision ID: 0013_bundles
Revises: 0012_areas_void_codes
Create Date: 2026-12-04 16:40:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0013_bundles'
down_revision = '0012_areas_void_codes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'bundles',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code'),
    )
    op.create_table(
        'bundle_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('bundle_id', sa.Integer(), nullable=False),
        sa.Column('supply_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.CheckConstraint('quantity > 0', name='ck_bundle_lines_quantity'),
        sa.ForeignKeyConstraint(['bundle_id'], ['bundles.id']),
        sa.ForeignKeyConstraint(['supply_id'], ['supplies.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('bundle_id', 'supply_id', name='uq_bundle_lines_bundle_supply'),
    )
    op.create_index('ix_bundle_lines_bundle', 'bundle_lines', ['bundle_id'])
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('last_site_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_users_last_site_id_sites', 'sites', ['last_site_id'], ['id'])
    # Until now the screen answered "no" for a question it had not asked; the events keep
    # what they say, and new ones leave it empty when not asked.
    with op.batch_alter_table('distribution_events') as batch:
        batch.alter_column('trained', existing_type=sa.Boolean(), nullable=True)


def downgrade():
    events = sa.table('distribution_events', sa.column('trained', sa.Boolean))
    op.execute(events.update().where(events.c.trained.is_(None)).values(trained=False))
    with op.batch_alter_table('distribution_events') as batch:
        batch.alter_column('trained', existing_type=sa.Boolean(), nullable=False)
    with op.batch_alter_table('users') as batch:
        batch.drop_constraint('fk_users_last_site_id_sites', type_='foreignkey')
        batch.drop_column('last_site_id')
    op.drop_index('ix_bundle_lines_bundle', table_name='bundle_lines')
    op.drop_table('bundle_lines')
    op.drop_table('bundles')
