"""Operations: one row per write, keyed by the client's UUID, so a retry never writes twice."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from supplies.extensions import db
from supplies.models.types import UTCDateTime, utcnow

OPERATION_KINDS = (
    "receipt",
    "transfer",
    "adjustment",
    "count",
    "distribution",
    "void",
    "lot_status",
    "site",
    "supply",
    "funding_source",
    "import",
    "request",
    "request_approve",
    "request_fulfil",
    "request_decline",
    "request_cancel",
    "partner_report",
)


class Operation(db.Model):
    """A write as the client sent it: its id, a fingerprint of its body and what it returned."""

    __tablename__ = "operations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    fingerprint: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    result: Mapped[dict] = mapped_column(JSON)
