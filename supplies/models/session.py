"""Signed-in sessions, kept server-side so that signing out (or a reset) ends them for good."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from supplies.extensions import db
from supplies.models.types import UTCDateTime, utcnow


class UserSession(db.Model):
    """One sign-in: the cookie carries its random id, the database only the id's SHA-256.

    A session works while its row exists and expires_at (the absolute limit) is ahead;
    signing out, a password change or reset and deactivation delete the rows.
    """

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
