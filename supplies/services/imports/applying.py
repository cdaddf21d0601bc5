"""Writing a checked import in short transactions that never stop the table, all or nothing.

This module stages a run, drives its chunks (writing.py) and its undoing (undoing.py), and
finishes it.

A 45,000-row import used to be one transaction: it held SQLite's writer for 31 s (no
distribution recorded meanwhile) and, on PostgreSQL, took balance row locks in file order
and deadlocked with distributions. The design that keeps both promises (fast and gentle,
and all or nothing) is "stage, apply in small ordered chunks, reverse on failure":

- Check first. `runner.preview` reads and checks every row, writing nothing.
- Stage. The checked plan (every receipt or event, in the order it is written, with ids
  and codes only) is stored compressed on an `ImportRun` named by the import id, in one
  short transaction.
- Apply in chunks. Each chunk is one transaction sized to hold the writer (SQLite) or its
  row locks (PostgreSQL) for about CHUNK_SECONDS; its rows are bulk statements, not one
  service call per row. The run's `steps_done` moves in the same transaction, so a retry
  after a crash resumes exactly after the last committed chunk. Balance rows are locked in
  the distribution path's global order (site, then supply, then first expiry, then batch:
  ledger.usable_first locks one site's rows by supply, expiry, batch), so an import and a
  distribution can never wait for each other in a circle.
- All or nothing. A chunk refused at write time (a distribution meanwhile took the stock
  an imported row needed, so the row no longer fits the ledger in business time) is
  rolled back; the run turns `reversing` and every chunk already committed is undone by
  reversing movements (a void of each imported event, a negative movement of each imported
  receipt line), in short transactions too, then the run is `reversed` and the refused
  rows are reported. Stock received by an import carries the import id on its batches and
  no removal takes from it until the import is done (ledger's holdings skip it), so undoing
  a receipt always finds its units. Only when every chunk is written is the run `done`, the
  imported file recorded and the received batches released.

The import runs as a background job (supplies/jobs) in a process of its own, never in a
web worker's thread. The ledger stays true in time: each event's lines are allocated, under
the locks, from each batch's spare units at the event's moment (the balance then, and at
every later movement), first expiry first among lots available and unexpired that day.
"""

import gc
import gzip
import json
import time
import uuid
from contextlib import contextmanager

from sqlalchemy import select, update

from supplies.extensions import db
from supplies.models import (
    Batch,
    FundingSource,
    ImportedFile,
    ImportRun,
    Site,
    Supply,
)
from supplies.models.types import utcnow
from supplies.services.common import clock
from supplies.services.common.errors import Conflict
from supplies.services.common.messages import msg
from supplies.services.db import audit, operations
from supplies.services.db.unit_of_work import transaction
from supplies.services.distribution import quarters
from supplies.services.imports import undoing, writing
from supplies.services.imports.columns import STOCK
from supplies.services.imports.rows import RowError
from supplies.services.imports.writing import Refused

__all__ = ["Refused", "resume", "stage", "unfinished"]

APPLYING, REVERSING, DONE, REVERSED = "applying", "reversing", "done", "reversed"
# A chunk aims to hold the writer this long; its size in rows adapts to the machine.
CHUNK_SECONDS = 0.2
# Never fewer rows than MIN_CHUNK: a chunk's fixed cost (its locks and reads) must not
# shrink the chunks until that cost is all they do.
FIRST_CHUNK, MIN_CHUNK, MAX_CHUNK = 400, 200, 2000
_NAMESPACE = uuid.UUID("6f1c3f8e-2b0e-4d55-9a53-3f0b7c2a9e41")


# --- staging -----------------------------------------------------------------------------


def import_id(sha256: str, copy: int, attempt: int) -> str:
    """The id of an attempt at importing a file's copy (the first keeps the old naming)."""
    name = f"{sha256}:{copy}" if attempt == 0 else f"{sha256}:{copy}:{attempt}"
    return str(uuid.uuid5(_NAMESPACE, name))


def unfinished(sha256: str, copy: int) -> ImportRun | None:
    """A run of this file's copy that stopped while applying or reversing (a retry resumes)."""
    return db.session.execute(
        select(ImportRun).where(
            ImportRun.sha256 == sha256,
            ImportRun.copy == copy,
            ImportRun.state.in_((APPLYING, REVERSING)),
        )
    ).scalar_one_or_none()


def stage(actor, checked, copy: int) -> ImportRun:
    """Store the checked plan under a new import id, in one short transaction."""
    errors = _still_valid(checked)
    if errors:
        raise Refused(errors)
    steps = _plan_steps(checked)
    # Compressed before the transaction: the writer is not held while a big plan is packed.
    plan, summary = gzip.compress(json.dumps(steps, default=str).encode(), 5), checked.summary()
    with transaction():
        attempt = db.session.execute(
            select(db.func.count(ImportRun.id)).where(
                ImportRun.sha256 == checked.sha256, ImportRun.copy == copy
            )
        ).scalar_one()
        run = ImportRun(
            id=import_id(checked.sha256, copy, attempt),
            sha256=checked.sha256,
            copy=copy,
            attempt=attempt,
            kind=checked.kind,
            filename=checked.filename,
            rows=checked.rows,
            user_id=actor.id,
            state=APPLYING,
            steps_total=len(steps),
            steps_done=0,
            steps_reversed=0,
            plan=plan,
            summary=summary,
        )
        db.session.add(run)
        db.session.flush()
    return run


