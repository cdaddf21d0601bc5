"""The import screens: upload, preview with every bad row, confirm; roles and CSRF."""

import io
from datetime import date, datetime, timedelta, timezone

from openpyxl import load_workbook

from supplies.extensions import db
from supplies.jobs import runner as jobs
from supplies.jobs import store, tasks
from supplies.models import ImportedFile, Job, Movement
from supplies.services.db import files
from tests.conftest import csrf_token_from
from tests.imports.files import STOCK_HEADER, csv_file, xlsx

EXPIRES = date.today() + timedelta(days=400)


def _upload(client, path, kind="stock", force=False):
    page = client.get("/imports/")
    data = {
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        "kind": kind,
        "file": (io.BytesIO(path.read_bytes()), path.name),
    }
    if force:
        data["force"] = "y"
    answer = client.post("/imports/", data=data, content_type="multipart/form-data")
    jobs.wait()
    return answer


def _count(ctx, model) -> int:
    with ctx.app_context():
        return len(db.session.execute(db.select(model.id)).all())


def _waiting(app, sha: str) -> bool:
    """Whether the upload still waits in the database."""
    with app.app_context():
        return files.find(files.UPLOAD, sha) is not None


def test_upload_preview_confirm(program, client, auth, app, tmp_path):
    auth.login("coord@example.org")
    rows = [STOCK_HEADER, ["HUB", "NARCAN4", "L1", EXPIRES, "SOR", 24, None]]
    path = xlsx(tmp_path / "stock.xlsx", rows)
    uploaded = _upload(client, path)
    assert uploaded.status_code == 302
    page_url = uploaded.headers["Location"]
    preview = client.get(page_url)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Will be created" in html and "NARCAN4" in html and "24" in html
    assert _count(app, Movement) == 0  # nothing is written before confirmation
    sha = page_url.split("/")[2].split("?")[0]
    assert _waiting(app, sha)
    missing_csrf = client.post(f"/imports/{sha}/confirm", data={"kind": "stock"})
    assert missing_csrf.status_code == 400
    jobs.wait()
    assert _count(app, Movement) == 0
    confirmed = client.post(
        f"/imports/{sha}/confirm",
        data={"kind": "stock", "force": "", "csrf_token": csrf_token_from(html)},
    )
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == page_url
    jobs.wait()
    done = client.get(page_url).get_data(as_text=True)
    assert "Imported 1 row:" in done and "24 units" in done
    assert _count(app, Movement) == 1 and _count(app, ImportedFile) == 1
    assert not _waiting(app, sha)
    index = client.get("/imports/").get_data(as_text=True)
    assert "stock.xlsx" in index
    again = _upload(client, path)
    html = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "already imported" in html and "Import these rows" not in html


def test_the_page_shows_progress_while_the_work_runs(program, client, auth, app):
    auth.login("admin@example.org")
    sha = "b" * 64
    with app.app_context():
        params = tasks.import_params(sha, "stock", False, 0)
        job = store.create(tasks.IMPORT_APPLY, None, params, tasks.import_key(sha, "stock", False))
        running = {"status": "running", "attempts": 2, "done": 5, "total": 10}
        # A process of this host that is gone: it cannot be running anything.
        running |= {"worker": f"{store.HOST}:999999999", "heartbeat_at": store.utcnow()}
        db.session.execute(db.update(Job).where(Job.id == job.id).values(**running))
        db.session.commit()
    page = client.get(f"/imports/{sha}?kind=stock").get_data(as_text=True)
    assert 'http-equiv="refresh"' in page and '<progress max="10" value="5">' in page
    with app.app_context():
        long_ago = datetime(2026, 1, 1, tzinfo=timezone.utc)  # the process died long ago
        db.session.execute(db.update(Job).where(Job.id == job.id).values(heartbeat_at=long_ago))
        db.session.commit()
    page = client.get(f"/imports/{sha}?kind=stock").get_data(as_text=True)
    # Its second attempt: given up, with a message, never left running.
    assert "Nothing was saved" in page and 'http-equiv="refresh"' not in page


def test_every_bad_row_is_shown_and_nothing_can_be_confirmed(program, client, auth, tmp_path):
    auth.login("admin@example.org")
    rows = [STOCK_HEADER, ["HUB", "GLOVES", None, None, None, 3, None]]
    rows += [["HUB", "FTS", None, None, None, "-4", None]]
    uploaded = _upload(client, csv_file(tmp_path / "bad.csv", rows))
    page = client.get(uploaded.headers["Location"])
    html = page.get_data(as_text=True)
    assert "2 problems" in html
    assert "no supply has the code" in html and "negative" in html
    assert "Import these rows" not in html
    location = uploaded.headers["Location"]
    errors = client.get(location.replace("?", "/errors.csv?"))
    assert errors.status_code == 200
    assert errors.get_data(as_text=True).splitlines()[1].startswith("2,B (supply)")


