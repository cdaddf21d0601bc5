"""Idempotent writes: a repeated operation id returns the first result instead of writing again."""

import hashlib
import json
import uuid
from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from supplies.extensions import db
from supplies.models import Operation
from supplies.models.types import utcnow
from supplies.services.common.errors import DomainError, IdempotencyConflict
from supplies.services.common.messages import msg
from supplies.services.db.inserts import insert_rows
from supplies.services.db.unit_of_work import transaction

_operations = Operation.__table__


@dataclass(frozen=True)
class OperationRequest:
    """The client's id for a write and a fingerprint of what it asked for."""

    id: str
    fingerprint: str

    @classmethod
    def new(cls, operation_id: str | None, body) -> "OperationRequest":
        """Name a request by the client's id (or a fresh one) and a hash of its body."""
        return cls(operation_id or str(uuid.uuid4()), fingerprint(body))


@dataclass(frozen=True)
class OperationResult:
    """What a write returned, and whether it was recorded now (False: a replay)."""

    result: dict
    created: bool


def fingerprint(body) -> str:
    """A stable hash of a request body, so the same id with another body is caught."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@cache
def _find_statement():
    return select(_operations.c.kind, _operations.c.fingerprint, _operations.c.result).where(
        _operations.c.id == bindparam("id")
    )


def replay(request: OperationRequest, kind: str) -> OperationResult | None:
    """Return the stored result when this id was already recorded with the same body."""
    row = db.session.connection().execute(_find_statement(), {"id": request.id}).first()
    if row is None:
        return None
    if row.kind != kind or row.fingerprint != request.fingerprint:
        raise IdempotencyConflict(
            msg("This id was already used for a different request."),
            {"id": msg("already used for a different request")},
        )
    return OperationResult(row.result, created=False)


def record(request: OperationRequest, kind: str, user_id: int | None, result: dict) -> None:
    """Store the operation inside the current write transaction."""
    insert_rows([(_operations, [_row(request, kind, user_id, result)])])


def _row(request: OperationRequest, kind: str, user_id: int | None, result: dict) -> dict:
    return {
        "id": request.id,
        "kind": kind,
        "fingerprint": request.fingerprint,
        "user_id": user_id,
        "created_at": utcnow(),
        "result": result,
    }


def run_once(request: OperationRequest, kind: str, user_id: int | None, write) -> OperationResult:
    """Run write() in one transaction unless this id was already recorded; store its result.

    The id is checked before the transaction and again under the write lock (a twin
    request may have committed meanwhile). write() returns the operation's result.
    """
    replayed = replay(request, kind)
    if replayed:
        return replayed
    try:
        with transaction():
            replayed = replay(request, kind)
            if replayed:
                return replayed
            result = write()
            record(request, kind, user_id, result)
    except IntegrityError as refusal:
        return _replay_or_raise(request, kind, refusal)
    return OperationResult(result, created=True)


def run_once_unchecked(
    request: OperationRequest, kind: str, user_id: int | None, write_rows
) -> OperationResult:
    """Run write_rows() in one transaction without looking the id up first; store its result.

    For distributions, where replays are rare: the operation's and the event's unique keys
    refuse a replay at insert, and a refusal of write_rows() itself (too little stock, once
    the first attempt took the last units) is answered as the replay it may be. A
    unique-key refusal from a twin that committed in between on PostgreSQL is a replay too.
    write_rows() returns its result and the rows it leaves to insert: they go in with the
    operation's row, as one statement on PostgreSQL.
    """
    try:
        with transaction():
            result, rows = write_rows()
            insert_rows([*rows, (_operations, [_row(request, kind, user_id, result)])])
    except (IntegrityError, DomainError) as refusal:
        return _replay_or_raise(request, kind, refusal)
    return OperationResult(result, created=True)


def _replay_or_raise(request: OperationRequest, kind: str, refusal: Exception) -> OperationResult:
    """The recorded result of a refused write that was a replay; else the refusal stands."""
    replayed = replay(request, kind)
    if replayed is None:
        raise refusal
    return replayed
