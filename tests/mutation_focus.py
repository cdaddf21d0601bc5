"""One core module's mutants against a few chosen test files, in one process: minutes, not hours.

    make mutation-focus MODULE=supplies.services.imports.values TESTS=tests/imports/test_reading.py

`make mutation` runs every mutant against every test that covers it, which takes hours on
two cores. While closing a module's gaps, this runs that module's mutants (made by
`mutmut run` in mutants/, or made here when that folder is missing) against the test files given,
reusing one pytest process, and prints each mutant killed or SURVIVED. A mutant that
survives here may still be killed by a test elsewhere: `make mutation` has the last word.
New test files are copied into mutants/ first, so the mutants meet the current tests.
"""

import contextlib
import fnmatch
import io
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
MUTANT_DEF = re.compile(r"^\s*def (x[_ǁ]\S*?__mutmut_\d+)\(", re.MULTILINE)


def generate_mutants() -> None:
    """Make mutants/ as `mutmut run` does before it tests anything (mutmut 3.8, pinned)."""
    from mutmut.__main__ import create_mutants
    from mutmut.mutation.trampoline import set_mutant_under_test
    from mutmut.utils.file_utils import copy_also_copy_files, copy_src_dir, setup_source_paths

    set_mutant_under_test("mutant_generation")
    MUTANTS.mkdir(exist_ok=True)
    copy_src_dir()
    copy_also_copy_files()
    setup_source_paths()
    create_mutants(os.cpu_count() or 2)


def mutant_names(pattern: str) -> list[str]:
    """The mutants a pattern names: a module, a module and function prefix, or an fnmatch."""
    module = pattern.split("*", 1)[0].rstrip(".")
    parts = module.split(".")
    for length in range(len(parts), 0, -1):
        path = MUTANTS.joinpath(*parts[:length]).with_suffix(".py")
        if path.exists():
            module_name = ".".join(parts[:length])
            found = (f"{module_name}.{name}" for name in MUTANT_DEF.findall(path.read_text()))
            wanted = pattern if "*" in pattern else f"{pattern}*"
            return [name for name in found if fnmatch.fnmatch(name, wanted)]
    raise SystemExit(f"no mutated copy of {module} in {MUTANTS}: run mutmut first")


def run_tests(test_files: list[str], mutant: str) -> int:
    """pytest's exit code for the test files with one mutant switched on ("" for none)."""
    os.environ["MUTANT_UNDER_TEST"] = mutant
    arguments = ["-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", *test_files]
    with contextlib.redirect_stdout(io.StringIO()):
        return int(pytest.main(arguments))


def main() -> int:
    """Print killed or SURVIVED per mutant, then the count; non-zero if the tests fail clean."""
    pattern, *test_files = sys.argv[1:]
    if not MUTANTS.exists():
        os.chdir(ROOT)
        generate_mutants()
    for test_file in test_files:
        shutil.copyfile(ROOT / test_file, MUTANTS / test_file)
    os.chdir(MUTANTS)
    sys.path.insert(0, str(MUTANTS))
    if run_tests(test_files, "") != 0:
        print("the tests fail with no mutant switched on: fix them first")
        return 2
    names = mutant_names(pattern)
    survivors = 0
    for name in names:
        code = run_tests(test_files, name)
        survivors += code == 0
        print({0: "SURVIVED", 1: "killed  "}.get(code, f"error {code}"), name, flush=True)
    print(f"{len(names)} mutants, {len(names) - survivors} killed, {survivors} survived")
    return 0


if __name__ == "__main__":
    sys.exit(main())
