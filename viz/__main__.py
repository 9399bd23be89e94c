"""Command line: draw the articles' example.

python -m viz article --patient 3 -o out/          # out/patient3.dot and out/patient3.svg
python -m viz article --patient 3 --view forward --format png -o out/
python -m viz gallery docs/gallery                  # the three patients' δ flows (README)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .article import write_patient
from .dot import VIEWS
from .render import FORMATS, DotNotFoundError


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m viz", description="Draw the δ flow of autodiff graphs.")
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("article", help="draw one patient of the articles' example")
    one.add_argument("--patient", type=int, choices=(1, 2, 3), default=3, help="which patient (default 3)")
    one.add_argument("--view", choices=(*VIEWS, "both"), default="backward", help="default: backward")
    one.add_argument("--format", choices=FORMATS, default="svg", help="default: svg (.dot is always written)")
    one.add_argument("-o", "--output", type=Path, default=Path("."), help="output directory (default: .)")
    every = commands.add_parser("gallery", help="draw the three patients' backward views as SVG")
    every.add_argument("directory", type=Path, nargs="?", default=Path("docs/gallery"))
    args = parser.parse_args(argv)
    if args.command == "article":
        views = VIEWS if args.view == "both" else (args.view,)
        jobs = [(args.patient, view, args.format, args.output) for view in views]
    else:
        jobs = [(n, "backward", "svg", args.directory) for n in (1, 2, 3)]
    try:
        for number, view, fmt, directory in jobs:
            print(write_patient(number, directory, view, fmt))
    except DotNotFoundError as error:
        print(f"python -m viz: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
