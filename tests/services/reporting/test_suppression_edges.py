"""Small-cell suppression at its edges, each rule as a funder would read the table."""

import itertools

import pytest

from supplies.services.reporting.suppression import (
    SUPPRESSED,
    protected_within,
    shown_as,
    small,
    suppress_group,
    suppress_quarter,
    suppress_units,
)


def test_a_count_of_one_to_ten_is_small_and_zero_or_eleven_is_not():
    assert [small(n, 11) for n in (0, 1, 10, 11)] == [False, True, True, False]
    assert [shown_as(n, 11) for n in (0, 1, 10, 11)] == [0, "<11", "<11", 11]


def test_with_suppression_off_nothing_is_hidden_even_where_the_total_is_kept_unknown():
    assert suppress_group([5, 3, 0], 0, total_known=False) == [5, 3, 0]
    assert suppress_group([5, 3, 0], -1, total_known=False) == [5, 3, 0]


def test_a_breakdown_kept_from_giving_the_total_away_hides_one_cell_whatever_the_threshold():
    # With a threshold of 1 no count is small, yet the total must still not be read off.
    assert suppress_group([5, 3], 1, total_known=False) == [5, "suppressed"]
    assert suppress_group([5, 3], 1) == [5, 3]


def test_once_the_total_is_unknown_one_hidden_zero_protects_and_the_other_zeros_are_shown():
    assert suppress_group([3, 0, 0], 11, total_known=False) == ["<11", "suppressed", 0]
    shown, total_hidden = suppress_quarter({"age": [3, 0, 0], "language": [0, 3, 0]}, 11)
    assert total_hidden
    assert shown == {"age": ["<11", "suppressed", 0], "language": ["suppressed", "<11", 0]}


def test_a_breakdown_with_nobody_in_it_hides_only_one_zero_when_the_total_is_kept_unknown():
    assert suppress_group([0, 0, 0], 11, total_known=False) == ["suppressed", 0, 0]


def test_a_hidden_ten_of_a_known_total_of_ten_cannot_be_protected_by_zeros():
    # "<11" + "suppressed" = 10: a hidden cell is 0 or 11 and up, so the zero would be 0
    # and the small cell exactly 10. No complement can protect it against the total.
    assert suppress_group([10, 0, 0], 11) is None
    assert suppress_units([10, 0, 0], 11) == ["<11", "suppressed", "suppressed"]
    assert suppress_group([9, 0, 0], 11) is None
    # With the total unknown, one hidden zero is enough (the total could be large).
    assert suppress_group([10, 0, 0], 11, total_known=False) == ["<11", "suppressed", 0]


def test_a_quarter_with_nothing_small_shows_every_cell_and_its_total():
    assert suppress_quarter({"age": [20, 0, 30], "area": [50]}, 11) == (
        {"age": [20, 0, 30], "area": [50]},
        False,
    )


def test_units_too_few_to_protect_hide_every_area_zeros_included():
    assert suppress_units([0, 4, 0], 11) == ["suppressed", "<11", "suppressed"]
    assert suppress_units([0, 0, 0], 11) == [0, 0, 0]


def test_a_hidden_cell_cannot_be_recovered_from_the_row_total_and_the_complement():
    """Twelve encounters, all shown by training status; one of them for others.

    A "suppressed" cell is never 1 to 10 (that would show "<11"), so it is 0 or 11 and up:
    "<11" + "suppressed" = 12 would force the complement to 11 and the small cell to 1.
    No complement can protect it against the known 12, so the total is kept unknown.
    """
    shown, total_hidden = suppress_quarter({"trained": [0, 0, 12], "for_others": [1, 0, 11]}, 11)
    assert total_hidden
    assert shown == {"trained": [0, 0, "suppressed"], "for_others": ["<11", 0, "suppressed"]}


