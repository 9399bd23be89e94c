#!/usr/bin/env bash
# One entry point for a fresh machine: `bash run.sh demo` or `bash run.sh test`.
# It makes a virtual environment in .venv, installs the project into it, makes sure Graphviz's
# `dot` is there (installing it with apt-get when it can), then runs the chosen job.
set -euo pipefail
cd "$(dirname "$0")"

job="${1:-}"
case "$job" in
  demo|test) ;;
  *) echo "usage: bash run.sh demo|test" >&2; exit 2 ;;
esac

venv="${AUTODIFF_VENV:-.venv}"

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
  if ! python3 -m venv "$venv" 2>/dev/null; then
    rm -rf "$venv"
    echo "run.sh: python3 cannot make a virtual environment; installing python3-venv" >&2
    if ! { apt_install python3-venv && python3 -m venv "$venv"; }; then
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
if ! { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }; then
  echo "run.sh: Chromium or chromedriver is missing; installing Debian's chromium and chromium-driver" >&2
  if ! apt_install chromium chromium-driver; then
    echo "run.sh: could not install them. Install them with" \
         "'sudo apt-get install chromium chromium-driver'; the browser tests skip until then" >&2
  fi
fi

extras="viz,dev,progress,plot,browser,anim"
# The reference engines (PyTorch for gradient comparisons, micrograd for the benchmark's quick
# run). CI always installs them: PyTorch's CPU build lies on the CI machines.
if [ -n "${CI:-}" ] || [ -n "${AUTODIFF_WITH_REFERENCES:-}" ]; then extras="$extras,bench"; fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[$extras]"

case "$job" in
  demo)
    "$venv/bin/python" examples/gradient_descent.py
    # The δ-flow pictures of the three patients (docs/gallery, shown in README.md).
    if command -v dot >/dev/null 2>&1; then
      "$venv/bin/python" -m viz gallery docs/gallery
      # Step through patient 3's backward pass in a browser: out/patient3.html (self-contained).
      "$venv/bin/python" -m viz article --patient 3 --format html -o out
      "$venv/bin/python" -m viz epoch -o out
    else
      echo "run.sh: skipping the pictures (docs/gallery): Graphviz's dot is not installed" >&2
    fi
    ;;
  test) "$venv/bin/python" -m pytest ;;
esac
