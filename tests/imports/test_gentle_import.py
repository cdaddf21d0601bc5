"""Imports that never stop the table (issue 23): short ordered transactions, all or nothing
by undoing, resumed after a crash, run in a process of their own."""

import io
import threading
import time
import uuid
from datetime import date, timedelta

import pytest

from supplies.extensions import db
from supplies.jobs import runner as jobs
from supplies.jobs import store, tasks
from supplies.models import Balance, Batch, DistributionEvent, ImportedFile, ImportRun, Job
from supplies.services.common.errors import InsufficientStock
from supplies.services.db.operations import OperationRequest
from supplies.services.distribution import events
from supplies.services.imports import applying, runner, writing
from supplies.services.stock import on_hand
from tests.conftest import csrf_token_from, make_app, wait_until
from tests.imports.files import DISTRIBUTION_HEADER, STOCK_HEADER, xlsx

DAY = date.today() - timedelta(days=60)
EXPIRES = date.today() + timedelta(days=400)


@pytest.fixture
def stocked(program, receive_on):
    """HUB received 500 test strips and 50 Narcan a year ago."""
    receive_on("HUB", "FTS", 500)
    receive_on("HUB", "NARCAN4", 50)
    return program


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of a few events, so a short file is written in several transactions."""
    monkeypatch.setattr(applying, "FIRST_CHUNK", 5)
    monkeypatch.setattr(applying, "MAX_CHUNK", 5)


def _history(tmp_path, count: int, quantity: int = 1):
    rows = [DISTRIBUTION_HEADER]
    for number in range(count):
        moment = f"{(DAY + timedelta(days=number % 30)).isoformat()} 10:{number % 60:02d}"
        rows.append([moment, "HUB", "FTS", quantity])
    return xlsx(tmp_path / f"history-{count}.xlsx", rows)


def _units(site="HUB", supply="FTS") -> int:
    from supplies.models import Site, Supply

    return db.session.execute(
        db.select(db.func.coalesce(db.func.sum(Balance.quantity), 0))
        .join(Site, Site.id == Balance.site_id)
        .join(Supply, Supply.id == Balance.supply_id)
        .where(Site.code == site, Supply.code == supply)
    ).scalar_one()


def _live_distribution(user, quantity: int):
    body = {"site": "HUB", "items": [{"supply": "FTS", "quantity": quantity}]}
    return events.distribute(user, OperationRequest.new(str(uuid.uuid4()), body), body)


def test_an_import_is_written_in_several_short_transactions(
    stocked, tmp_path, small_chunks, monkeypatch
):
    admin = stocked["users"]["admin"]
    checked = runner.preview(admin, _history(tmp_path, 40), "h.xlsx", "distributions")
    assert checked.ok
    chunks = []
    monkeypatch.setattr(writing, "write_events", _counting(writing.write_events, chunks))
    runner.apply(admin, checked)
    assert len(chunks) == 8 and max(chunks) == 5  # 40 events, 5 to a transaction
    assert _units() == 500 - 40
    assert len(db.session.execute(db.select(DistributionEvent.id)).all()) == 40
    assert on_hand.check_ledger() == []  # true now and in business time
    db.session.expire_all()
    run = db.session.execute(db.select(ImportRun)).scalar_one()
    assert (run.state, run.steps_done, run.steps_total) == ("done", 40, 40)


def _counting(write, sizes):
    def counted(actor, run_id, first, chunk, context):
        sizes.append(len(chunk))
        return write(actor, run_id, first, chunk, context)

    return counted


def test_stock_taken_midway_undoes_every_written_chunk_and_names_the_rows(
    stocked, tmp_path, small_chunks
):
    admin, staff = stocked["users"]["admin"], stocked["users"]["staff"]
    checked = runner.preview(admin, _history(tmp_path, 30, quantity=10), "h.xlsx", "distributions")
    assert checked.ok  # 300 of the 500 strips
    calls = []

    def meanwhile(_done):
        # After the first chunk commits, a distribution today takes most of what is left.
        if not calls:
            _live_distribution(staff, 400)
        calls.append(_done)

    with pytest.raises(runner.ImportRefused) as refused:
        runner.apply(admin, checked, meanwhile)
    assert refused.value.errors and all(e.row for e in refused.value.errors)
    assert "no longer fit" in str(refused.value.errors[0])
    # Every imported event written before the refusal is voided, its units put back.
    imported = (
        db.session.execute(
            db.select(DistributionEvent).where(DistributionEvent.user_id == admin.id)
        )
        .scalars()
        .all()
    )
    assert imported and all(e.voided_at is not None for e in imported)
    assert _units() == 500 - 400
    assert on_hand.check_ledger() == []
    assert db.session.execute(db.select(ImportedFile.id)).first() is None
    db.session.expire_all()
    run = db.session.execute(db.select(ImportRun)).scalar_one()
    assert run.state == "reversed" and run.steps_reversed == run.steps_done > 0


def _failing_from(step: int, write):
    """write_receipts as it is, until the chunk starting at step: the disk goes away."""

    def failing(actor, run_id, first, chunk, context):
        if first == step:
            raise RuntimeError("the disk went away")
        return write(actor, run_id, first, chunk, context)

    return failing


def test_received_stock_is_not_handed_out_until_the_import_is_done(program, tmp_path, monkeypatch):
    admin, staff = program["users"]["admin"], program["users"]["staff"]
    monkeypatch.setattr(applying, "FIRST_CHUNK", 1)
    monkeypatch.setattr(applying, "MAX_CHUNK", 1)
    rows = [STOCK_HEADER] + [
        ["HUB", "FTS", None, None, "SOR", 10, DAY + timedelta(days=n)] for n in range(4)
    ]
    checked = runner.preview(admin, xlsx(tmp_path / "s.xlsx", rows), "s.xlsx", "stock")
    seen = []

    def meanwhile(_done):
        try:
            _live_distribution(staff, 1)
            seen.append("taken")
        except InsufficientStock:
            seen.append("refused")

    monkeypatch.setattr(writing, "write_receipts", _failing_from(3, writing.write_receipts))
    with pytest.raises(RuntimeError):
        runner.apply(admin, checked, meanwhile)
    assert seen == ["refused"] * 3  # written, but hidden while the import was unfinished
    assert _units() == 0  # and undone: every line's units taken back off its batch
    assert on_hand.check_ledger() == []
    db.session.expire_all()
    run = db.session.execute(db.select(ImportRun)).scalar_one()
    assert run.state == "reversed"


def test_a_stock_import_undone_is_neither_received_nor_handed_out_in_the_workbook(
    program, tmp_path, monkeypatch
):
    from supplies.models import Movement
    from supplies.services.reporting import report as reporting

    admin = program["users"]["admin"]
    monkeypatch.setattr(applying, "FIRST_CHUNK", 1)
    monkeypatch.setattr(applying, "MAX_CHUNK", 1)
    rows = [STOCK_HEADER] + [
        ["HUB", "FTS", None, None, "SOR", 10, DAY + timedelta(days=n)] for n in range(4)
    ]
    checked = runner.preview(admin, xlsx(tmp_path / "s.xlsx", rows), "s.xlsx", "stock")
    monkeypatch.setattr(writing, "write_receipts", _failing_from(3, writing.write_receipts))
    with pytest.raises(RuntimeError):
        runner.apply(admin, checked, lambda _done: None)
    # Three receipts of 10 were written, then received back: nothing was handed out.
    kinds = db.session.execute(db.select(Movement.kind, Movement.quantity)).all()
    assert sorted(kinds) == [("receive", -10)] * 3 + [("receive", 10)] * 3
    filters = reporting.make_filters(DAY.isoformat(), date.today().isoformat(), ["HUB"])
    report = reporting.funder_report(filters)
    fts = next(row for row in report.inventory if row["supply"] == "FTS")
    assert (fts["received"], fts["distributed"], fts["closing"]) == (0, 0, 0)
    assert {row["units"] for row in report.summary} == {0}
    received = [row for row in report.received if row["supply"] == "FTS"]
    assert [(row["source"], row["units"]) for row in received] == [(None, 0)]


def test_a_retry_after_a_crash_goes_on_from_the_last_committed_chunk(
    stocked, tmp_path, small_chunks, monkeypatch
):
    admin = stocked["users"]["admin"]
    checked = runner.preview(admin, _history(tmp_path, 23), "h.xlsx", "distributions")
    writes = writing.write_events

    def dies(actor, run_id, first, chunk, context):
        if first == 10:
            raise KeyboardInterrupt  # as if the process were killed mid-chunk
        return writes(actor, run_id, first, chunk, context)

    monkeypatch.setattr(writing, "write_events", dies)
    with pytest.raises(KeyboardInterrupt):
        runner.apply(admin, checked)
    db.session.rollback()
    run = applying.unfinished(checked.sha256, 0)
    assert run.state == "applying" and run.steps_done == 10
    monkeypatch.setattr(writing, "write_events", writes)
    runner.resume(admin, run)
    assert len(db.session.execute(db.select(DistributionEvent.id)).all()) == 23  # each once
    assert _units() == 500 - 23
    assert on_hand.check_ledger() == []
    assert db.session.execute(db.select(ImportedFile.copy)).scalars().all() == [0]


def test_balance_locks_follow_the_distribution_paths_order(app):
    with app.app_context():
        statement = writing.locking_statement({2: {7, 3}, 1: {5}})
        sql = str(statement.compile(db.engine)).lower()
        dialect = db.engine.dialect.name
    order = sql.split("order by")[1]
    assert order.index("site_id") < order.index("supply_id") < order.index("expires_on")
    assert order.index("expires_on") < order.index("batches.id")
    if dialect == "postgresql":
        assert "for update of balances" in sql


def test_distributions_keep_answering_within_a_second_during_an_import(
    stocked, app, tmp_path, monkeypatch
):
    admin, staff_id = stocked["users"]["admin"], stocked["users"]["staff"].id
    checked = runner.preview(admin, _history(tmp_path, 300), "h.xlsx", "distributions")
    assert checked.ok
    waits, failures, stop = [], [], threading.Event()

    def distribute():
        from supplies.models import User

        with app.app_context():
            staff = db.session.get(User, staff_id)
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    _live_distribution(staff, 1)
                except Exception as error:  # noqa: BLE001 (a deadlock or timeout is the failure)
                    failures.append(repr(error))
                waits.append(time.perf_counter() - started)
                time.sleep(0.005)
            db.session.remove()

    thread = threading.Thread(target=distribute)
    thread.start()
    try:
        runner.apply(admin, checked)
    finally:
        stop.set()
        thread.join(30)
    assert failures == []
    assert waits and max(waits) < 1.0, max(waits)
    assert on_hand.check_ledger() == []
    assert len(db.session.execute(db.select(DistributionEvent.id)).all()) == 300 + len(waits)


def test_an_import_from_the_page_runs_in_a_process_of_its_own(database, tmp_path, monkeypatch):
    app = make_app(database, JOB_PROCESSES=True)
    here = []  # jobs this process ran itself: none may be an import
    monkeypatch.setattr(jobs, "execute", lambda job_id: here.append(job_id))
    try:
        with app.app_context():
            from tests.conftest import Factory

            make = Factory(app)
            make.site("HUB")
            make.supply("FTS", category="fentanyl_test_strip")
            make.funding("SOR")
            make.user("coord@example.org", "coordinator")
        client = app.test_client()
        from tests.conftest import signed_in

        signed_in(client, "coord@example.org")
        rows = [STOCK_HEADER, ["HUB", "FTS", None, None, "SOR", 24, None]]
        path = xlsx(tmp_path / "stock.xlsx", rows)
        page = client.get("/imports/")
        data = {
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            "kind": "stock",
            "file": (io.BytesIO(path.read_bytes()), path.name),
        }
        page_url = client.post("/imports/", data=data, content_type="multipart/form-data").headers[
            "Location"
        ]
        sha = page_url.split("/")[2].split("?")[0]

        def finished(kind):
            with app.app_context():
                job = store.latest(tasks.import_key(sha, "stock", False))
                return job if job and job.kind == kind and job.status == store.DONE else None

        wait_until(lambda: finished(tasks.IMPORT_CHECK), "the check", timeout=60)
        html = client.get(page_url).get_data(as_text=True)
        client.post(
            f"/imports/{sha}/confirm",
            data={"kind": "stock", "force": "", "csrf_token": csrf_token_from(html)},
        )
        wait_until(lambda: finished(tasks.IMPORT_APPLY), "the import", timeout=60)
        assert here == []  # another process checked and imported it
        assert "24 units" in client.get(page_url).get_data(as_text=True)
        with app.app_context():
            assert db.session.execute(db.select(db.func.sum(Balance.quantity))).scalar() == 24
            assert db.session.execute(db.select(Batch.import_id)).scalar() is None
            assert len(db.session.execute(db.select(Job.id)).all()) == 2
    finally:
        jobs.wait()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_lot_expired_before_it_was_received_is_refused_at_the_check(program, tmp_path):
    admin = program["users"]["admin"]
    expired = date.today() - timedelta(days=10)
    rows = [STOCK_HEADER, ["HUB", "NARCAN4", "OLD", expired, "SOR", 5, None]]  # today
    checked = runner.preview(admin, xlsx(tmp_path / "s.xlsx", rows), "s.xlsx", "stock")
    assert [(e.row, "before it was received" in str(e)) for e in checked.errors] == [(2, True)]


def test_a_quarter_closed_after_the_check_refuses_its_rows_at_the_write(stocked, tmp_path, app):
    admin = stocked["users"]["admin"]
    old_day = date.today() - timedelta(days=200)
    rows = [DISTRIBUTION_HEADER, [old_day.isoformat(), "HUB", "FTS", 1], [DAY, "HUB", "FTS", 1]]
    checked = runner.preview(admin, xlsx(tmp_path / "q.xlsx", rows), "q.xlsx", "distributions")
    assert checked.ok
    app.config["REPORTING_CLOSE_DAYS"] = 15  # the quarter of old_day has closed meanwhile
    with pytest.raises(runner.ImportRefused) as refused:
        runner.apply(admin, checked)
    assert 2 in [e.row for e in refused.value.errors]  # (row 3 too, some weeks of the year)
    assert "an admin must reopen the quarter" in str(refused.value.errors[0])
    assert db.session.execute(db.select(DistributionEvent.id)).first() is None
