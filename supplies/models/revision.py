"""Counters that say when data a reader keeps has changed, kept in the database for every server."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from supplies.extensions import db


class Revision(db.Model):
    """A named counter, bumped in the same transaction as the change it announces."""

    __tablename__ = "revisions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)