def test_staff_and_funders_cannot_reach_imports(program, client, auth):
    for email in ("staff@example.org", "funder@example.org"):
        auth.login(email)
        assert client.get("/imports/").status_code == 403
        assert client.get("/imports/templates/stock.xlsx").status_code == 403
        auth.logout()
    assert client.get("/imports/").status_code == 302  # signed out: to the sign-in page


def test_a_bad_sha_or_a_forgotten_upload_goes_back_to_the_form(program, client, auth):
    auth.login("admin@example.org")
    bad = client.get("/imports/..%2F..%2Fsecret_key?kind=stock")
    assert bad.status_code == 404
    assert client.get("/imports/" + "a" * 64 + "?kind=other").status_code == 404
    gone = client.get("/imports/" + "a" * 64 + "?kind=stock")
    assert gone.status_code == 302


def test_upload_form_errors_name_the_field(program, client, auth):
    auth.login("admin@example.org")
    page = client.get("/imports/")
    data = {
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        "kind": "stock",
        "file": (io.BytesIO(b"hello"), "notes.docx"),
    }
    answer = client.post("/imports/", data=data, content_type="multipart/form-data")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'aria-describedby="file-error"' in html and "Choose an .xlsx or .csv file" in html


def test_templates_have_headers_an_example_lists_and_instructions(program, client, auth):
    auth.login("coord@example.org")
    for kind, first in (("stock", "site"), ("distributions", "date")):
        answer = client.get(f"/imports/templates/{kind}.xlsx")
        assert answer.status_code == 200
        book = load_workbook(io.BytesIO(answer.data))
        assert book.sheetnames[0] in ("Stock", "Distributions")
        assert "Instructions" in book.sheetnames and "Lists" in book.sheetnames
        data = book.worksheets[0]
        assert data["A1"].value == first and data["B2"].value is not None
        rules = {
            str(rule.sqref).split(":")[0]: rule for rule in data.data_validations.dataValidation
        }
        assert rules, "no data validation lists"
        lists = book["Lists"]
        values = {c.value for col in lists.iter_cols() for c in col}
        assert "HUB" in values and "NARCAN4" in values
        if kind == "distributions":
            assert "25_34" in values and "person_who_uses_drugs" in values
        instructions = " ".join(str(c.value) for c in book["Instructions"]["A"])
        assert "identif" in instructions or "names" in instructions


def test_a_file_with_identifying_columns_is_not_kept(program, client, auth, tmp_path):
    auth.login("admin@example.org")
    rows = [STOCK_HEADER + ["Phone"], ["HUB", "FTS", None, None, None, 3, None, "555-0100"]]
    uploaded = _upload(client, csv_file(tmp_path / "who.csv", rows))
    html = client.get(uploaded.headers["Location"]).get_data(as_text=True)
    assert "could identify participants" in html and "555-0100" not in html
    sha = uploaded.headers["Location"].split("/")[2].split("?")[0]
    with client.application.app_context():
        assert files.find(files.UPLOAD, sha) is None


def test_a_refused_upload_is_deleted_at_once(program, client, auth, app, tmp_path):
    auth.login("admin@example.org")
    for name, header, value in [
        ("notes.csv", "Notes", "talked about her son"),
        ("cliente.csv", "Cliente", "C-1042"),
        ("gender.csv", "Gender", "nonbinary"),
    ]:
        rows = [STOCK_HEADER + [header], ["HUB", "FTS", None, None, None, 3, None, value]]
        uploaded = _upload(client, csv_file(tmp_path / name, rows))
        html = client.get(uploaded.headers["Location"]).get_data(as_text=True)
        assert "could identify participants" in html and value not in html
        assert not _waiting(app, uploaded.headers["Location"].split("/")[2].split("?")[0])
    # Refused for its rows, not its columns: gone too (fix the file, upload it again).
    rows = [STOCK_HEADER, ["ATTIC", "FTS", None, None, None, 3, None]]
    uploaded = _upload(client, csv_file(tmp_path / "bad.csv", rows))
    answer = client.get(uploaded.headers["Location"])
    assert answer.status_code == 422 and "ATTIC" in answer.get_data(as_text=True)
    assert not _waiting(app, uploaded.headers["Location"].split("/")[2].split("?")[0])


def test_a_filled_in_template_imports(program, client, auth, tmp_path):
    auth.login("coord@example.org")
    answer = client.get("/imports/templates/stock.xlsx")
    path = tmp_path / "filled.xlsx"
    path.write_bytes(answer.data)
    uploaded = _upload(client, path)
    html = client.get(uploaded.headers["Location"]).get_data(as_text=True)
    assert "Will be created" in html and "Import these rows" in html
