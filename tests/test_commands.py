"""The flask CLI commands of DESIGN.md."""

from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from supplies.extensions import db
from supplies.models import (
    ApiToken,
    Balance,
    Batch,
    DistributionEvent,
    FundingSource,
    Site,
    Supply,
    User,
)
from supplies.services.accounts import tokens
from supplies.services.common import clock
from tests.conftest import PASSWORD, make_app, new_id


def test_init_db_builds_the_schema_from_migrations_and_is_safe_to_repeat(database):
    app = make_app(database, create_schema=False)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["init-db"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["init-db"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert differences == [], "models and migrations differ: add a migration"
        db.engine.dispose()


def test_seed_demo_loads_a_realistic_program(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--events", "300"])
    assert result.exit_code == 0, result.output
    assert "staff@example.org" in result.output
    with app.app_context():
        kinds = set(db.session.execute(db.select(Site.kind)).scalars())
        assert len(kinds) >= 5
        names = set(db.session.execute(db.select(Supply.name)).scalars())
        assert len(names) >= 10
        for expected in (
            "Narcan 4 mg",
            "Naloxone 4 mg nasal",
            "IM kit",
            "RiVive 3 mg",
            "Fentanyl test",
            "Xylazine test",
            "Syringe",
            "Wound care",
        ):
            assert any(expected in name for name in names), expected
        narcan = db.session.execute(db.select(Supply).where(Supply.code == "NARCAN4")).scalar_one()
        assert narcan.doses_per_unit == 2 and narcan.unit == "box"
        today = clock.today()
        expiries = set(
            db.session.execute(
                db.select(Batch.expires_on)
                .join(Balance, Balance.batch_id == Batch.id)
                .where(Balance.quantity > 0)
            ).scalars()
        )
        assert any(e and today <= e <= today + timedelta(days=60) for e in expiries)
        assert any(e and e < today for e in expiries)
        assert db.session.execute(db.select(db.func.count(FundingSource.id))).scalar() == 3
        events = db.session.execute(db.select(db.func.count(DistributionEvent.id))).scalar()
        assert events >= 290
        roles = set(db.session.execute(db.select(User.role)).scalars())
        assert roles == {"admin", "coordinator", "staff", "funder", "partner"}
    assert runner.invoke(args=["check-ledger"]).exit_code == 0
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code != 0
    assert runner.invoke(args=["seed-demo", "--if-empty"]).exit_code == 0


def test_demo_users_can_sign_in(app, client, auth):
    app.test_cli_runner().invoke(args=["seed-demo", "--events", "20"])
    from supplies.demo import DEMO_USERS

    for email, password, _role in DEMO_USERS:
        response = auth.login(email, password)
        assert response.status_code == 302 and response.headers["Location"].endswith("/home")
        assert client.get("/home", follow_redirects=True).status_code == 200
        auth.logout()


def test_create_user_and_token(app, api):
    runner = app.test_cli_runner()
    with app.app_context():
        from tests.conftest import Factory

        Factory(app).site("HUB")
    result = runner.invoke(
        args=[
            "create-user",
            "worker@example.org",
            "--role",
            "staff",
            "--site",
            "HUB",
            "--password",
            PASSWORD,
        ]
    )
    assert result.exit_code == 0, result.output
    short = runner.invoke(
        args=["create-user", "x@example.org", "--role", "coordinator", "--password", "short"]
    )
    assert short.exit_code != 0 and "12 characters" in short.output
    unknown_site = runner.invoke(
        args=[
            "create-user",
            "y@example.org",
            "--role",
            "staff",
            "--site",
            "NOPE",
            "--password",
            PASSWORD,
        ]
    )
    assert unknown_site.exit_code != 0 and "NOPE" in unknown_site.output
    prompted = runner.invoke(
        args=["create-user", "z@example.org", "--role", "funder"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert prompted.exit_code == 0, prompted.output
    token_output = runner.invoke(args=["create-token", "worker@example.org"])
    assert token_output.exit_code == 0
    token = token_output.output.strip()
    assert api.get("/stock", token).status_code == 200
    with app.app_context():
        stored = [t.token_hash for t in db.session.execute(db.select(ApiToken)).scalars()]
        assert token not in stored and tokens.hash_token(token) in stored
    assert runner.invoke(args=["create-token", "nobody@example.org"]).exit_code != 0


def test_check_ledger_fails_when_a_balance_is_tampered_with(app, make):
    make.site("HUB")
    make.supply("FTS", category="fentanyl_test_strip")
    make.receive("HUB", "FTS", 10)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["check-ledger"]).exit_code == 0
    db.session.execute(db.update(Balance).values(quantity=9))
    db.session.commit()
    result = runner.invoke(args=["check-ledger"])
    assert result.exit_code == 1
    assert "MISMATCH site=HUB supply=FTS" in result.output


def test_check_ledger_names_events_logged_at_a_partner_agency(app, make, program, api):
    """Logged before agencies only reported: not a ledger fault, but said, so a coordinator
    knows why the agency's Distributed is not 0."""
    make.receive("VAN", "FTS", 10)
    event = {"id": new_id(), "site": "VAN", "items": [{"supply": "FTS", "quantity": 2}]}
    assert api.post("/distributions", program["tokens"]["coordinator"], event).status_code == 201
    runner = app.test_cli_runner()
    assert "NOTE" not in runner.invoke(args=["check-ledger"]).output
    db.session.execute(db.update(Site).where(Site.code == "VAN").values(kind="partner_agency"))
    db.session.commit()
    result = runner.invoke(args=["check-ledger"])
    assert result.exit_code == 0
    assert "NOTE: 1 distribution event(s) logged at partner agency VAN" in result.output


def test_backup_copies_a_consistent_sqlite_database(app, make, tmp_path):
    import sqlite3

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "x.db")])
        assert result.exit_code != 0 and "pg_dump" in result.output
        return
    make.site("HUB")
    make.supply("FTS", category="fentanyl_test_strip")
    make.receive("HUB", "FTS", 10)
    target = tmp_path / "backup.db"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT quantity FROM balances").fetchall() == [(10,)]
    copy.close()
    again = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert again.exit_code != 0