def test_one_person_collecting_for_others_cannot_be_read_off_the_workbook(app, make, monkeypatch):
    """Twelve encounters in a closed quarter, one of them collecting for others."""
    from supplies.services.reporting import report as reporting
    from tests.reports.dataset import strips_at_hub

    ledger = strips_at_hub(app, make, monkeypatch)
    for day in range(1, 13):
        extra = {"for_others": True} if day == 1 else {}
        ledger.distribute(f"2026-02-{day:02d}T12:00", "HUB", {"FTS": 1}, **extra)
    ledger.at("2026-04-10T08:00")
    report = reporting.funder_report(reporting.make_filters("2026-01-01", "2026-03-31"))
    rows = {(r["breakdown"], r["value"]): r["encounters"] for r in report.recipients}
    cells = [rows[("for_others", value)] for value in ("true", "false", "not recorded")]
    # Kept unknown, the total is still 12: FTS went to 12 encounters (at least 12) in 12
    # units (at most 12). "<11" + 0 + "suppressed" = 12, and a "suppressed" cell is never
    # 1 to 10, so it would be 11 and the "<11" exactly 1: the quarter shows nothing.
    assert cells == ["suppressed", "suppressed", "suppressed"]
    assert {cell for (_, _), cell in rows.items()} == {"suppressed"}


def test_every_area_off_the_programs_list_adds_up_under_other_area(app, make, monkeypatch):
    from supplies.extensions import db
    from supplies.models import Area
    from supplies.services.reporting.suppression import counted_breakdowns, encounter_tallies
    from tests.reports.dataset import Ledger

    make.site("HUB")
    make.supply("FTS", category="fentanyl_test_strip")
    for county in ("Alder County", "Cedar County", "Dogwood County"):
        make.area(county, "NY")
    ledger = Ledger(monkeypatch, make.admin)
    ledger.receive("2026-01-02T09:00", "HUB", "FTS", 500)
    for area in ("Cedar County", "Dogwood County", "Dogwood County", "Alder County", None):
        ledger.distribute("2026-02-02T12:00", "HUB", {"FTS": 1}, area=area)
    # Two of the areas are no longer on the program's list (stored events keep them).
    db.session.execute(db.delete(Area).where(Area.name != "Alder County"))
    db.session.commit()
    counts = dict(counted_breakdowns(encounter_tallies([])[0])["area"])
    assert counts == {"Alder County": 1, "other area": 3, "not recorded": 1}


def _possible_values(cells: list, hidden_sum: int, below: int) -> list[set[int]]:
    """Every value each "<N" cell could take, by trying every filling of the hidden cells:
    "<N" is 1..N-1, "suppressed" is 0 or N and up (a reader knows 1..N-1 shows "<N")."""
    choices = [
        range(1, below) if cell == f"<{below}" else [0, *range(below, hidden_sum + 1)]
        for cell in cells
        if not isinstance(cell, int)
    ]
    small_at = [i for i, cell in enumerate(c for c in cells if not isinstance(c, int))
                if cell == f"<{below}"]  # fmt: skip
    seen = [set() for _ in small_at]
    for filling in itertools.product(*choices):
        if sum(filling) == hidden_sum:
            for slot, i in enumerate(small_at):
                seen[slot].add(filling[i])
    return seen


@pytest.mark.parametrize("below", [3, 4])
def test_no_small_cell_of_a_breakdown_with_a_known_total_can_be_narrowed(below):
    """Every breakdown of three or four cells up to 8 each, tried exhaustively."""
    for size in (3, 4):
        for counts in itertools.product(range(9), repeat=size):
            shown = suppress_group(list(counts), below)
            if shown is None or all(isinstance(cell, int) for cell in shown):
                continue  # the total is then kept unknown, or nothing is small
            hidden_sum = sum(counts) - sum(cell for cell in shown if isinstance(cell, int))
            for values in _possible_values(shown, hidden_sum, below):
                assert values == set(range(1, below)), (counts, shown, values)


