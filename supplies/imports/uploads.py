"""Uploaded files wait in the database, named by their SHA-256, until imported or an hour old.

Never in the session cookie (the file may be 20 MB and must not travel with every request),
and never in a local folder: the upload may be previewed on one app server and confirmed
on another, and checked or imported by a worker on a third.
"""

import hashlib
import re
import tempfile
from pathlib import Path

from supplies.models.types import utcnow
from supplies.services.common.messages import msg
from supplies.services.db import files
from supplies.services.imports.reading import MAX_BYTES

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# A spreadsheet of distributions may hold personal data by mistake: it waits an hour at
# most (supplies.jobs.maintenance purges it on schedule), and is deleted as soon as its
# check refuses it or its import ends.
KEEP = files.UPLOAD_KEEP


class TooLarge(Exception):
    """The upload is over the size limit."""


def save(stream, filename: str) -> str:
    """Store an upload, return its SHA-256; refuses more than MAX_BYTES."""
    digest, size = hashlib.sha256(), 0
    with tempfile.TemporaryDirectory(prefix="supplies-upload-") as folder:
        path = Path(folder) / "upload"
        with path.open("wb") as out:
            while chunk := stream.read(1 << 20):
                size += len(chunk)
                if size > MAX_BYTES:
                    raise TooLarge(msg("The file is over %(size)s MB.", size=MAX_BYTES // 1048576))
                digest.update(chunk)
                out.write(chunk)
        sha256 = digest.hexdigest()
        name = Path(filename).name[:255]
        waiting = files.find(files.UPLOAD, sha256)
        if waiting is not None:  # the same bytes again: kept as they are (a check may read them)
            files.touch(waiting, utcnow() + KEEP, name)
        else:
            files.save(
                files.UPLOAD, sha256, path, name, "application/octet-stream", utcnow() + KEEP
            )
    return sha256


def find(sha256: str):
    """The waiting upload (a stored file; its `filename` is the name it was sent as), or None."""
    if not _SHA256.match(sha256 or ""):
        return None
    return files.find(files.UPLOAD, sha256)


def discard(sha256: str) -> None:
    """Remove a waiting upload."""
    if _SHA256.match(sha256 or ""):
        files.discard(files.UPLOAD, sha256)
