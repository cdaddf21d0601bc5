"""`flask import FILE --kind ...`: the same preview and errors; non-zero exit when refused."""

from datetime import date, timedelta

from supplies.extensions import db
from supplies.models import DistributionEvent, ImportedFile, Movement
from tests.imports.files import DISTRIBUTION_HEADER, STOCK_HEADER, csv_file, xlsx

EXPIRES = date.today() + timedelta(days=400)
DAY = date.today() - timedelta(days=10)


def _stock_file(tmp_path):
    rows = [STOCK_HEADER, ["HUB", "NARCAN4", "L1", EXPIRES, "SOR", 24, DAY - timedelta(days=5)]]
    return xlsx(tmp_path / "stock.xlsx", rows + [["VAN", "FTS", None, None, None, 40, None]])


def test_dry_run_prints_the_preview_and_writes_nothing(program, app, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["import", str(_stock_file(tmp_path)), "--kind", "stock", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "HUB" in result.output and "NARCAN4" in result.output and "24" in result.output
    assert "Dry run: nothing was written." in result.output
    with app.app_context():
        assert db.session.execute(db.select(Movement.id)).first() is None


def test_import_then_refuse_the_same_file_unless_forced(program, app, tmp_path):
    runner = app.test_cli_runner()
    path = str(_stock_file(tmp_path))
    first = runner.invoke(args=["import", path, "--kind", "stock"])
    assert first.exit_code == 0, first.output
    assert "Imported 2 rows" in first.output
    again = runner.invoke(args=["import", path, "--kind", "stock"])
    assert again.exit_code == 1
    assert "already imported" in again.output
    forced = runner.invoke(args=["import", path, "--kind", "stock", "--force"])
    assert forced.exit_code == 0, forced.output
    distributions = csv_file(
        tmp_path / "d.csv", [DISTRIBUTION_HEADER, [DAY.isoformat(), "HUB", "NARCAN4", "2"]]
    )
    done = runner.invoke(
        args=[
            "import",
            str(distributions),
            "--kind",
            "distributions",
            "--user",
            "coord@example.org",
        ]
    )
    assert done.exit_code == 0, done.output
    with app.app_context():
        assert len(db.session.execute(db.select(ImportedFile.id)).all()) == 3
        event = db.session.execute(db.select(DistributionEvent)).scalar_one()
        assert event.user_id is not None
    check = runner.invoke(args=["check-ledger"])
    assert check.exit_code == 0, check.output


def test_bad_rows_are_listed_and_the_exit_code_is_not_zero(program, app, tmp_path):
    rows = [
        DISTRIBUTION_HEADER,
        ["not a date", "HUB", "FTS", "1"],
        [DAY.isoformat(), "HUB", "FTS", "3"],
    ]
    path = csv_file(tmp_path / "bad.csv", rows, "cp1252")
    result = app.test_cli_runner().invoke(args=["import", str(path), "--kind", "distributions"])
    assert result.exit_code == 1
    assert "row 2, column A (date)" in result.output
    assert "row 3, column D (quantity): stock would go negative" in result.output
    assert "Nothing was imported." in result.output


def test_a_corrupt_file_gets_a_clear_message(program, app, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04garbage")
    result = app.test_cli_runner().invoke(args=["import", str(path), "--kind", "stock"])
    assert result.exit_code == 1
    assert "not a readable .xlsx workbook" in result.output


def test_a_large_file_shows_a_progress_bar(program, receive_on, app, tmp_path):
    receive_on("HUB", "FTS", 20000)
    rows = [DISTRIBUTION_HEADER] + [[DAY.isoformat(), "HUB", "FTS", "1"]] * 6000
    path = csv_file(tmp_path / "big.csv", rows)
    result = app.test_cli_runner().invoke(
        args=["import", str(path), "--kind", "distributions", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "Checking" in result.output