def test_a_hidden_total_that_other_tables_pin_down_hides_the_whole_quarter():
    breakdowns = {"trained": [0, 0, 12], "for_others": [1, 0, 11]}
    # Units and encounters by supply say the total is 12: the "<11" would be 1.
    shown, total_hidden = suppress_quarter(breakdowns, 11, total_bounds=(12, 12))
    assert total_hidden and shown == {
        "trained": ["suppressed"] * 3,
        "for_others": ["suppressed"] * 3,
    }
    # Known only to lie between 12 and 40: the "<11" could be anything from 1 to 10.
    shown, _ = suppress_quarter(breakdowns, 11, total_bounds=(12, 40))
    assert shown["for_others"] == ["<11", 0, "suppressed"]
    # A breakdown of small cells alone bounds the total by itself (3 + 4: at most 20),
    # which still leaves every cell free here: the quarter is shown.
    shown, _ = suppress_quarter({"a": [3, 4], "b": [7, 0]}, 11, total_bounds=(0, 1000))
    assert shown == {"a": ["<11", "<11"], "b": ["<11", "suppressed"]}
    # But with a total of at least 20 the two small cells would be 10 each.
    shown, _ = suppress_quarter({"a": [3, 4], "b": [7, 0]}, 11, total_bounds=(20, 1000))
    assert shown == {"a": ["suppressed"] * 2, "b": ["suppressed"] * 2}


def test_one_large_complement_protects_a_small_cell_and_the_total_stays_shown():
    # "<11" + "suppressed" = 21: the small cell could be 10 with an 11 beside it, or 1
    # with a 20: anything from 1 to 10, so the 30 and the quarter's total stay shown.
    assert suppress_group([3, 18, 30], 11) == ["<11", "suppressed", 30]
    assert suppress_group([3, 20, 30], 11) == ["<11", "suppressed", 30]
    # "<11" + "suppressed" = 14 would make the small cell 1, 2 or 3 (or the other 0):
    # a second complement is needed.
    assert suppress_group([3, 11, 30], 11) == ["<11", "suppressed", "suppressed"]


def test_two_small_cells_adding_up_to_the_threshold_are_protected_by_a_hidden_zero():
    # "<11" + "<11" + "suppressed" = 11: the hidden zero cannot be 11 or more, so the two
    # small cells add up to 11, and each could be anything from 1 to 10.
    assert suppress_group([5, 6, 0], 11) == ["<11", "<11", "suppressed"]
    assert suppress_quarter({"age": [5, 6, 0], "area": [11]}, 11) == (
        {"age": ["<11", "<11", "suppressed"], "area": [11]},
        False,
    )


def test_with_suppression_off_a_quarter_shows_every_count_and_its_total():
    breakdowns = {"age": [5, 3, 0], "area": [8]}
    assert suppress_quarter(breakdowns, 0) == ({"age": [5, 3, 0], "area": [8]}, False)
    assert suppress_quarter(breakdowns, 0, total_bounds=(8, 8)) == (
        {"age": [5, 3, 0], "area": [8]},
        False,
    )


def test_small_cells_alone_in_a_breakdown_are_pinned_by_a_large_enough_total():
    # Three "<11" cells add up to at most 30: a total known to be at least 30 makes each
    # exactly 10, so nothing of the quarter is shown.
    shown, total_hidden = suppress_quarter({"a": [3, 4, 5]}, 11, total_bounds=(30, 1000))
    assert total_hidden and shown == {"a": ["suppressed"] * 3}
    # From 12 up, each could still be anything from 1 to 10 (10 + 1 + 1, 1 + 10 + 1, ...).
    shown, _ = suppress_quarter({"a": [3, 4, 5]}, 11, total_bounds=(12, 1000))
    assert shown == {"a": ["<11"] * 3}


def _values_a_reader_could_find(shown: dict, below: int, low: int, high: int) -> dict:
    """Every value each "<N" cell could take, by trying every total from low to high and
    every filling of every breakdown's hidden cells that adds up to it."""
    seen: dict = {}
    for total in range(low, high + 1):
        fillings = {}
        for name, cells in shown.items():
            known = sum(cell for cell in cells if isinstance(cell, int))
            fillings[name] = _possible_fillings(cells, total - known, below)
        if not all(fillings.values()):
            continue  # some breakdown cannot add up to this total
        for name, found in fillings.items():
            hidden = [cell for cell in shown[name] if not isinstance(cell, int)]
            for filling in found:
                for i, cell in enumerate(hidden):
                    if cell == f"<{below}":
                        seen.setdefault((name, i), set()).add(filling[i])
    return seen