def _still_valid(checked) -> list[RowError]:
    """What may have changed since the check: sites and supplies deactivated, a lot received
    meanwhile with another expiry. Read again just before staging."""
    active = {
        name: {code for code, on in db.session.execute(select(model.code, model.active)) if on}
        for name, model in (("site", Site), ("supply", Supply))
    }
    errors = []
    if checked.kind == STOCK:
        known = _known_expiries(checked.plan)
        for receipt in checked.plan:
            for row, line in receipt.lines:
                if receipt.site not in active["site"]:
                    errors.append(
                        RowError(row, None, msg("site %(code)s is inactive", code=receipt.site))
                    )
                if line.supply not in active["supply"]:
                    errors.append(
                        RowError(row, None, msg("supply %(code)s is inactive", code=line.supply))
                    )
                others = known.get((line.supply, line.lot_number), set()) - {line.expires_on}
                if line.lot_number and line.expires_on and others:
                    errors.append(
                        RowError(
                            row,
                            None,
                            msg(
                                "lot %(lot_number)s is already known with expiry %(value)s",
                                lot_number=line.lot_number,
                                value=sorted(others)[0],
                            ),
                        )
                    )
        return errors
    # A quarter may have closed since the check: its rows are refused, as the check would.
    days = {event.occurred_at: clock.local_date(event.occurred_at) for event in checked.plan}
    closed = {q.starts_on: (q, since) for q, since in quarters.closed_among(set(days.values()))}
    for event in checked.plan:
        shut = closed.get(quarters.quarter_of(days[event.occurred_at]).starts_on)
        if shut is not None:
            errors.append(
                RowError(
                    event.first_row,
                    None,
                    msg(
                        "is in %(quarter)s, closed on %(closed)s: an admin must reopen the "
                        "quarter before history is entered there",
                        quarter=shut[0].label,
                        closed=shut[1].isoformat(),
                    ),
                )
            )
        if event.site.code not in active["site"]:
            errors.append(
                RowError(
                    event.first_row, None, msg("site %(code)s is inactive", code=event.site.code)
                )
            )
        for row, supply, _quantity in event.items:
            if supply.code not in active["supply"]:
                errors.append(
                    RowError(row, None, msg("supply %(code)s is inactive", code=supply.code))
                )
    return errors


def _known_expiries(plan) -> dict[tuple[str, str], set[str]]:
    """Expiry dates (ISO) of lots already received, by (supply code, lot number)."""
    lots = {line.lot_number for receipt in plan for _, line in receipt.lines if line.lot_number}
    if not lots:
        return {}
    known: dict[tuple[str, str], set[str]] = {}
    for code, lot, expires_on in db.session.execute(
        select(Supply.code, Batch.lot_number, Batch.expires_on)
        .join(Supply, Supply.id == Batch.supply_id)
        .where(Batch.lot_number.in_(lots), Batch.expires_on.is_not(None))
        .distinct()
    ):
        known.setdefault((code, lot), set()).add(expires_on.isoformat())
    return known


def _plan_steps(checked) -> list[dict]:
    """Each receipt or event as plain data: ids, codes, quantities, dates, coded fields."""
    if checked.kind == STOCK:
        codes = _ids_by_code()
        return [
            {
                "site": codes["site"][receipt.site],
                "received_on": receipt.received_on.isoformat() if receipt.received_on else None,
                "source": receipt.source or "purchase",
                "lines": [
                    {
                        "row": row,
                        "supply": codes["supply"][line.supply],
                        "quantity": line.quantity,
                        "lot_number": line.lot_number,
                        "expires_on": line.expires_on,
                        "funding": codes["funding"].get(line.funding) if line.funding else None,
                    }
                    for row, line in receipt.lines
                ],
            }
            for receipt in checked.plan
        ]
    return [
        {
            "site": event.site.id,
            "occurred_at": event.occurred_at.isoformat(),
            "row": event.first_row,
            "fields": {k: v for k, v in event.fields.items() if v is not None},
            "items": [[row, supply.id, quantity] for row, supply, quantity in event.items],
        }
        for event in checked.plan
    ]


def _ids_by_code() -> dict[str, dict[str, int]]:
    return {
        name: dict(db.session.execute(select(model.code, model.id)).all())
        for name, model in (("site", Site), ("supply", Supply), ("funding", FundingSource))
    }


# --- applying ------------------------------------------------------------------------------


