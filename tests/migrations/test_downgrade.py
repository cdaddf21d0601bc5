"""Every migration is reversible on both databases, down to the first revision (issue 23)."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from supplies.extensions import db
from supplies.services.db.operations import OperationRequest
from supplies.services.distribution import events
from tests.conftest import Factory, make_app, new_id


def _chain(app) -> list[str]:
    """Every revision from the first to the head, oldest first."""
    config = app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def _differences() -> list:
    with db.engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), db.metadata)


def _a_little_of_everything(app) -> None:
    """Rows in the tables that older revisions rebuild: foreign keys are checked on SQLite
    (a rebuild drops a table other rows point at)."""
    make = Factory(app)
    make.site("HUB")
    make.supply("NARCAN4")
    staff = make.user("staff@example.org", "staff", sites=("HUB",))
    make.token(staff)
    make.receive("HUB", "NARCAN4", 10)
    body = {"site": "HUB", "items": [{"supply": "NARCAN4", "quantity": 2}]}
    events.distribute(staff, OperationRequest.new(new_id(), body), body)


def test_every_migration_goes_down_to_the_first_revision_and_up_again(database):
    app = make_app(database, create_schema=False)
    with app.app_context():
        chain = _chain(app)
        assert chain[0].startswith("0001"), chain
        upgrade()
        _a_little_of_everything(app)
        db.session.remove()
        # Down one step at a time, so a failure names the migration that cannot go back.
        for revision in reversed(chain[:-1]):
            downgrade(revision=revision)
        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set(), f"left behind after the last downgrade: {sorted(tables)}"
        upgrade()
        assert _differences() == [], "models and migrations differ after a round trip"
        db.session.remove()
        db.engine.dispose()


def test_supplies_stocked_before_0018_stay_offered_to_partner_agencies(database):
    app = make_app(database, create_schema=False)
    with app.app_context():
        upgrade(revision="0017_partners")
        supplies = sa.table(
            "supplies",
            *(sa.column(name) for name in ("code", "name", "category", "unit")),
            sa.column("doses_per_unit", sa.Integer),
            sa.column("tracks_lots", sa.Boolean),
            sa.column("active", sa.Boolean),
        )
        with db.engine.begin() as connection:
            connection.execute(
                supplies.insert().values(
                    code="FTS",
                    name="Fentanyl test strip",
                    category="fentanyl_test_strip",
                    unit="each",
                    doses_per_unit=0,
                    tracks_lots=False,
                    active=True,
                )
            )
        upgrade()
        with db.engine.connect() as connection:
            offered = connection.execute(sa.text("SELECT offered_to_partners FROM supplies"))
            assert [bool(value) for value in offered.scalars()] == [True]
        db.session.remove()
        db.engine.dispose()


def test_receipts_undone_before_0020_are_received_back_and_voids_stay_voids(database):
    app = make_app(database, create_schema=False)
    with app.app_context():
        upgrade(revision="0019_quarter_counts")
        _a_little_of_everything(app)
        movements = sa.table(
            "movements", sa.column("id", sa.Integer), sa.column("kind"), sa.column("quantity")
        )
        with db.engine.begin() as connection:
            rows = connection.execute(sa.select(movements.c.id, movements.c.kind)).all()
            receipt = next(id_ for id_, kind in rows if kind == "receive")
            given = next(id_ for id_, kind in rows if kind == "distribute")
            # As an undone import wrote them before: the receipt's units taken back as a
            # negative void; a distribution voided, its units put back as a positive one.
            for id_, quantity in ((receipt, -10), (given, 2)):
                connection.execute(
                    movements.update()
                    .where(movements.c.id == id_)
                    .values(kind="void", quantity=quantity)
                )
        upgrade()
        with db.engine.connect() as connection:
            kinds = dict(connection.execute(sa.select(movements.c.id, movements.c.kind)).all())
        assert (kinds[receipt], kinds[given]) == ("receive", "void")
        downgrade(revision="0019_quarter_counts")
        with db.engine.connect() as connection:
            kinds = dict(connection.execute(sa.select(movements.c.id, movements.c.kind)).all())
        assert (kinds[receipt], kinds[given]) == ("void", "void")
        db.session.remove()
        db.engine.dispose()
