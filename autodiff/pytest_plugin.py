"""A pytest plugin for checked derivations (registered as the `pytest11` entry point of this package).

- `assert report == ...` involving a `DeltaReport` explains itself with the report's text;
- a test that fails after `check_deltas` (a bare `assert report.ok`, say) gets a "δ check" section with
  the text of each failing report; `assert_deltas` raises with that text already;
- `--autodiff-pictures=DIR` (off by default) writes, for each failing report, the δ picture with the
  wrong δs outlined and the first wrong one marked, and prints its path.

Without installing the package, load it with `pytest -p autodiff.pytest_plugin`. Only pytest imports
this module (autodiff itself never does), so autodiff still needs no third-party package.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from . import check
from .check import DeltaMismatch, DeltaReport

_REPORTS = "_autodiff_delta_reports"
_PICTURES = pytest.StashKey[list[str]]()


def pytest_addoption(parser: Any) -> None:
    """`--autodiff-pictures=DIR`: where the pictures of failing δ checks go (none by default)."""
    group = parser.getgroup("autodiff")
    group.addoption(
        "--autodiff-pictures",
        metavar="DIR",
        default=None,
        help="write the δ picture of each failing autodiff δ check (wrong δs outlined) to DIR",
    )


def pytest_assertrepr_compare(config: Any, op: str, left: Any, right: Any) -> list[str] | None:
    """A comparison with a DeltaReport on either side shows the report's text."""
    for side, other in ((left, right), (right, left)):
        if isinstance(side, DeltaReport):
            shown = f"{side!r} {op} {other!r}" if side is left else f"{other!r} {op} {side!r}"
            return [shown, *str(side).splitlines()]
    return None


def pytest_runtest_setup(item: Any) -> None:
    """Collect the reports this test makes."""
    made: list[DeltaReport] = []
    setattr(item, _REPORTS, made)
    check.WATCHERS.append(made.append)


def pytest_runtest_teardown(item: Any) -> None:
    """Stop collecting this test's reports."""
    made = getattr(item, _REPORTS, None)
    if made is not None:
        check.WATCHERS[:] = [w for w in check.WATCHERS if getattr(w, "__self__", None) is not made]


def _failing(item: Any, call: Any) -> tuple[list[DeltaReport], bool]:
    """The failing reports of this test and whether the error message already is a report's text."""
    failing = [r for r in getattr(item, _REPORTS, []) if not r.ok]
    raised = call.excinfo is not None and isinstance(call.excinfo.value, DeltaMismatch)
    if raised and all(r is not call.excinfo.value.report for r in failing):
        failing.append(call.excinfo.value.report)
    return failing, raised


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    """Add the failing reports' text, and their pictures with --autodiff-pictures, to a failed test."""
    rep = yield
    if call.when != "call" or not rep.failed:
        return rep
    failing, raised = _failing(item, call)
    if not failing:
        return rep
    if not raised or len(failing) > 1:
        rep.sections.append(("δ check", "\n\n".join(str(r) for r in failing)))
    directory = item.config.getoption("autodiff_pictures", None)
    if directory:
        written = [_picture(r, Path(directory), item.nodeid, k) for k, r in enumerate(failing)]
        rep.sections.append(("δ pictures", "\n".join(written)))
        item.config.stash.setdefault(_PICTURES, []).extend(written)
    return rep


def _picture(report: DeltaReport, directory: Path, nodeid: str, k: int) -> str:
    """Write one picture; return the line that says where it is (or why it is not)."""
    stem = re.sub(r"[^\w.-]+", "_", nodeid).strip("_") + (f"-{k + 1}" if k else "")
    path = directory / f"{stem}.svg"
    try:
        from viz.checked import write_report  # lazy: drawing needs viz and graphviz
    except ImportError as error:
        return f"no picture: {error} (install the viz extra: pip install -e '.[viz]')"
    try:
        return f"δ picture: {write_report(report, path)}"
    except Exception as error:  # no `dot`: the .dot source is still there
        return f"δ picture not drawn ({error}); its DOT source: {path.with_suffix('.dot')}"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    """List the pictures written."""
    written = config.stash.get(_PICTURES, [])
    if written:
        terminalreporter.section("autodiff δ pictures")
        for line in written:
            terminalreporter.write_line(line)
