"""flask CLI commands: set-up, accounts, the ledger check, reports, imports, backup."""

import shutil
import sqlite3
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy.exc import SQLAlchemyError

from supplies import demo
from supplies.extensions import db
from supplies.models import Site
from supplies.services.accounts import tokens, users
from supplies.services.common.errors import DomainError
from supplies.services.imports import runner
from supplies.services.stock import on_hand
from supplies.vocab import ROLES


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema (safe to repeat)."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    click.echo("Database schema is up to date.")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has sites.")
@click.option("--events", default=2000, show_default=True, help="How many events to generate.")
@with_appcontext
def seed_demo(if_empty: bool, events: int) -> None:
    """Load demo sites, supplies, lots, a few months of events and one user per role."""
    if db.session.execute(db.select(Site.id).limit(1)).first():
        if if_empty:
            click.echo("Demo data already loaded.")
            return
        raise click.ClickException("The database already has data; seed-demo needs an empty one.")
    summary = demo.seed(event_count=events)
    click.echo(
        f"Loaded {summary['sites']} sites, {summary['supplies']} supplies, "
        f"{summary['events']} distribution events."
    )
    click.echo("Demo sign-ins (development only):")
    for email, password, role in demo.DEMO_USERS:
        click.echo(f"  {role:<12} {email:<28} {password}")


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--site", "sites", multiple=True, help="Site code (repeat for several).")
@click.option("--name", default=None)
@click.option("--password", default=None, help="Prompted for when absent.")
@with_appcontext
def create_user(
    email: str, role: str, sites: tuple, name: str | None, password: str | None
) -> None:
    """Create an account with a role and, for staff, their sites."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = users.create_user(email, role, password, sites, name=name)
    except DomainError as error:
        details = "; ".join(f"{field}: {why}" for field, why in error.fields.items())
        raise click.ClickException(f"{error.message} {details}".strip()) from None
    click.echo(f"Created {user.role} {user.email}.")


@click.command("create-token")
@click.argument("email")
@click.option("--name", default="API token")
@with_appcontext
def create_token(email: str, name: str) -> None:
    """Print a new API token for a user, once; only its hash is stored."""
    user = users.user_by_email(email)
    if user is None or not user.active:
        raise click.ClickException(f"No active account for {email}.")
    click.echo(tokens.create_token(user, name))


@click.command("check-ledger")
@with_appcontext
def check_ledger() -> None:
    """Exit 0 when every balance equals the sum of its movements."""
    problems = on_hand.check_ledger()
    for problem in problems:
        click.echo(
            f"MISMATCH site={problem.site} supply={problem.supply} batch={problem.batch_id} "
            f"balance={problem.balance} movements={problem.movements}",
            err=True,
        )
    if problems:
        raise click.exceptions.Exit(1)
    click.echo("Ledger OK: every balance equals the sum of its movements.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup(path: str) -> None:
    """Copy the SQLite database to PATH with SQLite's online backup (safe while serving)."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        raise click.ClickException("On PostgreSQL use pg_dump (see docs/deploy.md).")
    target = Path(path)
    if target.exists():
        raise click.ClickException(f"{target} exists; choose a new file.")
    raw = engine.raw_connection()
    try:
        with sqlite3.connect(target) as copy:
            raw.driver_connection.backup(copy)
        copy.close()
    finally:
        raw.close()
    click.echo(f"Backed up to {target}.")


