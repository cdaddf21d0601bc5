"""Importing starting stock and past distributions from the spreadsheets programs keep.

preview() reads and checks a whole file and writes nothing. apply() stages the checked
plan and writes it in short transactions that never stop the distribution table, all rows
or none (a refusal midway undoes what was written): see applying.py.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from supplies.extensions import db
from supplies.models import ImportedFile
from supplies.services.common import clock, permissions
from supplies.services.common.errors import Conflict, DomainError, Forbidden
from supplies.services.common.messages import msg
from supplies.services.db.operations import OperationResult
from supplies.services.imports import applying
from supplies.services.imports.columns import (
    DISTRIBUTIONS,
    KINDS,
    STOCK,
    header_matcher,
    map_columns,
)
from supplies.services.imports.reading import (
    FileRefused,
    IdentifyingColumns,
    estimate_rows,
    read_sheet,
)
from supplies.services.imports.rows import RowError, check_distributions, check_stock, lookups

__all__ = ["DISTRIBUTIONS", "KINDS", "STOCK", "Forbidden", "RowError", "estimate_rows"]

Progress = Callable[[int], None] | None


class ImportRefused(DomainError):
    """The file was not imported; `errors` lists every refused row."""

    code = "import_refused"

    def __init__(self, message: str, errors: list[RowError]):
        super().__init__(message)
        self.errors = errors


@dataclass(frozen=True)
class CommandLineActor:
    """Who imports from the command line: the server's operator, with an admin's rights."""

    id: None = None
    role: str = "admin"
    active: bool = True
    site_ids: frozenset = frozenset()


@dataclass
class Preview:
    """What an import would create, and every reason it would be refused."""

    kind: str
    sha256: str
    filename: str
    force: bool = False
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    plan: list = field(default_factory=list)
    previous: list[dict] = field(default_factory=list)
    columns: dict = field(default_factory=dict)
    identifying: bool = False

    @property
    def ok(self) -> bool:
        """True when nothing is refused and the import may be confirmed."""
        return not self.errors and bool(self.plan)

    def summary(self) -> dict:
        """Counts only, for the screen, the command line and the record of the import."""
        unit = "events" if self.kind == DISTRIBUTIONS else "rows"
        by_site_supply = [
            {"site": site, "supply": supply, unit: tally[unit], "units": tally["units"]}
            for (site, supply), tally in sorted(self.counts.items())
        ]
        return {
            "kind": self.kind,
            "rows": self.rows,
            "receipts" if self.kind == STOCK else "events": len(self.plan),
            "units": sum(t["units"] for t in self.counts.values()),
            "by_site_supply": by_site_supply,
        }


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def previous_imports(sha256: str) -> list[dict]:
    """Earlier imports of the same file, oldest first."""
    rows = db.session.execute(
        db.select(ImportedFile).where(ImportedFile.sha256 == sha256).order_by(ImportedFile.copy)
    ).scalars()
    return [
        {"imported_at": r.imported_at, "kind": r.kind, "rows": r.rows, "filename": r.filename}
        for r in rows
    ]


def history(limit: int = 20) -> list[ImportedFile]:
    """The latest imports, newest first."""
    return list(
        db.session.execute(
            db.select(ImportedFile).order_by(ImportedFile.id.desc()).limit(limit)
        ).scalars()
    )


def preview(
    actor, path: Path, filename: str, kind: str, force: bool = False, progress: Progress = None
) -> Preview:
    """Read and check a whole file, writing nothing: what would be created, and every error."""
    permissions.require(actor, "import_data")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    result = Preview(kind, file_sha256(path), Path(filename).name[:255], force)
    result.previous = previous_imports(result.sha256)
    if result.previous and not force:
        first = result.previous[-1]
        result.errors.append(
            RowError(
                None,
                None,
                msg(
                    "This file was already imported on %(when)s (%(rows)s rows). Importing "
                    "it again would count everything twice; force the import only if that is "
                    "what you want.",
                    # No locale here: the program's clock, with its zone's abbreviation.
                    when=f"{clock.local_time(first['imported_at']):%Y-%m-%d %H:%M %Z}",
                    rows=first["rows"],
                ),
            )
        )
    try:
        sheet = read_sheet(path, filename, header_matcher(kind), progress)
        columns, result.warnings = map_columns(kind, sheet.headers, sheet.header_row)
        result.columns = columns
    except FileRefused as refused:
        result.errors.append(RowError(None, None, refused.args[0]))
        result.identifying = isinstance(refused, IdentifyingColumns)
        return result
    result.rows = len(sheet.rows)
    if not sheet.rows:
        result.errors.append(RowError(None, None, msg("The file has a header but no rows.")))
        return result
    check = check_stock if kind == STOCK else check_distributions
    plan, errors, counts = check(sheet.rows, columns, lookups(), progress)
    result.errors.extend(errors)
    result.plan, result.counts = plan, counts
    result.errors.sort(key=_in_sheet_order)
    return result


def _in_sheet_order(error: RowError) -> tuple:
    """Errors by row, then by column as the sheet orders them (B before AA)."""
    letters = (error.column or "").split(" ")[0]
    return (error.row or 0, len(letters), letters)


def apply(actor, checked: Preview, progress: Progress = None) -> OperationResult:
    """Write a checked file in short transactions, all rows or none (see applying.py)."""
    permissions.require(actor, "import_data")
    if not checked.ok:
        raise ImportRefused("The file has errors; nothing was imported.", checked.errors)
    copy = len(checked.previous)
    run = applying.unfinished(checked.sha256, copy)
    if run is None:
        if len(previous_imports(checked.sha256)) != copy:
            raise Conflict(msg("This file was imported meanwhile; nothing was imported again."))
        try:
            run = applying.stage(actor, checked, copy)
        except applying.Refused as refused:
            raise ImportRefused(
                "Some rows were refused; nothing was imported.", refused.errors
            ) from None
    return resume(actor, run, progress)


def resume(actor, run, progress: Progress = None) -> OperationResult:
    """Go on writing a staged import (a retry after its process died), or undo it if refused."""
    permissions.require(actor, "import_data")
    try:
        summary = applying.resume(actor, run, progress)
    except applying.Refused as refused:
        raise ImportRefused(
            "Some rows were refused; nothing was imported.", refused.errors
        ) from None
    return OperationResult(summary, created=True)
