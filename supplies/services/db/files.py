"""Files kept in the database, so every app server and worker can read what another wrote.

An upload waiting for confirmation, an archived workbook, an import's list of refused rows:
each is a `StoredFile` named within its kind, its bytes in 1 MiB chunks (written and read a
chunk at a time, so a large workbook never sits whole in memory). A file may carry an
expiry; `purge_expired()` removes what has passed it.
"""

import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select

from supplies.extensions import db
from supplies.models import Job, StoredFile, StoredFileChunk
from supplies.models.types import utcnow
from supplies.services.db.unit_of_work import transaction

CHUNK_BYTES = 1 << 20
UPLOAD, EXPORT, REPORT = "upload", "export", "report"
# An upload may hold personal data by mistake: never kept longer than this (the purge of
# supplies.jobs.maintenance enforces it on schedule, from when it was stored).
UPLOAD_KEEP = timedelta(hours=1)


def save(
    kind: str,
    name: str,
    path: Path,
    filename: str,
    media_type: str,
    expires_at: datetime | None = None,
) -> StoredFile:
    """Store the file at `path` under (kind, name), replacing one of the same name.

    Runs inside the caller's unit of work when there is one, else in its own.
    """
    with transaction():
        _delete(select(StoredFile.id).where(StoredFile.kind == kind, StoredFile.name == name))
        stored = StoredFile(
            kind=kind,
            name=name,
            filename=filename[:255],
            media_type=media_type,
            size=0,
            sha256="",
            expires_at=expires_at,
        )
        db.session.add(stored)
        db.session.flush()
        digest, size = hashlib.sha256(), 0
        with path.open("rb") as handle:
            for number, data in enumerate(iter(lambda: handle.read(CHUNK_BYTES), b"")):
                digest.update(data)
                size += len(data)
                db.session.execute(
                    StoredFileChunk.__table__.insert(),
                    {"file_id": stored.id, "number": number, "data": data},
                )
        stored.size, stored.sha256 = size, digest.hexdigest()
    return stored


def find(kind: str, name: str) -> StoredFile | None:
    """The stored file of that kind and name, or None."""
    return db.session.execute(
        select(StoredFile).where(StoredFile.kind == kind, StoredFile.name == name)
    ).scalar_one_or_none()


def get(file_id: int | None) -> StoredFile | None:
    """A stored file by id, or None."""
    return None if file_id is None else db.session.get(StoredFile, file_id)


def chunks(stored: StoredFile) -> Iterator[bytes]:
    """The file's bytes, a chunk at a time, each read by its own short query."""
    return chunks_of(stored.id)


def chunks_of(file_id: int) -> Iterator[bytes]:
    """The bytes of the stored file with this id, a chunk at a time."""
    number = 0
    while (data := chunk(file_id, number)) is not None:
        yield data
        number += 1


def chunk(file_id: int, number: int) -> bytes | None:
    """One chunk of a stored file (numbered from 0), or None past its end."""
    data = db.session.execute(
        select(StoredFileChunk.data).where(
            StoredFileChunk.file_id == file_id, StoredFileChunk.number == number
        )
    ).scalar_one_or_none()
    return None if data is None else bytes(data)


def read_bytes(stored: StoredFile) -> bytes:
    """The whole file (small files only: a workbook in a test, a list of refused rows)."""
    return b"".join(chunks(stored))


@contextmanager
def local_copy(stored: StoredFile) -> Iterator[Path]:
    """The file written to a private temporary folder for code that reads a path."""
    folder = Path(tempfile.mkdtemp(prefix="supplies-"))
    try:
        path = folder / (Path(stored.filename).name or "file")
        with path.open("wb") as out:
            for data in chunks(stored):
                out.write(data)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def touch(stored: StoredFile, expires_at: datetime | None, filename: str | None = None) -> None:
    """Give a stored file a new expiry (and the name it was last sent as)."""
    values = {"expires_at": expires_at}
    if filename:
        values["filename"] = filename[:255]
    with transaction():
        db.session.execute(
            StoredFile.__table__.update().where(StoredFile.id == stored.id).values(**values)
        )


def discard(kind: str, name: str) -> None:
    """Remove a stored file (nothing happens when there is none)."""
    with transaction():
        _delete(select(StoredFile.id).where(StoredFile.kind == kind, StoredFile.name == name))


def purge_expired(now: datetime | None = None) -> int:
    """Remove every file past its expiry; how many went."""
    moment = now or utcnow()
    with transaction():
        return _delete(select(StoredFile.id).where(StoredFile.expires_at < moment))


def purge_older(kind: str, before: datetime) -> int:
    """Remove every file of a kind stored before a moment, whatever its expiry says."""
    with transaction():
        return _delete(
            select(StoredFile.id).where(StoredFile.kind == kind, StoredFile.created_at < before)
        )


def _delete(ids_query) -> int:
    ids = list(db.session.execute(ids_query).scalars())
    if not ids:
        return 0
    # Chunks first: SQLite enforces ON DELETE CASCADE only where foreign keys are on.
    db.session.execute(delete(StoredFileChunk).where(StoredFileChunk.file_id.in_(ids)))
    # A job that made the file keeps its record, without the file.
    db.session.execute(Job.__table__.update().where(Job.file_id.in_(ids)).values(file_id=None))
    db.session.execute(delete(StoredFile).where(StoredFile.id.in_(ids)))
    return len(ids)
