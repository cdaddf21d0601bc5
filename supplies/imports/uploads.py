"""Uploaded files wait under instance/imports/, named by their SHA-256, until confirmed.

Never in the session cookie: the file may be 20 MB and must not travel with every request.
"""

import hashlib
import json
import os
import re
import tempfile
import time
from pathlib import Path

from flask import current_app

from supplies.services.common.messages import msg
from supplies.services.imports.reading import MAX_BYTES

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
KEEP_SECONDS = 24 * 3600


class TooLarge(Exception):
    """The upload is over the size limit."""


def folder() -> Path:
    """Where uploads wait, created on first use and readable by the app's user only."""
    configured = current_app.config.get("IMPORT_UPLOAD_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def save(stream, filename: str) -> str:
    """Store an upload, return its SHA-256; refuses more than MAX_BYTES."""
    purge_old()
    digest, size = hashlib.sha256(), 0
    handle, temporary = tempfile.mkstemp(dir=folder(), suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := stream.read(1 << 20):
                size += len(chunk)
                if size > MAX_BYTES:
                    raise TooLarge(msg("The file is over %(size)s MB.", size=MAX_BYTES // 1048576))
                digest.update(chunk)
                out.write(chunk)
        sha256 = digest.hexdigest()
        os.replace(temporary, folder() / sha256)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    meta = {"filename": Path(filename).name[:255], "uploaded_at": time.time()}
    (folder() / f"{sha256}.json").write_text(json.dumps(meta))
    return sha256


def find(sha256: str) -> tuple[Path, str] | None:
    """The waiting file and its original name, or None."""
    if not _SHA256.match(sha256 or ""):
        return None
    path = folder() / sha256
    meta_path = folder() / f"{sha256}.json"
    if not path.exists() or not meta_path.exists():
        return None
    return path, json.loads(meta_path.read_text())["filename"]


def discard(sha256: str) -> None:
    """Remove a waiting file once imported."""
    if _SHA256.match(sha256 or ""):
        for name in (sha256, f"{sha256}.json"):
            (folder() / name).unlink(missing_ok=True)


def purge_old() -> None:
    """Remove uploads never confirmed within a day."""
    limit = time.time() - KEEP_SECONDS
    for path in folder().iterdir():
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
