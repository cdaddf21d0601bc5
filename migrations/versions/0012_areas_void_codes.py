"""areas: the program's list of counties and ZIP prefixes; void reasons become codes

Revision ID: 0012_areas_void_codes
Revises: 0011_user_sessions
Create Date: 2026-12-04 15:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0012_areas_void_codes'
down_revision = '0011_user_sessions'
branch_labels = None
depends_on = None

# Old void reasons (the screen's English labels, its codes, or free text from the API)
# to the codes of DESIGN.md; anything else becomes "other" (free text could name someone).
VOID_CODES = {
    'Entered by mistake': 'entered_in_error',
    'entered_by_mistake': 'entered_in_error',
    'Wrong supply or quantity': 'wrong_quantity',
    'Wrong site': 'entered_in_error',
    'wrong_site': 'entered_in_error',
    'Logged twice': 'duplicate',
    'logged_twice': 'duplicate',
    'Participant did not take it': 'participant_declined',
    'not_taken': 'participant_declined',
}
CODES = (
    'entered_in_error', 'wrong_quantity', 'wrong_supply', 'duplicate',
    'participant_declined', 'other',
)


def _recode(table, column, where=None):
    for old, new in VOID_CODES.items():
        condition = table.c[column] == old
        op.execute(table.update().where(condition if where is None else sa.and_(where, condition)).values({column: new}))
    rest = sa.and_(table.c[column].is_not(None), table.c[column].not_in(CODES))
    op.execute(table.update().where(rest if where is None else sa.and_(where, rest)).values({column: 'other'}))


def upgrade():
    op.create_table(
        'areas',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('state', sa.String(length=2), nullable=True),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )
    events = sa.table('distribution_events', sa.column('void_reason', sa.String))
    _recode(events, 'void_reason')
    movements = sa.table('movements', sa.column('kind', sa.String), sa.column('note', sa.String))
    _recode(movements, 'note', movements.c.kind == 'void')


def downgrade():
    op.drop_table('areas')
