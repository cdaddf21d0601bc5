"""flask CLI commands: set-up, accounts, the ledger check, reports, imports, backup."""

import sqlite3
import textwrap
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy.exc import SQLAlchemyError

from supplies import demo
from supplies.extensions import db
from supplies.models import Site
from supplies.services import areas
from supplies.services.accounts import tokens, users
from supplies.services.common.errors import DomainError
from supplies.services.db.unit_of_work import transaction
from supplies.services.distribution import quarters
from supplies.services.imports import runner
from supplies.services.partners import usage
from supplies.services.stock import ledger_check, on_hand
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
    """Create an account with a role and, for staff, their sites (a partner: its agency)."""
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
@click.option(
    "--repair-report",
    is_flag=True,
    help="List every violation with its movements and a suggested fix (changes nothing).",
)
@with_appcontext
def check_ledger(repair_report: bool) -> None:
    """Exit 0 when every balance equals the sum of its movements and, replayed in
    business-time order, no running balance of a lot at a site is ever below zero."""
    if repair_report:
        _repair_report()
        return
    problems = on_hand.check_ledger()
    negatives = 0
    for problem in problems:
        if isinstance(problem, ledger_check.NegativeInTime):
            negatives += 1
            click.echo(
                f"BELOW ZERO site={problem.site} supply={problem.supply} "
                f"lot={problem.lot_number or '-'} batch={problem.batch_id} "
                f"at={ledger_check.when(problem.occurred_at)} balance={problem.balance} "
                f"(movement {problem.movement_id}, {problem.kind}; lowest {problem.lowest}, "
                f"{problem.dips} movement(s) below zero)",
                err=True,
            )
            continue
        click.echo(
            f"MISMATCH site={problem.site} supply={problem.supply} batch={problem.batch_id} "
            f"balance={problem.balance} movements={problem.movements}",
            err=True,
        )
    if negatives:
        click.echo(
            f"{negatives} lot(s) at a site go below zero in business time; "
            "check-ledger --repair-report lists their movements and suggests fixes.",
            err=True,
        )
    # Not a ledger fault, but a partner's figures assume none: say where and leave it.
    for code, events in usage.events_logged_at_partners():
        click.echo(
            f"NOTE: {events} distribution event(s) logged at partner agency {code}, which "
            "reports what it hands out instead: they count as distributed there, beside its "
            "reports (logged before this was refused)."
        )
    if problems:
        raise click.exceptions.Exit(1)
    click.echo(
        "Ledger OK: every balance equals the sum of its movements, and no running balance "
        "goes below zero in business time."
    )


def _wrapped(text: str, indent: str) -> str:
    return textwrap.fill(text, width=92, initial_indent=indent, subsequent_indent=indent)


def _repair_report() -> None:
    """Print every violation of the ledger, in detail; read-only, exit 1 when any."""
    mismatches = [p for p in on_hand.check_ledger() if isinstance(p, on_hand.LedgerMismatch)]
    violations = ledger_check.repair_report()
    click.echo("Repair report (read-only: nothing is changed).")
    for problem in mismatches:
        click.echo(
            f"MISMATCH site={problem.site} supply={problem.supply} batch={problem.batch_id}: "
            f"the balance table holds {problem.balance}, its movements add up to "
            f"{problem.movements}. The movements are the record: a balance that differs "
            "was changed outside the application; restore the database from a backup."
        )
    for number, violation in enumerate(violations, 1):
        first = violation.negative
        click.echo("")
        click.echo(
            f"{number}. {first.site} ({first.site_name}), {first.supply} ({first.supply_name}), "
            f"lot {first.lot_number or '-'} (batch {first.batch_id})"
        )
        click.echo(
            f"   first below zero: {ledger_check.when(first.occurred_at)}, balance "
            f"{first.balance} after movement {first.movement_id} ({first.kind})"
        )
        click.echo(
            f"   lowest balance: {first.lowest}; {first.dips} movement(s) leave it below zero"
        )
        if not violation.arrivals:
            click.echo("   arrived: never (no receipt or transfer brought it to this site)")
        for arrival in violation.arrivals:
            click.echo(
                f"   arrived: {ledger_check.when(arrival.occurred_at)} {arrival.kind} "
                f"{arrival.quantity:+d} (movement {arrival.movement_id})"
            )
        click.echo("   below zero after:")
        for moved in violation.below:
            click.echo(
                f"     {ledger_check.when(moved.occurred_at)}  movement {moved.movement_id:<8} "
                f"{moved.kind:<12} {moved.quantity:>+7d}  balance {moved.balance:>7d}  "
                f"operation {moved.operation_id}"
            )
        click.echo(_wrapped(f"suggested fix: {violation.suggestion}", "   "))
    if not mismatches and not violations:
        click.echo(
            "No violations: every balance equals the sum of its movements, and no running "
            "balance goes below zero in business time."
        )
        return
    click.echo("")
    click.echo(
        f"{len(mismatches)} balance mismatch(es), {len(violations)} lot(s) at a site below "
        f"zero in business time ({sum(len(v.below) for v in violations)} movements). "
        "Nothing was changed.",
        err=True,
    )
    raise click.exceptions.Exit(1)


