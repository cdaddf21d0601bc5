"""The mutation score per core module, after `mutmut run` (see `make mutation`).

Reads `mutmut results --all true`, leaves out the mutants reviewed as equivalent in
tests/mutation_equivalent.txt (one name per line, then `#` and why no test can tell it
apart), and prints per module: mutants, killed, equivalent, surviving and the score
(killed / (mutants - equivalent)); then every surviving mutant's name, for `mutmut show`.
Exits non-zero when a module scores under the goal of issue 25 (95%).
"""

import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

GOAL = 0.95
EQUIVALENT = Path(__file__).with_name("mutation_equivalent.txt")
KILLED = {"killed", "timeout", "segfault"}
NOT_RUN = {"not checked", "skipped", "no tests"}


def reviewed_equivalent() -> set[str]:
    """The mutant names reviewed as equivalent."""
    names = set()
    for line in EQUIVALENT.read_text().splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            names.add(name)
    return names


def statuses() -> dict[str, str]:
    """Every mutant's status as mutmut records it: name -> status."""
    output = subprocess.run(
        [str(Path(sys.executable).with_name("mutmut")), "results", "--all", "true"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = {}
    for line in output.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name:
            found[name] = status
    return found


def module_of(mutant: str) -> str:
    """supplies.services.stock.ledger.x_allocate__mutmut_3 -> supplies.services.stock.ledger"""
    return mutant.rsplit(".", 1)[0]


def main() -> int:
    """Print the table and the survivors; non-zero when a module misses the goal."""
    equivalent = reviewed_equivalent()
    table: dict[str, Counter] = defaultdict(Counter)
    survivors = []
    for name, status in sorted(statuses().items()):
        counts = table[module_of(name)]
        counts["mutants"] += 1
        if name in equivalent:
            counts["equivalent"] += 1
        elif status in KILLED:
            counts["killed"] += 1
        elif status in NOT_RUN:
            counts["not run"] += 1
        else:
            counts["surviving"] += 1
            survivors.append(f"{name}: {status}")
    missed = False
    print(f"{'module':48} mutants killed equiv. surviving not-run score")
    for module, counts in sorted(table.items()):
        judged = counts["killed"] + counts["surviving"]
        score = counts["killed"] / judged if judged else 1.0
        missed |= score < GOAL or counts["not run"] > 0
        print(
            f"{module:48} {counts['mutants']:7} {counts['killed']:6} {counts['equivalent']:6}"
            f" {counts['surviving']:9} {counts['not run']:7} {score:6.1%}"
        )
    print("\nsurviving mutants (`mutmut show NAME`):")
    print("\n".join(survivors) or "none")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
