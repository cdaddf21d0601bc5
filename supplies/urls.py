"""Redirect targets: only a path inside this app may be one."""

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """Only a path inside this app may be a redirect target."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(char) < 32 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