@click.command("check-areas")
@with_appcontext
def check_areas() -> None:
    """Exit 0 when every event's area is on the program's list (or a ZIP prefix); else
    list each other value with its count. Exports show those as "other area"."""
    unlisted = areas.unlisted_counts()
    for value, count in unlisted:
        click.echo(f"NOT LISTED area={value!r} events={count}", err=True)
    if unlisted:
        total = sum(count for _, count in unlisted)
        click.echo(
            f"{total} event(s) name {len(unlisted)} area(s) not on the list; exports show "
            f'them as "{areas.OTHER_AREA}". Add a real county on the Areas screen.',
            err=True,
        )
        raise SystemExit(1)
    click.echo("Every event's area is on the list or a ZIP prefix.")


@click.group("quarter")
def quarter() -> None:
    """Close a reporting quarter early, or reopen one to enter history (audited)."""


def _change_quarter(label: str, closing: bool) -> None:
    try:
        with transaction():
            period = quarters.parse(label)
            before = quarters.closed_since(period)
            if closing:
                quarters.close(None, period)
            else:
                quarters.reopen(None, period)
            after = quarters.closed_since(period)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    span = f"{period.label} ({period.starts_on.isoformat()} to {period.ends_on.isoformat()})"
    earlier = f"It had been closed since {before.isoformat()}." if before else "It was open."
    if closing:
        click.echo(
            f"Closed {span} on {after.isoformat() if after else '?'}: distributions and voids "
            f"dated in it are refused until it is reopened. {earlier}"
        )
    else:
        click.echo(
            f"Reopened {span}: distributions and voids dated in it are accepted until "
            f"`quarter close {period.label}`; workbooks made from now on name it as reopened. "
            f"{earlier}"
        )
    click.echo("Recorded in the audit log (by the command line).")


@quarter.command("close")
@click.argument("label", metavar="QUARTER")
@with_appcontext
def quarter_close(label: str) -> None:
    """Close an ended quarter now, before REPORTING_CLOSE_DAYS have passed (e.g. 2026-Q3)."""
    _change_quarter(label, closing=True)


@quarter.command("reopen")
@click.argument("label", metavar="QUARTER")
@with_appcontext
def quarter_reopen(label: str) -> None:
    """Reopen a closed quarter so history dated in it can be entered (e.g. 2026-Q3)."""
    _change_quarter(label, closing=False)


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
    """Write the funder workbook, archive it, and write a copy to --output or EXPORT_DIR."""
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
    # The archive is in the database; the command's copy goes where it was asked.
    path = Path(output) if output else exports.export_dir() / record.name
    path.write_bytes(exports.read_archive(record))
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


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
@click.option("--name", default=None, help="The worker's name in Redis (default: a fresh one).")
@with_appcontext
def worker(burst: bool, name: str | None) -> None:
    """Run the background jobs of the Redis queue (REDIS_URL); run one or more per program."""
    from supplies.jobs import worker as jobs_worker

    try:
        jobs_worker.work(current_app._get_current_object(), burst=burst, name=name)
    except jobs_worker.NoQueue as error:
        raise click.ClickException(str(error)) from None


COMMANDS = [
    init_db,
    seed_demo,
    create_user,
    create_token,
    check_ledger,
    check_areas,
    quarter,
    export_report,
    import_file,
    backup,
    worker,
]
