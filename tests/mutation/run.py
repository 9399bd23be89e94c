"""Mutation check: how many small, deliberate bugs in the engine's core does the test suite catch?

    python tests/mutation/run.py                       # ops.py, backward.py, value.py
    python tests/mutation/run.py autodiff/ops.py --jobs 2 --timeout 90

Each *mutant* is the package with one change in one file: an arithmetic operator swapped (+ -, * /,
** *), a comparison flipped (< <=, > >=, == !=, is / is not, in / not in), `and`/`or` swapped, a
`not` or a unary minus removed, or a numeric constant changed (0 → 1, 1 → 0 and -1, c → c + 1).
The mutated file is written into a temporary copy of the project (the worktree is never changed)
and the fast tests run there (stopping at the first failure); a mutant is *killed* when a test
fails or the run times out, and *survives* when every test passes. The script prints the share of
killed mutants per file and every survivor, with its line and change.

Mutants are found by walking the file's syntax tree, so the script works on whatever version of the
files is present. It needs no third-party tool.
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FILES = ["autodiff/ops.py", "autodiff/backward.py", "autodiff/value.py"]
# The fast tests that exercise the core; the property tests run with a fiftieth of their programs.
TESTS = [
    "tests/test_mutants.py",
    "tests/test_ops.py",
    "tests/test_value.py",
    "tests/test_backward.py",
    "tests/test_recorded_counts.py",
    "tests/test_higher_order.py",
    "tests/test_hooks.py",
    "tests/test_modes.py",
    "tests/test_fast_paths.py",
    "tests/test_functional.py",
    "tests/test_tape.py",
    "tests/test_article.py",
    "tests/property",
]

BINARY = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.Pow: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
}
COMPARE = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
SYMBOL = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.FloorDiv: "//", ast.Mod: "%",
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.Is: "is",
    ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in", ast.And: "and", ast.Or: "or",
}  # fmt: skip


@dataclass(frozen=True)
class Mutant:
    file: str
    index: int
    line: int
    change: str


def _constant_changes(value: object) -> list[object]:
    if value == 0:
        return [1]
    if value == 1:
        return [0, -1]
    return [value + 1]  # type: ignore[operator]


class _Mutator(ast.NodeTransformer):
    """Numbers the possible mutations in a fixed order; with `target`, applies that one only."""

    def __init__(self, target: int | None = None):
        self.target = target
        self.found: list[tuple[int, str]] = []
        self.docstrings: set[int] = set()

    def _candidate(self, node: ast.AST, change: str) -> bool:
        self.found.append((getattr(node, "lineno", 0), change))
        return len(self.found) - 1 == self.target

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        new = BINARY.get(type(node.op))
        if new is not None and self._candidate(node, f"{SYMBOL[type(node.op)]} → {SYMBOL[new]}"):
            node.op = new()
        return self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        new = BINARY.get(type(node.op))
        if new is not None and self._candidate(node, f"{SYMBOL[type(node.op)]}= → {SYMBOL[new]}="):
            node.op = new()
        return self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        if isinstance(node.op, ast.Not | ast.USub):
            what = "not" if isinstance(node.op, ast.Not) else "unary -"
            if self._candidate(node, f"remove {what}"):
                return self.generic_visit(node.operand)
        return self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        for i, op in enumerate(node.ops):
            new = COMPARE.get(type(op))
            if new is not None and self._candidate(node, f"{SYMBOL[type(op)]} → {SYMBOL[new]}"):
                node.ops[i] = new()
        return self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        new = ast.Or if isinstance(node.op, ast.And) else ast.And
        if self._candidate(node, f"{SYMBOL[type(node.op)]} → {SYMBOL[new]}"):
            node.op = new()
        return self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        value = node.value
        if isinstance(value, int | float) and not isinstance(value, bool):
            for new in _constant_changes(value):
                if self._candidate(node, f"constant {value!r} → {new!r}"):
                    return ast.copy_location(ast.Constant(new), node)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        # Annotations are never evaluated (`from __future__ import annotations`): only the value.
        if node.value is not None:
            node.value = self.visit(node.value)
        return node

    def visit_arg(self, node: ast.arg) -> ast.AST:
        return node  # an annotation

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.returns = None  # an annotation
        node.args = self.visit(node.args)
        node.decorator_list = [self.visit(d) for d in node.decorator_list]
        node.body = [self.visit(s) for s in node.body]
        return node


def mutants(file: str) -> list[Mutant]:
    """Every mutant of `file` (a path relative to the project)."""
    m = _Mutator()
    m.visit(ast.parse((ROOT / file).read_text(encoding="utf-8")))
    return [Mutant(file, i, line, change) for i, (line, change) in enumerate(m.found)]


def mutated_source(mutant: Mutant) -> str:
    tree = ast.parse((ROOT / mutant.file).read_text(encoding="utf-8"))
    m = _Mutator(target=mutant.index)
    tree = ast.fix_missing_locations(m.visit(tree))
    return ast.unparse(tree)


def _copy_project(into: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", "mutation")
    for name in ("autodiff", "viz", "tests", "examples", "docs"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, into / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, into / name)


def _run_tests(copy: Path, tests: list[str], timeout: float) -> str:
    """'killed' (a test failed or timed out) or 'survived' (all passed), run inside `copy`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(copy)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["AUTODIFF_SOAK"] = env.get("AUTODIFF_SOAK", "0.02")
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--no-header", *tests]
    try:
        done = subprocess.run(command, cwd=copy, env=env, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return "killed"
    if done.returncode == 0:
        return "survived"
    if done.returncode in (1, 2) or done.returncode < 0:
        return "killed"
    raise RuntimeError(f"pytest could not run (exit {done.returncode}):\n{done.stdout.decode()[-2000:]}")


def main(argv: list[str] | None = None) -> int:
    """Run every mutant of the given files; print the kill rate per file and the survivors."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("files", nargs="*", default=FILES, help="files to mutate, relative to the project")
    parser.add_argument("--jobs", type=int, default=2, help="mutants run in parallel (default 2)")
    parser.add_argument(
        "--timeout", type=float, default=120, help="seconds per mutant before it counts as killed"
    )
    parser.add_argument("--list", action="store_true", help="only list the mutants")
    parser.add_argument(
        "--resume",
        metavar="FILE",
        help="keep outcomes in FILE (one line per mutant); mutants it records as killed are not run again "
        "(adding tests only kills more), survivors are",
    )
    args = parser.parse_args(argv)
    tests = [t for t in TESTS if (ROOT / t).exists()]

    all_mutants = [m for f in args.files for m in mutants(f)]
    known: dict[tuple[str, int, str], str] = {}
    if args.resume and Path(args.resume).exists():
        for line in Path(args.resume).read_text(encoding="utf-8").splitlines():
            file, index, change, outcome = line.split("\t")
            known[(file, int(index), change)] = outcome
    if args.list:
        for m in all_mutants:
            print(f"{m.file}:{m.line}: {m.change}")
        return 0
    with tempfile.TemporaryDirectory(prefix="autodiff-mutants-") as tmp:
        copies = []
        for j in range(max(1, args.jobs)):
            copy = Path(tmp) / f"copy{j}"
            _copy_project(copy)
            copies.append(copy)
        check = subprocess.run(
            [sys.executable, "-c", "import autodiff; print(autodiff.__file__)"],
            cwd=copies[0], env={**os.environ, "PYTHONPATH": str(copies[0])}, capture_output=True, text=True,
            check=True,
        )  # fmt: skip
        if not check.stdout.strip().startswith(str(copies[0])):
            raise SystemExit(f"the copy's autodiff is not the one imported: {check.stdout.strip()}")
        start = time.monotonic()
        if _run_tests(copies[0], tests, args.timeout * 3) != "survived":
            raise SystemExit("the tests fail on the unmutated code: fix them first")
        print(
            f"{len(all_mutants)} mutants; the unmutated tests took {time.monotonic() - start:.0f} s",
            flush=True,
        )

        free = list(copies)

        def run_one(m: Mutant) -> tuple[Mutant, str]:
            if known.get((m.file, m.index, m.change)) == "killed":
                return m, "killed"
            copy = free.pop()
            target = copy / m.file
            original = target.read_text(encoding="utf-8")
            try:
                try:
                    source = mutated_source(m)
                    compile(source, m.file, "exec")
                except (SyntaxError, ValueError):
                    return m, "invalid"
                target.write_text(source, encoding="utf-8")
                return m, _run_tests(copy, tests, args.timeout)
            finally:
                target.write_text(original, encoding="utf-8")
                free.append(copy)

        results: list[tuple[Mutant, str]] = []
        with ThreadPoolExecutor(max_workers=len(copies)) as pool:
            for k, (m, outcome) in enumerate(pool.map(run_one, all_mutants), 1):
                results.append((m, outcome))
                if args.resume:
                    with open(args.resume, "a", encoding="utf-8") as log:
                        log.write(f"{m.file}\t{m.index}\t{m.change}\t{outcome}\n")
                if outcome == "survived":
                    print(f"  [{k}/{len(all_mutants)}] SURVIVED {m.file}:{m.line}: {m.change}", flush=True)
    print()
    total_killed = total = 0
    for f in args.files:
        mine = [(m, o) for m, o in results if m.file == f and o != "invalid"]
        killed = sum(o == "killed" for _, o in mine)
        total_killed += killed
        total += len(mine)
        share = 100 * killed / len(mine) if mine else 100.0
        print(f"{f}: {killed}/{len(mine)} mutants killed ({share:.1f}%)")
    print(f"all: {total_killed}/{total} killed ({100 * total_killed / max(total, 1):.1f}%)")
    survivors = [m for m, o in results if o == "survived"]
    if survivors:
        print("\nsurvivors:")
        for m in survivors:
            print(f"  {m.file}:{m.line}: {m.change}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
