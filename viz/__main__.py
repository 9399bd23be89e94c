"""Command line: draw the articles' example, and the gallery.

python -m viz article --patient 3 -o out/                 # out/patient3.dot and out/patient3.svg
python -m viz article --patient 3 --lr 1/10000000 -o out/ # each weight also shows ŵ = w − α·δw
python -m viz article --patient 3 --view both -o out/     # forward, backward, and both side by side
python -m viz article --patient 3 --steps -o out/         # out/patient3-step01.svg ... and patient3-steps.gif
python -m viz article --patient 3 --format html -o out/   # out/patient3.html: step through it
python -m viz epoch -o out/                               # out/epoch.html: the epoch, patient by patient
python -m viz gallery docs/gallery                        # the article's epoch and real models (README)
python -m viz worksheet --patient 3 -o out/               # δs blanked to fill in by hand, and the answers
python -m viz article --patient 3 --quiz -o out/          # out/patient3-quiz.html: each δ asked first

Without -o the files go into out/ (made if missing), never into the current directory.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from .article import write_patient
from .gallery import write_gallery
from .patient_steps import write_epoch, write_patient_steps
from .quiz import write_patient_quiz
from .render import FORMATS, DotNotFoundError, side_by_side
from .worksheet import add_command as add_worksheet_command
from .worksheet import run as run_worksheet

VIEWS = ("backward", "forward")
OUT = Path("out")  # where the drawings go by default: a directory of their own, as `bash run.sh demo` does
INSTALL_HINT = "install it with: pip install graphviz (or, from a checkout: pip install -e '.[viz]')"


def _rate(text: str) -> Fraction:
    """`--lr 1/10000000` or `--lr 1e-7`, kept exact."""
    try:
        rate = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; write e.g. 1/10000000 or 1e-7") from None
    if rate <= 0:
        raise argparse.ArgumentTypeError(f"the learning rate must be > 0, got {text}")
    return rate


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m viz", description="Draw the δ flow of autodiff graphs.")
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("article", help="draw one patient of the articles' example")
    one.add_argument("--patient", type=int, choices=(1, 2, 3), default=3, help="which patient (default 3)")
    one.add_argument("--view", choices=(*VIEWS, "both"), default="backward", help="default: backward")
    one.add_argument(
        "--format", choices=(*FORMATS, "html"), default="svg", help="default: svg (.dot is always written)"
    )
    one.add_argument("--steps", action="store_true", help="one SVG per step of the backward pass (and a GIF)")
    one.add_argument("--lr", type=_rate, default=None, help="show each weight's step with this learning rate")
    one.add_argument("--quiz", action="store_true", help="the step-through page asking each δ first (HTML)")
    one.add_argument("-o", "--output", type=Path, default=OUT, help="output directory (default: out)")
    epoch = commands.add_parser("epoch", help="the article's epoch as one page: w2 after each patient")
    epoch.add_argument("-o", "--output", type=Path, default=OUT, help="output directory (default: out)")
    every = commands.add_parser("gallery", help="draw the gallery (the article's epoch, MLPs) as SVG")
    every.add_argument("directory", type=Path, nargs="?", default=Path("docs/gallery"))
    sheet = add_worksheet_command(commands)
    args = parser.parse_args(argv)
    if args.command == "worksheet":
        problem = _not_a_directory(args.output)
        if problem is not None:
            sheet.error(f"argument -o/--output: {problem}; give a directory (it is made if missing)")
        try:
            for path in run_worksheet(args, sheet):
                print(path)
        except (DotNotFoundError, RuntimeError, TimeoutError, OSError) as error:
            print(f"python -m viz: error: {error}", file=sys.stderr)
            return 1
        return 0
    if args.command == "epoch":
        problem = _not_a_directory(args.output)
        if problem is not None:
            epoch.error(f"argument -o/--output: {problem}; give a directory (it is made if missing)")
        try:
            print(write_epoch(args.output))
        except (DotNotFoundError, RuntimeError, TimeoutError) as error:
            print(f"python -m viz: error: {error}", file=sys.stderr)
            return 1
        except ModuleNotFoundError as error:
            return _missing(error)
        return 0
    if args.command == "article":
        command, option, directory = commands.choices["article"], "-o/--output", args.output
    else:
        command, option, directory = commands.choices["gallery"], "directory", args.directory
    problem = _not_a_directory(directory)
    if problem is not None:
        command.error(f"argument {option}: {problem}; give a directory (it is made if missing)")
    try:
        if args.command == "article" and args.quiz:
            print(write_patient_quiz(args.patient, directory))
            return 0
        if args.command == "article" and (args.steps or args.format == "html"):
            for path in write_patient_steps(
                args.patient, args.output, args.steps, args.format == "html", lr=args.lr
            ):
                print(path)
            return 0
        if args.command == "gallery":
            for path in write_gallery(directory):
                print(path)
            return 0
        views = VIEWS if args.view == "both" else (args.view,)
        written = [write_patient(args.patient, directory, view, args.format, args.lr) for view in views]
        for path in written:
            print(path)
        if args.view == "both" and args.format in ("svg", "png"):
            both = directory / f"patient{args.patient}-both.{args.format}"
            print(side_by_side(written[1], written[0], both))
    except (DotNotFoundError, RuntimeError, TimeoutError) as error:
        print(f"python -m viz: error: {error}", file=sys.stderr)
        return 1
    except ModuleNotFoundError as error:
        return _missing(error)
    except OSError as error:
        # Permissions, a full disk, ...: a message, not a traceback.
        where = f" {error.filename}" if error.filename else ""
        print(f"python -m viz: error: cannot write{where}: {error.strerror or error}", file=sys.stderr)
        return 1
    return 0


def _missing(error: ModuleNotFoundError) -> int:
    """The install hint for a missing `graphviz` package (exit status 1); any other import error goes on."""
    if "graphviz" not in str(error):
        raise error
    print(f"python -m viz: error: the graphviz Python package is missing; {INSTALL_HINT}", file=sys.stderr)
    return 1


def _not_a_directory(path: Path) -> str | None:
    """Why `path` cannot be (or become) an output directory, or None when it can."""
    for part in (path, *path.parents):
        if part.exists():
            if part.is_dir():
                return None
            which = "is" if part == path else f"is inside {str(part)!r}, which is"
            return f"{str(path)!r} {which} a file, not a directory"
        if part == path and part.suffix.lstrip(".").lower() in FORMATS:
            # `-o out/p.svg` would silently make a directory named p.svg.
            return f"{str(path)!r} looks like a file name, but this is the directory the files go into"
    return None


if __name__ == "__main__":
    sys.exit(main())
