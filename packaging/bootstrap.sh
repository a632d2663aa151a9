#!/usr/bin/env bash
# Set up everything fieldapp needs on a Debian/Ubuntu machine, then run it.
#
#   bash packaging/bootstrap.sh demo          # system packages, venv, install, `fieldapp demo`
#   bash packaging/bootstrap.sh test [ARGS]   # the same, then the test suite (pytest ARGS)
#   bash packaging/bootstrap.sh setup         # only set up
#
# As root it installs the missing Debian packages itself; otherwise it names them and the
# exact command to install them, and stops. The venv lives in .venv at the checkout's top;
# it is reinstalled only when pyproject.toml changes.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
mode=${1:-setup}
[ $# -gt 0 ] && shift

# Qt's xcb/offscreen platforms, a CJK font for Qt and the PDFs, poppler for reading PDFs
# back, Xvfb for a real window without a screen, binutils for building the bundle, Chromium
# for the customer's page tests (Playwright drives it; no browser download), wrk for the
# server benchmarks (tests/perf, not in the test run).
debs=(python3 python3-venv python3-pip
      libegl1 libgl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
      libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
      libxcb-shape0 libxcb-xinerama0 libxcb-xkb1
      fonts-wqy-microhei poppler-utils poppler-data xvfb xauth binutils chromium wrk)

missing=()
for p in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A pyenv or other non-Debian Python with venv support is fine: drop the Debian Python.
if python3 -c 'import venv, ensurepip' 2>/dev/null; then
    missing=($(printf '%s\n' "${missing[@]}" | grep -vE '^python3(-venv|-pip)?$' || true))
fi
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "bootstrap: installing ${missing[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "bootstrap: missing Debian packages: ${missing[*]}" >&2
        echo "bootstrap: install them with: sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi

py=${PYTHON:-python3}
if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "bootstrap: Python 3.11 or newer is needed ($("$py" --version 2>&1))" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    echo "bootstrap: creating .venv" >&2
    "$py" -m venv .venv
fi
stamp=.venv/.fieldapp-installed
want=$(sha256sum pyproject.toml | cut -c1-64)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "bootstrap: installing fieldapp and its dependencies into .venv" >&2
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".[dev]"
    echo "$want" > "$stamp"
fi

case "$mode" in
    setup) echo "bootstrap: ready; activate with: source .venv/bin/activate" >&2 ;;
    demo)  exec .venv/bin/fieldapp demo "$@" ;;
    test)
        set +e
        .venv/bin/python -m pytest "$@"
        rc=$?
        set -e
        if [ $rc -eq 5 ]; then
            echo "bootstrap: pytest collected no tests: that is a failure" >&2
            exit 1
        fi
        exit $rc ;;
    *) echo "bootstrap: unknown mode '$mode' (use demo, test or setup)" >&2; exit 2 ;;
esac
