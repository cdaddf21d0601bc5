"""Reading past distribution events, newest first, for the API and the screens."""

from datetime import date, timedelta

from sqlalchemy import func

from supplies.extensions import db
from supplies.models import DistributionEvent
from supplies.services.common import clock, permissions


def list_events(
    user,
    site_ids: list[int] | None,
    start: date | None,
    end: date | None,
    page: int,
    per_page: int,
) -> tuple[list[DistributionEvent], int]:
    """A page of events the user may see, with the total that match."""
    permissions.require(user, "see_events")
    conditions = []
    visible = permissions.visible_site_ids(user)
    if visible is not None:
        conditions.append(DistributionEvent.site_id.in_(visible))
    if site_ids is not None:
        conditions.append(DistributionEvent.site_id.in_(site_ids))
    if start:
        conditions.append(DistributionEvent.occurred_at >= clock.start_of_day(start))
    if end:
        conditions.append(
            DistributionEvent.occurred_at < clock.start_of_day(end + timedelta(days=1))
        )
    total = db.session.execute(
        db.select(func.count()).select_from(DistributionEvent).where(*conditions)
    ).scalar_one()
    events = db.session.execute(
        db.select(DistributionEvent)
        .where(*conditions)
        .order_by(DistributionEvent.occurred_at.desc(), DistributionEvent.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).scalars()
    return list(events), total
