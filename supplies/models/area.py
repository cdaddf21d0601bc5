"""Areas: the counties and 3-digit ZIP prefixes a program serves (DESIGN.md, Domain)."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from supplies.extensions import db


class Area(db.Model):
    """A county (name and state) or a 3-digit ZIP prefix; an event's area is one of them.

    `key` is the name folded for matching (no case, no accents, no trailing "County"), so
    "dona ana" finds "Doña Ana County"; events store `name`, the list's own spelling.
    """

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # county or zip3
    name: Mapped[str] = mapped_column(String(40))
    state: Mapped[str | None] = mapped_column(String(2))
    key: Mapped[str] = mapped_column(String(40), unique=True)

    def __repr__(self) -> str:
        return f"<Area {self.name}>"