@click.command("export-report")
@click.option("--start", required=True, help="First day, YYYY-MM-DD (inclusive).")
@click.option("--end", required=True, help="Last day, YYYY-MM-DD (inclusive).")
@click.option("--site", "sites", multiple=True, help="Site code (repeat for several).")
@click.option("--funding", default=None, help="Funding source code.")
@click.option("--output", type=click.Path(dir_okay=False), default=None, help="Copy it here.")
@click.option(
    "--language",
    type=click.Choice(["en", "es"]),
    default="en",
    show_default=True,
    help="The workbook's language (sheet, table and contract column names stay English).",
)
@with_appcontext
def export_report(start, end, sites, funding, output, language) -> None:
    """Write the funder workbook, archive it in EXPORT_DIR and print where it is."""
    from supplies.services.reporting import exports
    from supplies.services.reporting import report as reporting

    try:
        filters = reporting.make_filters(start, end, sites, funding, language)
    except DomainError as error:
        details = "; ".join(f"--{field}: {why}" for field, why in error.fields.items())
        raise click.ClickException(f"{error.message} {details}".strip()) from None
    steps = reporting.REPORT_STEPS
    with click.progressbar(length=len(steps), label="Building the workbook", file=None) as bar:
        record = exports.funder_export(None, filters, lambda _name: bar.update(1))
    path = record.path
    if output:
        shutil.copyfile(path, output)
        path = output
    click.echo(f"Wrote {path} ({record.size:,} bytes, sha256 {record.sha256}).")


def _echo_preview(checked: runner.Preview) -> None:
    summary = checked.summary()
    click.echo(f"{checked.kind} from {checked.filename} (sha256 {checked.sha256[:12]}...)")
    click.echo(f"Rows read: {checked.rows}")
    for warning in checked.warnings:
        click.echo(f"Note: {warning}")
    unit = "events" if checked.kind == runner.DISTRIBUTIONS else "rows"
    if summary["by_site_supply"]:
        click.echo(f"{'site':<16} {'supply':<16} {unit:>8} {'units':>10}")
        for line in summary["by_site_supply"]:
            site, supply, count, units = line["site"], line["supply"], line[unit], line["units"]
            click.echo(f"{site:<16} {supply:<16} {count:>8} {units:>10}")
    _echo_errors(checked.errors)


def _echo_errors(errors) -> None:
    if errors:
        click.echo(f"{len(errors)} refused:", err=True)
        for error in errors:
            click.echo(f"  {error}", err=True)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(runner.KINDS), required=True)
@click.option("--dry-run", is_flag=True, help="Check and show the preview; write nothing.")
@click.option("--force", is_flag=True, help="Import a file that was already imported.")
@click.option("--user", "email", default=None, help="Record the import as this account's.")
@with_appcontext
def import_file(file: Path, kind: str, dry_run: bool, force: bool, email: str | None) -> None:
    """Import starting stock or past distributions from an .xlsx or .csv file."""
    actor = runner.CommandLineActor()
    if email:
        actor = users.user_by_email(email)
        if actor is None or not actor.active:
            raise click.ClickException(f"No active account for {email}.")
    estimate = runner.estimate_rows(file)
    show = estimate > 5000
    with click.progressbar(length=2 * estimate, label="Checking", hidden=not show) as bar:
        checked = runner.preview(actor, file, file.name, kind, force, bar.update)
    _echo_preview(checked)
    if checked.errors or not checked.ok:
        if not checked.errors:
            click.echo("Nothing to import.", err=True)
        click.echo("Nothing was imported.", err=True)
        raise click.exceptions.Exit(1)
    if dry_run:
        click.echo("Dry run: nothing was written.")
        return
    try:
        with click.progressbar(length=len(checked.plan), label="Importing", hidden=not show) as bar:
            outcome = runner.apply(actor, checked, bar.update)
    except runner.ImportRefused as refused:
        _echo_errors(refused.errors)
        click.echo(refused.message, err=True)
        raise click.exceptions.Exit(1) from None
    except DomainError as error:
        raise click.ClickException(error.message) from None
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", error))[:200]
        raise click.ClickException(f"The database refused the import: {reason}.") from None
    summary = outcome.result
    made = summary.get("events", summary.get("receipts"))
    click.echo(
        f"Imported {summary['rows']} rows: {made} {checked.kind} records, {summary['units']} units."
    )


COMMANDS = [
    init_db,
    seed_demo,
    create_user,
    create_token,
    check_ledger,
    export_report,
    import_file,
    backup,
]
