"""The one job runner, embedded (no REDIS_URL): the export API, faults, retries, purging.

Each fault is made as it happens in production: a job's row left `running` by a process
that is gone (a process id no process of this host has), its heartbeat old.
"""

import io
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from supplies.extensions import db
from supplies.jobs import maintenance, runner, store, tasks
from supplies.models import AuditEntry, ImportedFile, Job, Movement, StoredFile
from supplies.services.db import files
from supplies.services.reporting import exports
from supplies.services.reporting import report as reporting
from tests.conftest import new_id, wait_until
from tests.imports.files import STOCK_HEADER, csv_file

LONG_AGO = datetime(2026, 1, 1, tzinfo=timezone.utc)
GONE = f"{store.HOST}:999999999"  # no process has this id


@pytest.fixture(autouse=True)
def _export_dir(app, tmp_path):
    app.config["EXPORT_DIR"] = str(tmp_path / "exports")


def _events(make, count: int = 3) -> None:
    from supplies.services.db.operations import OperationRequest
    from supplies.services.distribution import events

    make.receive("HUB", "FTS", 100)
    for _ in range(count):
        body = {"id": new_id(), "site": "HUB", "items": [{"supply": "FTS", "quantity": 2}]}
        events.distribute(make.admin, OperationRequest.new(body["id"], body), body)


def _died(job_id: str, attempts: int) -> None:
    """Leave the job as a process that died mid-attempt leaves it."""
    db.session.execute(
        db.update(Job)
        .where(Job.id == job_id)
        .values(status="running", attempts=attempts, worker=GONE, heartbeat_at=LONG_AGO)
    )
    db.session.commit()


def _now(job_id: str) -> Job:
    """The job as it is now (the test's read snapshot ended first: SQLite keeps one)."""
    db.session.commit()
    return store.get(job_id)


def _archives(token: str) -> int:
    return len(
        db.session.execute(
            db.select(AuditEntry.id).where(
                AuditEntry.action == exports.EXPORT_ACTION, AuditEntry.object_id.contains(token)
            )
        ).all()
    )


def test_the_export_api_starts_follows_and_downloads_a_job(program, make, api):
    _events(make)
    token = program["tokens"]["coordinator"]
    body = {"id": new_id(), "start": "2024-01-01", "end": "2030-12-31", "site": "HUB"}
    started = api.post("/exports/events", token, body)
    assert started.status_code == 202, started.get_json()
    job = started.get_json()["job"]
    assert job["kind"] == "events_export" and job["status"] in ("queued", "running", "done")
    assert started.headers["Location"].endswith(f"/api/v1/jobs/{job['id']}")
    again = api.post("/exports/events", token, body)  # the same id and body: the same job
    assert again.status_code == 200 and again.get_json()["job"]["id"] == job["id"]
    runner.wait()
    followed = api.get(f"/jobs/{job['id']}", token).get_json()
    assert followed["status"] == "done" and followed["done"] == followed["total"] == 3
    assert followed["download"] == f"/api/v1/jobs/{job['id']}/download"
    download = api.get(f"/jobs/{job['id']}/download", token)
    assert download.status_code == 200
    disposition = download.headers["Content-Disposition"]
    assert disposition == "attachment; filename=events-report-2024-01-01-to-2030-12-31.xlsx"
    sheet = load_workbook(io.BytesIO(download.data))["Events"]
    assert sheet.max_row == 4 and sheet["P2"].value == "FTS"
    # Someone else's job is not found; funders and staff may not start one.
    admin = program["tokens"]["admin"]
    assert api.get(f"/jobs/{job['id']}", admin).status_code == 404
    assert api.get(f"/jobs/{job['id']}/download", admin).status_code == 404
    for role in ("funder", "staff"):
        refused = api.post("/exports/events", program["tokens"][role], {"start": "2026-01-01"})
        assert refused.status_code == 403


def test_a_bad_export_body_names_each_field(program, api):
    token = program["tokens"]["admin"]
    answer = api.post("/exports/events", token, {"end": "2026-13-01", "site": "NOPE"})
    assert answer.status_code == 422
    assert {"start", "end"} <= set(answer.get_json()["error"]["fields"])
    answer = api.post("/exports/events", token, {"start": "2026-02-01", "end": "2026-01-01"})
    assert answer.status_code == 422 and "end" in answer.get_json()["error"]["fields"]
    answer = api.post("/exports/events", token, {"start": "2026-01-01", "end": "2026-01-31",
                                                 "site": "NOPE"})  # fmt: skip
    assert answer.status_code == 422 and "site" in answer.get_json()["error"]["fields"]
    assert api.get("/jobs/not-a-job", token).status_code == 404


