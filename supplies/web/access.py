"""Not allowed: a role check that fails, or a service's Forbidden, becomes a 403 page."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

from flask import abort

from supplies.i18n import translate
from supplies.services.common import permissions
from supplies.services.common.errors import Forbidden


def require(user, action: str, site_id: int | None = None) -> None:
    """A 403 page unless the user's role allows the action (at this site)."""
    if not permissions.can(user, action, site_id):
        abort(403)


def deny(error: Forbidden) -> NoReturn:
    """A 403 page that says, in the reader's language, why the service refused."""
    abort(403, translate(error.message))


@contextmanager
def forbidden_as_403() -> Iterator[None]:
    """Inside (or on a view, as a decorator): a Forbidden raised by a service is a 403 page."""
    try:
        yield
    except Forbidden as error:
        deny(error)
