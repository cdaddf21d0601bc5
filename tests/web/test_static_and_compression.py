"""Issue 26: static files under fingerprinted addresses cached for good; responses compressed."""

import gzip
import hashlib
import json
import re
from io import BytesIO

from openpyxl import load_workbook

from supplies.config import PROJECT_ROOT
from supplies.web import assets
from tests.conftest import csrf_token_from

BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}
GZIP_ONLY = {"Accept-Encoding": "gzip"}
STATIC = PROJECT_ROOT / "static"


def _digest(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]


def _screen(client, auth, **headers):
    auth.login("staff@example.org")
    response = client.get("/distribute/sites/HUB", headers=headers)
    assert response.status_code == 200
    return response


def test_pages_name_static_files_by_their_hash(program, client, auth):
    html = _screen(client, auth).get_data(as_text=True)
    for name in ("app.css", "distribute/distribute.css", "distribute/screen.js"):
        assert f'"/static/{name}?v={_digest(name)}"' in html
    # No static address lacks its fingerprint: on the screen, the sign-in page, the page the
    # worker shows offline, an error page.
    auth.logout()
    pages = [html] + [
        client.get(path).get_data(as_text=True) for path in ("/", "/distribute/offline", "/nowhere")
    ]
    for page in pages:
        addresses = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
        assert addresses
        for address in addresses:
            assert re.search(r"\?v=[0-9a-f]{12}$", address), address


def test_a_fingerprinted_file_is_cached_for_good_and_others_briefly(client):
    name = "distribute/form.js"
    pinned = client.get(f"/static/{name}?v={_digest(name)}")
    assert pinned.status_code == 200
    assert pinned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert pinned.data == (STATIC / name).read_bytes()
    bare = client.get(f"/static/{name}")
    assert bare.headers["Cache-Control"] == "public, max-age=300"
    # An old hash (a page from before a deploy) gets today's file, never kept for good.
    stale = client.get(f"/static/{name}?v=000000000000")
    assert stale.status_code == 200 and "immutable" not in stale.headers["Cache-Control"]
    assert "immutable" not in client.get("/static/nothing.js?v=1").headers.get("Cache-Control", "")


def test_a_changed_file_gets_a_new_address(tmp_path):
    (tmp_path / "app.css").write_text("body { color: black; }")
    (tmp_path / "distribute").mkdir()
    (tmp_path / "distribute" / "form.js").write_text("var a = 1;")
    before = assets.Fingerprints(tmp_path)
    (tmp_path / "app.css").write_text("body { color: navy; }")
    after = assets.Fingerprints(tmp_path)
    assert after.of("app.css") != before.of("app.css")
    assert after.of("distribute/form.js") == before.of("distribute/form.js")
    # Hashed once when the app starts: an edit after that changes nothing until a restart,
    # unless the files are watched (debug).
    (tmp_path / "app.css").write_text("body { color: teal; }")
    assert after.of("app.css") != assets.Fingerprints(tmp_path).of("app.css")
    watched = assets.Fingerprints(tmp_path, watch=True)
    (tmp_path / "app.css").write_text("body { color: red; }")
    assert watched.of("app.css") == assets.Fingerprints(tmp_path).of("app.css")
    assert before.of("missing.css") is None


def test_the_service_worker_precaches_the_fingerprinted_files(program, client, auth):
    worker = client.get("/distribute/sw.js")
    assert worker.headers["Cache-Control"] == "no-cache"  # never immutable: it must update
    script = worker.get_data(as_text=True)
    build = json.loads(re.search(r"var BUILD = (\{.*\});", script).group(1))
    assert build["files"]["distribute/queue.js"] == _digest("distribute/queue.js")
    assert build["version"]
    # The worker builds the same addresses the screen names.
    html = _screen(client, auth).get_data(as_text=True)
    for name in ("app.css", "distribute/form.js", "distribute/queue.js"):
        assert f"/static/{name}?v={build['files'][name]}" in html
    again = client.get("/distribute/sw.js", headers={"If-None-Match": worker.headers["ETag"]})
    assert again.status_code == 304


def test_pages_and_json_are_compressed_when_asked(program, client, auth):
    plain = _screen(client, auth)
    assert "Content-Encoding" not in plain.headers
    squeezed = client.get("/distribute/sites/HUB", headers=GZIP_ONLY)
    assert squeezed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in squeezed.headers["Vary"]
    html = gzip.decompress(squeezed.data).decode()
    assert "Log a distribution" in html or "<form" in html
    assert len(squeezed.data) < len(plain.data) / 3
    api = client.get("/api/v1/openapi.json", headers=GZIP_ONLY)
    assert api.headers["Content-Encoding"] == "gzip"
    assert "openapi" in json.loads(gzip.decompress(api.data))
    script = client.get(
        f"/static/distribute/screen.js?v={_digest('distribute/screen.js')}", headers=BROWSER
    )
    assert script.headers["Content-Encoding"] in ("zstd", "br", "deflate")
    # Caches keep the two forms apart: by Vary, and by an ETag of each form's own.
    assert "Accept-Encoding" in script.headers["Vary"] and "Cookie" not in script.headers["Vary"]
    bare = client.get(f"/static/distribute/screen.js?v={_digest('distribute/screen.js')}")
    assert "Content-Encoding" not in bare.headers
    assert bare.headers["ETag"] != script.headers["ETag"]
    assert "Set-Cookie" not in script.headers  # static files never re-sign the session
    tiny = client.get("/distribute/session", headers=GZIP_ONLY)
    assert "Content-Encoding" not in tiny.headers  # under 500 bytes: not worth it


def test_compression_can_be_left_to_the_proxy(database):
    from tests.conftest import make_app

    app = make_app(database, COMPRESS_REGISTER=False)
    response = app.test_client().get("/api/v1/openapi.json", headers=GZIP_ONLY)
    assert response.status_code == 200 and "Content-Encoding" not in response.headers


def test_workbooks_are_never_compressed(program, make, client, auth):
    make.receive("HUB", "NARCAN4", 10, funding="SOR")
    auth.login("coord@example.org")
    token = csrf_token_from(client.get("/reports/").get_data(as_text=True))
    data = {"csrf_token": token, "preset": "last_quarter", "kind": "funder"}
    response = client.post("/reports/", data=data, headers=BROWSER)
    assert response.status_code == 200 and "Content-Encoding" not in response.headers
    assert "Inventory" in load_workbook(BytesIO(response.data)).sheetnames
    listing = client.get("/reports/").get_data(as_text=True)
    link = re.search(r'href="(/reports/archive/[^"]+)"', listing).group(1)
    streamed = client.get(link, headers=BROWSER)  # streamed from the database in chunks
    assert streamed.status_code == 200 and "Content-Encoding" not in streamed.headers
    assert streamed.data == response.data
    assert int(streamed.headers["Content-Length"]) == len(streamed.data)
    events = client.post(
        "/reports/",
        data={"csrf_token": token, "preset": "last_quarter", "kind": "events"},
        headers=BROWSER,
    )
    assert events.status_code == 200 and "Content-Encoding" not in events.headers
    assert load_workbook(BytesIO(events.data)).sheetnames