def test_a_job_still_queued_cannot_be_downloaded(program, make, api):
    token = program["tokens"]["admin"]
    user = program["users"]["admin"]
    job = store.create(tasks.EVENTS_EXPORT, user.id, {"start": "2026-01-01", "end": "2026-01-31"})
    answer = api.get(f"/jobs/{job.id}/download", token)
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "not_ready"


def test_a_job_whose_process_died_is_tried_again_and_makes_one_archive(program, make, app):
    _events(make)
    user = program["users"]["admin"]
    filters = reporting.make_filters("2024-01-01", "2030-12-31")
    job = store.create(tasks.EVENTS_EXPORT, user.id, tasks.export_params(filters))
    # The first attempt archived the workbook, then its process died before saying so.
    name = exports.archive_name("events", filters, job.id[:16])
    exports.events_export(user, filters, name=name)
    _died(job.id, attempts=1)
    assert store.is_stale(store.get(job.id))
    followed = runner.follow(job.id)  # what any screen or API call does
    assert followed.status in ("queued", "running", "done")
    runner.wait()
    finished = _now(job.id)
    assert finished.status == "done" and finished.attempts == 2
    assert files.get(finished.file_id).name == name
    assert _archives(job.id[:16]) == 1  # one archive, not two


def test_a_job_that_dies_twice_is_given_up_with_a_message(program, make, client, auth):
    user = program["users"]["coordinator"]
    filters = reporting.make_filters("2024-01-01", "2030-12-31")
    job = store.create(tasks.EVENTS_EXPORT, user.id, tasks.export_params(filters))
    _died(job.id, attempts=2)
    auth.login("coord@example.org")
    page = client.get(f"/reports/jobs/{job.id}").get_data(as_text=True)
    assert "stopped twice before it finished" in page and 'http-equiv="refresh"' not in page
    failed = _now(job.id)
    assert failed.status == "failed" and failed.finished_at is not None


def test_a_running_job_of_a_live_process_is_left_alone(program, make):
    user = program["users"]["admin"]
    job = store.create(tasks.EVENTS_EXPORT, user.id, {"start": "2026-01-01", "end": "2026-01-31"})
    import os

    db.session.execute(
        db.update(Job)
        .where(Job.id == job.id)
        # The test runner itself: alive, its heartbeat held back (as behind an import's lock).
        .values(status="running", attempts=1, worker=f"{store.HOST}:{os.getppid()}",
                heartbeat_at=store.utcnow() - timedelta(minutes=3))
    )  # fmt: skip
    db.session.commit()
    assert not store.is_stale(store.get(job.id))
    assert runner.follow(job.id).status == "running"


def test_a_queued_job_whose_queue_entry_was_lost_runs(program, make):
    _events(make, 1)
    user = program["users"]["admin"]
    job = store.create(tasks.EVENTS_EXPORT, user.id, {"start": "2024-01-01", "end": "2030-12-31"})
    db.session.execute(db.update(Job).where(Job.id == job.id).values(heartbeat_at=LONG_AGO))
    db.session.commit()
    runner.follow(job.id)
    runner.wait()
    assert _now(job.id).status == "done"


def test_a_retried_import_imports_once(program, make, client, auth, app, tmp_path):
    auth.login("coord@example.org")
    path = csv_file(tmp_path / "stock.csv", [STOCK_HEADER, ["HUB", "FTS", None, None, None, 7]])
    from tests.conftest import csrf_token_from

    page = client.get("/imports/")
    data = {
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        "kind": "stock",
        "file": (io.BytesIO(path.read_bytes()), path.name),
    }
    location = client.post("/imports/", data=data, content_type="multipart/form-data").location
    runner.wait()
    html = client.get(location).get_data(as_text=True)
    sha = location.split("/")[2].split("?")[0]
    confirm = {"kind": "stock", "force": "", "csrf_token": csrf_token_from(html)}
    assert client.post(f"/imports/{sha}/confirm", data=confirm).status_code == 302
    runner.wait()
    assert "Imported 1 row" in client.get(location).get_data(as_text=True)
    # Its process died after the import committed, before the job said so: tried again.
    apply = store.latest(tasks.import_key(sha, "stock", False))
    assert apply.kind == tasks.IMPORT_APPLY
    _died(apply.id, attempts=1)

    def imported():
        page = client.get(location).get_data(as_text=True)
        return "Imported" in page and page

    assert "Imported 1 row" in wait_until(imported, "the retried import to finish")
    assert _now(apply.id).attempts == 2
    assert len(db.session.execute(db.select(ImportedFile.id)).all()) == 1
    receipts = db.session.execute(db.select(Movement.id).where(Movement.kind == "receive")).all()
    assert len(receipts) == 1


