"""Partner accounts: one partner agency each, made on the command line or by an admin."""

from supplies.extensions import db
from supplies.models import User
from tests.conftest import PASSWORD, Factory


def _create(runner, email, *sites):
    args = ["create-user", email, "--role", "partner", "--password", PASSWORD]
    for code in sites:
        args += ["--site", code]
    return runner.invoke(args=args)


def test_create_user_makes_a_partner_account_for_one_partner_agency(app, client, api):
    runner = app.test_cli_runner()
    with app.app_context():
        make = Factory(app)
        make.site("HUB")
        make.site("CLINIC", "partner_agency")
        make.site("SHELTER", "partner_agency")
    made = _create(runner, "clinic@example.org", "CLINIC")
    assert made.exit_code == 0, made.output
    assert "Created partner clinic@example.org" in made.output
    program_site = _create(runner, "hub@example.org", "HUB")
    assert program_site.exit_code != 0 and "HUB is not a partner agency" in program_site.output
    none = _create(runner, "none@example.org")
    assert none.exit_code != 0 and "exactly one partner agency" in none.output
    two = _create(runner, "two@example.org", "CLINIC", "SHELTER")
    assert two.exit_code != 0 and "exactly one partner agency" in two.output
    with app.app_context():
        emails = set(
            db.session.execute(db.select(User.email).where(User.role == "partner")).scalars()
        )
        assert emails == {"clinic@example.org"}
    token = runner.invoke(args=["create-token", "clinic@example.org"]).output.strip()
    # A partner's token reaches its agency's requests, and no stock.
    assert api.get("/requests", token).status_code == 200
    assert api.get("/stock", token).status_code == 403