def resume(actor, run: ImportRun, progress=None) -> dict:
    """Write what is left of a staged run in short transactions; undo it all if refused.

    Returns the summary once done; raises Refused (after undoing) with the refused rows.
    """
    steps = json.loads(gzip.decompress(run.plan))
    run_id, kind = run.id, run.kind
    if run.state == APPLYING:
        try:
            with _no_full_collections():
                refused = _apply_chunks(actor, run_id, kind, steps, run.steps_done, progress)
        except Conflict:
            raise  # another process is writing it
        except Exception:
            # Anything else (the database gone, a bug): what was written is undone, so the
            # file is in whole or not at all. If undoing fails too, the run stays as it is
            # and the next attempt (the job's retry, or confirming again) finishes the undo.
            _set_state(run_id, APPLYING, REVERSING, errors=[])
            run = _current(run_id)
            undoing.reverse(actor, run_id, kind, run.steps_done, run.steps_reversed)
            _set_state(run_id, REVERSING, REVERSED)
            raise
        if refused:
            _set_state(run_id, APPLYING, REVERSING, errors=[_error_data(e) for e in refused])
    run = _current(run_id)
    if run.state == REVERSING:
        undoing.reverse(actor, run_id, kind, run.steps_done, run.steps_reversed)
        _set_state(run_id, REVERSING, REVERSED)
        raise Refused([RowError(*e) for e in run.errors or []])
    if run.state == REVERSED:
        raise Refused([RowError(*e) for e in run.errors or []])
    return _finish(actor, run_id)


@contextmanager
def _no_full_collections():
    """Keep the plan's millions of objects out of the garbage collector's full passes: one
    such pass over a 200,000-row plan took most of a second, and inside a chunk it held
    the writer that long. Everything written per chunk is freed by reference counting."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _current(run_id: str) -> ImportRun:
    run = db.session.get(ImportRun, run_id)
    db.session.refresh(run)
    return run


def _error_data(error: RowError) -> list:
    return [error.row, error.column, error.message]


def _apply_chunks(actor, run_id, kind, steps, done, progress) -> list[RowError]:
    """Write the steps from `done` on, chunk by chunk; the refused rows of a chunk, if any.

    A chunk is as many whole steps (receipts, events) as make about `size` rows; `size`
    follows the rows per second measured, so each transaction lasts about CHUNK_SECONDS.
    """
    size = FIRST_CHUNK
    context = writing.Context.read(steps)
    while done < len(steps):
        end, rows = done, 0
        while end < len(steps) and (end == done or rows + _rows(steps[end]) <= size):
            rows += _rows(steps[end])
            end += 1
        chunk = steps[done:end]
        started = time.perf_counter()
        try:
            with transaction():
                writing.advance(run_id, "steps_done", done, end, APPLYING)
                if kind == STOCK:
                    writing.write_receipts(actor, run_id, done, chunk, context)
                else:
                    writing.write_events(actor, run_id, done, chunk, context)
        except writing.Refused as refused:
            return refused.errors
        elapsed = time.perf_counter() - started
        done = end
        if progress:
            progress(len(chunk))
        # Aim at CHUNK_SECONDS per transaction, growing or shrinking at most twofold.
        wanted = rows * CHUNK_SECONDS / max(elapsed, 1e-4)
        size = int(min(MAX_CHUNK, max(MIN_CHUNK, min(wanted, 2 * size), size // 2)))
    return []


def _rows(step: dict) -> int:
    """The rows of the sheet a step writes: a receipt's lines, an event's items."""
    return len(step["lines"]) if "lines" in step else len(step["items"])


def _set_state(run_id: str, before: str, after: str, errors: list | None = None) -> None:
    with transaction():
        values = {"state": after}
        if errors is not None:
            values["errors"] = errors
        if after in (DONE, REVERSED):
            values["finished_at"] = utcnow()
        db.session.execute(
            update(ImportRun)
            .where(ImportRun.id == run_id, ImportRun.state == before)
            .values(values)
            .execution_options(synchronize_session=False)
        )


# --- finishing ---------------------------------------------------------------------------------


def _finish(actor, run_id: str) -> dict:
    """Release the received batches, record the imported file, mark the run done."""
    while True:
        with transaction():
            hidden = select(Batch.id).where(Batch.import_id == run_id).limit(2000)
            released = db.session.execute(
                update(Batch)
                .where(Batch.id.in_(hidden.scalar_subquery()))
                .values(import_id=None)
                .execution_options(synchronize_session=False)
            ).rowcount
        if released < 2000:
            break
    run = db.session.get(ImportRun, run_id)
    summary = dict(run.summary)
    with transaction():
        made = db.session.execute(
            select(ImportedFile.summary).where(ImportedFile.operation_id == run_id)
        ).scalar_one_or_none()
        if made is not None:
            return made
        db.session.add(
            ImportedFile(
                sha256=run.sha256,
                copy=run.copy,
                kind=run.kind,
                filename=run.filename,
                rows=run.rows,
                forced=bool(run.copy),
                user_id=actor.id,
                operation_id=run_id,
                summary=summary,
            )
        )
        db.session.execute(
            update(ImportRun)
            .where(ImportRun.id == run_id)
            .values(state=DONE, finished_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.flush()
        operations.record(
            operations.OperationRequest(run_id, operations.fingerprint(summary)),
            "import",
            actor.id,
            summary,
        )
        audit.record(actor.id, "import.create", "import", run_id, summary)
    return summary