def test_a_second_confirmation_on_another_server_starts_nothing(program, client, auth, tmp_path):
    auth.login("admin@example.org")
    path = csv_file(tmp_path / "s.csv", [STOCK_HEADER, ["HUB", "FTS", None, None, None, 3]])
    from tests.conftest import csrf_token_from

    token = csrf_token_from(client.get("/imports/").get_data(as_text=True))
    data = {"csrf_token": token, "kind": "stock", "file": (io.BytesIO(path.read_bytes()), "s.csv")}
    location = client.post("/imports/", data=data, content_type="multipart/form-data").location
    runner.wait()
    sha = location.split("/")[2].split("?")[0]
    confirm = {"kind": "stock", "force": "", "csrf_token": token}
    client.post(f"/imports/{sha}/confirm", data=confirm)
    client.post(f"/imports/{sha}/confirm", data=confirm)
    runner.wait()
    key = tasks.import_key(sha, "stock", False)
    kinds = db.session.execute(db.select(Job.kind).where(Job.key == key)).scalars().all()
    assert sorted(kinds) == [tasks.IMPORT_APPLY, tasks.IMPORT_CHECK]
    assert len(db.session.execute(db.select(ImportedFile.id)).all()) == 1


def test_maintenance_purges_old_files_and_finished_jobs(program, make, app, tmp_path):
    user = program["users"]["admin"]
    source = tmp_path / "x.bin"
    source.write_bytes(b"x" * (files.CHUNK_BYTES + 10))  # two chunks
    files.save(files.UPLOAD, "a" * 64, source, "x.csv", "text/csv", LONG_AGO)
    kept = files.save(files.UPLOAD, "b" * 64, source, "y.csv", "text/csv",
                      store.utcnow() + timedelta(hours=1))  # fmt: skip
    assert files.read_bytes(kept) == source.read_bytes()
    finished = store.create(tasks.EVENTS_EXPORT, user.id, {})
    fresh = store.create(tasks.EVENTS_EXPORT, user.id, {})
    db.session.execute(
        db.update(Job).where(Job.id == finished.id).values(status="done", finished_at=LONG_AGO)
    )
    db.session.commit()
    done = maintenance.run_once(app)
    assert done["files"] == 1 and done["jobs"] == 1
    names = set(db.session.execute(db.select(StoredFile.name)).scalars())
    assert names == {"b" * 64}
    assert store.get(finished.id) is None and store.get(fresh.id) is not None


def test_maintenance_deletes_uploads_an_hour_old_whatever_their_expiry(program, app, tmp_path):
    source = tmp_path / "x.csv"
    source.write_bytes(b"name,phone\n")
    later = store.utcnow() + timedelta(days=2)
    files.save(files.UPLOAD, "c" * 64, source, "old.csv", "text/csv", later)
    files.save(files.UPLOAD, "d" * 64, source, "new.csv", "text/csv", later)
    files.save(files.EXPORT, "e" * 64, source, "keep.xlsx", "text/csv", later)
    an_hour_ago = store.utcnow() - files.UPLOAD_KEEP - timedelta(seconds=1)
    db.session.execute(
        db.update(StoredFile).where(StoredFile.name != "d" * 64).values(created_at=an_hour_ago)
    )
    db.session.commit()
    assert timedelta(hours=1) == files.UPLOAD_KEEP
    assert app.config["JOB_MAINTENANCE_SECONDS"] == 300  # the purge runs every 5 minutes
    done = maintenance.run_once(app)
    assert done["files"] == 1
    names = set(db.session.execute(db.select(StoredFile.name)).scalars())
    assert names == {"d" * 64, "e" * 64}


def test_progress_never_waits_for_sqlite_s_write_lock(program, make, app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's one writer at a time")
    user = program["users"]["admin"]
    job = store.create(tasks.EVENTS_EXPORT, user.id, {})
    work = store.claim(job.id)
    holder = db.engine.raw_connection()
    try:
        holder.driver_connection.execute("BEGIN IMMEDIATE")  # as an import holds it, for long
        started = datetime.now()
        assert store.beat(work) is False
        assert datetime.now() - started < timedelta(seconds=2)
        holder.driver_connection.execute("ROLLBACK")
    finally:
        holder.close()
    assert store.beat(work) is True


def test_the_worker_command_needs_redis(app):
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL is not set" in result.output


def test_no_job_id_finds_anything(program, make):
    assert runner.follow(None) is None and runner.follow("../../etc") is None
    assert runner.follow(uuid.uuid4().hex) is None
