"""Building blocks of the hot, cached statements (the distribution's fast path).

An expanding IN parameter is rewritten into SQL at every execution. The hot statements
instead take a fixed-length list of parameters, built once per length and cached by the
caller, which costs nothing more at execution than any other parameter.
"""

from sqlalchemy import bindparam


def in_list(column, name: str, count: int):
    """`column IN (:name_0, ..., :name_<count-1>)`; fill it with list_params(name, values)."""
    return column.in_([bindparam(f"{name}_{index}") for index in range(count)])


def list_params(name: str, values) -> dict:
    """The parameters of an in_list() of the same name, one per value."""
    return {f"{name}_{index}": value for index, value in enumerate(values)}
