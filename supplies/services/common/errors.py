"""Errors the domain raises; the API and the screens turn them into messages."""


class DomainError(Exception):
    """Base of every refusal the services make."""

    code = "error"

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationFailed(DomainError):
    """Input that breaks a rule; `fields` names each bad field and why."""

    code = "invalid"


class NotFound(DomainError):
    """A site, supply, lot or event that does not exist."""

    code = "not_found"


class Forbidden(DomainError):
    """The user's role or sites do not allow this."""

    code = "forbidden"


class Conflict(DomainError):
    """The request is valid but clashes with the current state."""

    code = "conflict"


class InsufficientStock(Conflict):
    """Asked for more units than the site holds; `available` says how many it does."""

    code = "insufficient_stock"

    def __init__(self, message: str, fields: dict[str, str], available: dict[str, int]):
        super().__init__(message, fields)
        self.available = available


class IdempotencyConflict(Conflict):
    """An operation id reused with a different body."""

    code = "id_reused"
