"""Reading the audit log: filter by person, action and dates, a page at a time."""

from dataclasses import dataclass
from datetime import date, timedelta

from supplies.extensions import db
from supplies.models import AuditEntry, User
from supplies.services.common import clock, permissions


@dataclass(frozen=True)
class AuditPage:
    """One page of entries (each with its actor's email), and how many match in all."""

    rows: list[tuple[AuditEntry, str | None]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the matches fill (at least one)."""
        return max(1, -(-self.total // self.per_page))


def search(
    actor,
    user_id: int | None = None,
    action: str | None = None,
    start: date | None = None,
    end: date | None = None,
    page: int = 1,
    per_page: int = 50,
) -> AuditPage:
    """Entries matching the filters, newest first; dates are program days, end included."""
    permissions.require(actor, "administer")
    conditions = []
    if user_id is not None:
        conditions.append(AuditEntry.actor_id == user_id)
    if action:
        conditions.append(AuditEntry.action == action)
    if start:
        conditions.append(AuditEntry.occurred_at >= clock.start_of_day(start))
    if end:
        conditions.append(AuditEntry.occurred_at < clock.start_of_day(end + timedelta(days=1)))
    total = db.session.execute(
        db.select(db.func.count()).select_from(AuditEntry).where(*conditions)
    ).scalar_one()
    query = (
        db.select(AuditEntry, User.email)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(*conditions)
        .order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    rows = [(entry, email) for entry, email in db.session.execute(query)]
    return AuditPage(rows, total, page, per_page)


def actions(actor) -> list[str]:
    """Every action name in the log, for the filter's choices."""
    permissions.require(actor, "administer")
    query = db.select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    return list(db.session.execute(query).scalars())
