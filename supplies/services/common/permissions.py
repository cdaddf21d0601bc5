"""Who may do what, and where: DESIGN.md's roles table in one place."""

from supplies.models import User
from supplies.services.common.errors import Forbidden
from supplies.services.common.messages import msg

# Actions that need a site only check it for staff; the other roles work everywhere.
_ROLES_FOR = {
    "distribute": {"admin", "coordinator", "staff"},
    "void_any": {"admin", "coordinator"},
    "see_stock": {"admin", "coordinator", "staff"},
    "manage_stock": {"admin", "coordinator"},
    "count": {"admin", "coordinator", "staff"},
    "manage_catalog": {"admin", "coordinator"},
    "funder_reports": {"admin", "coordinator", "funder"},
    "event_export": {"admin", "coordinator"},
    "see_events": {"admin", "coordinator", "staff"},
    "administer": {"admin"},
    "import_data": {"admin", "coordinator"},
}


def can(user: User, action: str, site_id: int | None = None) -> bool:
    """True when the user's role allows the action at the site (staff: assigned sites only)."""
    if user is None or not user.active or user.role not in _ROLES_FOR[action]:
        return False
    if user.role == "staff" and site_id is not None:
        return site_id in user.site_ids
    return True


def require(user: User, action: str, site_id: int | None = None) -> None:
    """Raise Forbidden unless the user may do the action at the site."""
    if not can(user, action, site_id):
        if site_id is not None and user is not None and user.role in _ROLES_FOR[action]:
            raise Forbidden(msg("You are not assigned to this site."))
        raise Forbidden(msg("Your role does not allow this."))


def visible_site_ids(user: User) -> set[int] | None:
    """The sites whose stock and events a user may see; None means all of them."""
    if user.role == "staff":
        return user.site_ids
    return None
