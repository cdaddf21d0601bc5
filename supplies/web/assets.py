"""Static files under fingerprinted URLs: cached for good, and a new URL when a file changes.

Every url_for("static", filename=...) gets ?v=<hash of the file's bytes>, computed when the
app is created (once per process; a deploy restarts the processes). A request carrying the
current hash is answered with a year's immutable cache; any other a short one. The service
worker of the distribution screen is served with the same hashes written into it, so it
precaches exactly the files the pages name and is replaced when any of them changes.
"""

import hashlib
import json
from pathlib import Path

from flask import Flask, request

VERSION_ARG = "v"
IMMUTABLE = "public, max-age=31536000, immutable"
# The line of static/distribute/sw.js the server fills in (see service_worker_script).
SW_BUILD_LINE = "var BUILD = {};  // filled in by the server: supplies/web/assets.py"


class Fingerprints:
    """The static folder's files and a short hash of each one's bytes."""

    def __init__(self, folder: Path, watch: bool = False):
        self.folder = folder
        # In debug, a file edited while the server runs gets a new hash at once; otherwise
        # the hashes of startup stand (no stat() per url_for).
        self.watch = watch
        self._known: dict[str, tuple[int, int, str]] = {}
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                self._remember(path.relative_to(folder).as_posix(), path)

    def _remember(self, name: str, path: Path) -> str:
        status = path.stat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        self._known[name] = (status.st_mtime_ns, status.st_size, digest)
        return digest

    def of(self, name: str | None) -> str | None:
        """The hash of a static file by its name under the folder; None for no such file."""
        if not name:
            return None
        known = self._known.get(name)
        if not self.watch:
            return known[2] if known else None
        path = self.folder / name
        try:
            status = path.stat()
        except (OSError, ValueError):
            return None
        if known and (status.st_mtime_ns, status.st_size) == known[:2]:
            return known[2]
        return self._remember(name, path) if path.is_file() else None

    def all(self) -> dict[str, str]:
        """Every file's hash by its name."""
        return {name: self.of(name) for name in sorted(self._known)}


def register(app: Flask) -> None:
    """Hash the static files now and fingerprint every static URL the app writes."""
    hashes = Fingerprints(Path(app.static_folder), watch=app.debug)
    app.extensions["static_fingerprints"] = hashes
    short = f"public, max-age={app.config['STATIC_MAX_AGE']}"

    @app.url_defaults
    def add_fingerprint(endpoint, values):
        if endpoint == "static" and VERSION_ARG not in values:
            digest = hashes.of(values.get("filename"))
            if digest:
                values[VERSION_ARG] = digest

    @app.after_request
    def cache_static_files(response):
        if request.endpoint != "static" or response.status_code not in (200, 304):
            return response
        asked = request.args.get(VERSION_ARG)
        current = hashes.of((request.view_args or {}).get("filename"))
        # Only the current bytes may be kept for good under their hash: an old hash asked
        # for after a deploy gets today's file, which must not stay under that address.
        response.headers["Cache-Control"] = IMMUTABLE if asked and asked == current else short
        return response


def service_worker_script(app: Flask) -> str:
    """static/distribute/sw.js with the hashes written in: it changes whenever a file does."""
    cached = app.extensions.get("service_worker_script")
    if cached is not None and not app.debug:
        return cached
    hashes: Fingerprints = app.extensions["static_fingerprints"]
    source = (Path(app.static_folder) / "distribute" / "sw.js").read_text(encoding="utf-8")
    if SW_BUILD_LINE not in source:
        raise RuntimeError("static/distribute/sw.js lost the line the server fills in")
    files = {name: digest for name, digest in hashes.all().items() if name != "distribute/sw.js"}
    version = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:12]
    build = json.dumps({"version": version, "files": files}, sort_keys=True)
    script = source.replace(SW_BUILD_LINE, f"var BUILD = {build};")
    app.extensions["service_worker_script"] = script
    return script