def _possible_fillings(cells: list, hidden_sum: int, below: int) -> list[tuple]:
    choices = [
        range(1, below) if cell == f"<{below}" else [0, *range(below, hidden_sum + 1)]
        for cell in cells
        if not isinstance(cell, int)
    ]
    return [f for f in itertools.product(*choices) if sum(f) == hidden_sum]


@pytest.mark.parametrize("below", [3, 4])
def test_a_quarter_is_hidden_exactly_where_its_bounded_total_would_narrow_a_small_cell(below):
    """Two breakdowns (two cells and three, up to 3 each), every range the rest of the
    workbook could give the total: the quarter is shown exactly where every "<N" cell
    could still be any of 1..N-1 for some total in that range, tried exhaustively."""
    for first in itertools.product(range(4), repeat=2):
        for second in itertools.product(range(4), repeat=3):
            if sum(first) != sum(second):
                continue
            breakdowns = {"a": list(first), "b": list(second)}
            unknown = {
                name: suppress_group(counts, below, total_known=False)
                for name, counts in breakdowns.items()
            }
            total = sum(first)
            for low in range(total + 1):
                for high in range(total, total + 2 * below + 1):
                    shown, total_hidden = suppress_quarter(breakdowns, below, (low, high))
                    if not total_hidden:
                        continue
                    seen = _values_a_reader_could_find(unknown, below, low, high)
                    free = all(
                        seen.get((name, i)) == set(range(1, below))
                        for name, cells in unknown.items()
                        for i, cell in enumerate(c for c in cells if not isinstance(c, int))
                        if cell == f"<{below}"
                    )
                    hidden_all = shown == {n: [SUPPRESSED] * len(c) for n, c in breakdowns.items()}
                    assert hidden_all != free, (breakdowns, low, high, shown)


def test_a_hidden_total_pinned_far_above_the_small_cells_still_leaves_them_free():
    # Other tables say the total is exactly 40: "<11" + "suppressed" = 40 still leaves the
    # small cell anything from 1 to 10 (the hidden one 30 to 39).
    shown = {"trained": [0, 0, "suppressed"], "for_others": ["<11", 0, "suppressed"]}
    assert protected_within(shown, 11, 40, 40)
    assert protected_within(shown, 11, 40, 1000)


def test_a_small_cell_beside_shown_counts_is_narrowed_by_the_total_less_those_counts():
    # 41 in all, 29 shown: "<11" + "suppressed" = 12, so the hidden cell is 11 and the
    # small one 1.
    shown = {"trained": ["<11", "suppressed", 29], "setting": ["suppressed", 0]}
    assert not protected_within(shown, 11, 41, 41)
    # With the total anywhere from 41 to 60, the small cell is free again.
    assert protected_within(shown, 11, 41, 60)


def test_small_cells_alone_in_a_breakdown_are_shown_where_a_large_total_leaves_them_free():
    # Thirty encounters, one supply at all of them: the total is 30 to 60 (units). Five
    # "<11" age bands adding up to 30 could each be anything from 1 to 10 (1 + 10 + 10 +
    # 9 + ... ), so the quarter is shown.
    breakdowns = {"age": [5, 6, 7, 6, 6], "setting": [30, 0]}
    shown, total_hidden = suppress_quarter(breakdowns, 11, total_bounds=(30, 60))
    assert total_hidden
    assert shown == {"age": ["<11"] * 5, "setting": ["suppressed", 0]}
    # Five such cells add up to at most 50: a total of at least 50 makes each exactly 10.
    shown, _ = suppress_quarter(breakdowns, 11, total_bounds=(50, 60))
    assert shown == {"age": ["suppressed"] * 5, "setting": ["suppressed"] * 2}
