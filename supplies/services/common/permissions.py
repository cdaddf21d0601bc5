"""Who may do what, and where: DESIGN.md's roles table in one place."""

from supplies.models import User
from supplies.services.common.errors import Forbidden
from supplies.services.common.messages import msg

# Actions that need a site check it for staff and partners (their assigned sites; a
# partner has one, its agency); the other roles work everywhere. A role not named in an
# action's set is refused it: the partner role is named only by the partner actions below.
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
    # The program's lists of sites, supplies, funding sources and areas (the API's GETs).
    "see_catalog": {"admin", "coordinator", "staff", "funder"},
    # Partner agencies (DESIGN.md, roles: supply requests and partner monthly reports).
    "request_supplies": {"partner"},
    "see_requests": {"admin", "coordinator", "partner"},
    "decide_requests": {"admin", "coordinator"},
    "report_partner": {"partner"},
    "see_partner_reports": {"admin", "coordinator", "partner"},
}
_SITE_BOUND = ("staff", "partner")


def can(user: User, action: str, site_id: int | None = None) -> bool:
    """True when the user's role allows the action at the site (staff and partners: their
    assigned sites only)."""
    if user is None or not user.active or user.role not in _ROLES_FOR[action]:
        return False
    if user.role in _SITE_BOUND and site_id is not None:
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
    if user.role in _SITE_BOUND:
        return user.site_ids
    return None
