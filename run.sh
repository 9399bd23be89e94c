#!/usr/bin/env bash
# One entry point for a fresh machine: `bash run.sh demo`, `bash run.sh test [pytest arguments]`,
# `bash run.sh gallery`, or `bash run.sh docs [mkdocs serve arguments]` (serves the docs site).
# It makes a virtual environment in .venv, installs the project into it, makes sure Graphviz's
# `dot` is there (installing it with apt-get when it can), then runs the chosen job.
set -euo pipefail
cd "$(dirname "$0")"

usage="usage: bash run.sh demo | test [pytest arguments, e.g. -k relu] | gallery | docs [mkdocs serve arguments]"
job="${1:-}"
case "$job" in
  demo|test|gallery|docs) shift ;;
  *) echo "$usage" >&2; exit 2 ;;
esac

venv="${AUTODIFF_VENV:-.venv}"
python="${PYTHON:-python3}"

# Before installing anything: an older Python cannot install the project (pip may search for a
# long time before it says so).
if [ -x "$venv/bin/python" ]; then python="$venv/bin/python"; fi
if ! command -v "$python" >/dev/null 2>&1; then
  echo "run.sh: $python not found; install Python 3.10 or newer (e.g. sudo apt-get install python3)" >&2
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  found="$("$python" -c 'import platform; print(platform.python_version())')"
  echo "run.sh: this project needs Python 3.10 or newer; $python is Python $found." >&2
  echo "run.sh: install a newer one and run again, e.g. PYTHON=python3.11 bash run.sh $job" \
       "(remove $venv first if it was made with the old one)" >&2
  exit 1
fi

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else return 1
  fi
}

apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

if [ ! -x "$venv/bin/python" ]; then
  if ! "$python" -m venv "$venv" 2>/dev/null; then
    rm -rf "$venv"
    echo "run.sh: $python cannot make a virtual environment; installing python3-venv" >&2
    if ! { apt_install python3-venv && "$python" -m venv "$venv"; }; then
      echo "run.sh: please install it yourself: sudo apt-get install python3-venv" >&2
      exit 1
    fi
  fi
fi

if ! command -v dot >/dev/null 2>&1; then
  echo "run.sh: Graphviz's dot is missing; installing Debian's graphviz" >&2
  if ! apt_install graphviz; then
    echo "run.sh: could not install it. Install it with 'sudo apt-get install graphviz'" \
         "(Debian/Ubuntu) or 'brew install graphviz' (macOS); going on without SVG output" >&2
  fi
fi

# The step-through page is tested in Debian's headless Chromium, driven through its chromedriver
# (selenium never downloads a browser or a driver); without them those tests skip and say why.
if [ "$job" = test ] && ! { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }; then
  echo "run.sh: Chromium or chromedriver is missing; installing Debian's chromium and chromium-driver" >&2
  if ! apt_install chromium chromium-driver; then
    echo "run.sh: could not install them. Install them with" \
         "'sudo apt-get install chromium chromium-driver'; the browser tests skip until then" >&2
  fi
fi

case "$job" in
  demo|gallery) extras="viz,progress,plot" ;;
  # The site alone: MkDocs and the API reference's reader, and graphviz for the pages' pictures.
  docs) extras="viz,docs" ;;
  # The tests also build the docs site (docs), run examples/article.ipynb (notebook), drive the
  # step-through page in Chromium (browser), write its animation (anim) and train on the digits
  # (digits).
  test) extras="viz,dev,progress,plot,docs,notebook,browser,anim,digits" ;;
esac
# The reference engines (PyTorch for gradient comparisons, micrograd for the benchmark's quick
# run). CI always installs them: PyTorch's CPU build lies on the CI machines.
if [ "$job" = test ] && { [ -n "${CI:-}" ] || [ -n "${AUTODIFF_WITH_REFERENCES:-}" ]; }; then
  extras="$extras,bench"
fi
echo "run.sh: installing the project and its extras [$extras] into $venv" >&2
"$venv/bin/python" -m pip install --disable-pip-version-check -e ".[$extras]"

case "$job" in
  demo)
    "$venv/bin/python" examples/gradient_descent.py
    # The δ-flow pictures of the three patients, in the git-ignored out/ (the committed ones in
    # docs/gallery are made by `bash run.sh gallery`).
    if command -v dot >/dev/null 2>&1; then
      "$venv/bin/python" -m viz gallery out/gallery
      # Step through patient 3's backward pass in a browser: out/patient3.html (self-contained),
      # and the article's whole epoch: out/epoch.html.
      "$venv/bin/python" -m viz article --patient 3 --format html -o out
      "$venv/bin/python" -m viz epoch -o out
    else
      echo "run.sh: skipping the pictures (out/gallery): Graphviz's dot is not installed" >&2
    fi
    ;;
  gallery)
    # The pictures README.md and the docs show. The SVGs name the Graphviz version that drew them.
    if ! command -v dot >/dev/null 2>&1; then
      echo "run.sh: cannot draw docs/gallery: Graphviz's dot is not installed" >&2
      exit 1
    fi
    "$venv/bin/python" -m viz gallery docs/gallery
    ;;
  test) "$venv/bin/python" -m pytest "$@" ;;
  # Serves the site at http://127.0.0.1:8000/ (rebuilt on every change) without running the tests.
  docs) "$venv/bin/python" -m mkdocs serve "$@" ;;
esac
