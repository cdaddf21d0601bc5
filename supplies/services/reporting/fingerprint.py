"""A funder workbook's fingerprint: what it shows, hashed, so the same request over the
same data is handed the archived file instead of a new one (exports.py)."""

import dataclasses
import hashlib
import json
from itertools import chain
from operator import itemgetter

from supplies.services.reporting.report import FunderReport

# Part of a funder workbook's fingerprint: raise it when the writer lays a workbook out
# differently, so an archived file of the old layout is not handed out again.
WORKBOOK_VERSION = 3


def _plain(value):
    """A dataclass as a dict of its fields (JSON reads what they hold), else the value.

    Not dataclasses.asdict(): it deep-copies every row of every table it holds first.
    """
    if dataclasses.is_dataclass(value):
        return {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    return value


def report_fingerprint(report: FunderReport) -> str:
    """A hash of everything a funder workbook shows but the moment it was generated.

    The same filters over the same data (and the same quarters closed) give the same
    fingerprint, so a repeated request reuses the archived file instead of writing another.
    """
    digest = hashlib.sha256()
    rest = {}
    for field in dataclasses.fields(report):
        value = getattr(report, field.name)
        if field.name == "generated_at":
            continue
        if isinstance(value, list) and value and type(value[0]) is dict:
            # A table: its keys once (every key of every row), then each row's values in
            # that order. Half the cost of hashing keyed rows, on tables of 600,000 cells.
            keys = list(dict.fromkeys(chain.from_iterable(value)))
            if set(map(len, value)) == {len(keys)}:
                rows = list(map(itemgetter(*keys), value))  # every row has every key
            else:
                rows = [[row.get(key) for key in keys] for row in value]
            digest.update(_canonical([field.name, keys, rows]).encode())
        else:
            rest[field.name] = _plain(value)
    rest["workbook"] = WORKBOOK_VERSION
    # Keys sorted here: some of these dicts are built from sets, in no fixed order.
    digest.update(_canonical(rest, sort_keys=True).encode())
    return digest.hexdigest()


def _canonical(value, sort_keys: bool = False) -> str:
    return json.dumps(value, sort_keys=sort_keys, default=str, separators=(",", ":"))
