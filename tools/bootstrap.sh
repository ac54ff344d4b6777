#!/bin/sh
# bootstrap.sh -- installs, through apt-get, the Debian packages tapegrad needs
# to build and test, node where it is missing, and (npm ci) the playwright-core
# of the browser test. Stan Math's headers and ADOL-C are the scalar
# benchmark's peers, built so that the bench_scalar_agree test compares them.
# Idempotent: when everything is present it only checks (dpkg-query) and
# returns in well under a second. Run as root (or via sudo).
set -eu

PACKAGES="build-essential clang cmake pkg-config uthash-dev check libsubunit-dev
libopenblas-openmp-dev zlib1g-dev libcjson-dev valgrind dataset-fashion-mnist graphviz
go-md2man man-db
python3-torch
libjs-katex chromium
libopenmpi-dev openmpi-bin
libadolc-dev r-cran-stanheaders libeigen3-dev libboost-dev"

missing=""
for pkg in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive

if [ -z "$missing" ]; then
    echo "bootstrap: all packages present"
else
    echo "bootstrap: installing$missing"
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086 -- the list is meant to split into words
    $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# node and npm for the browser test (tests/browser), only where missing: a
# nodesource nodejs brings its own npm, which Debian's npm package conflicts with.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "bootstrap: installing nodejs npm"
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi

# texlive for the LaTeX and beamer test (tests/latex), only where pdflatex or
# beamer's pgf is missing: texlive-pictures brings pgf, which beamer needs.
if ! command -v pdflatex >/dev/null 2>&1 || [ -z "$(kpsewhich pgfcore.sty 2>/dev/null)" ]; then
    echo "bootstrap: installing texlive"
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends texlive-latex-base \
        texlive-latex-recommended texlive-pictures lmodern
fi

# playwright-core, which drives chromium in the browser test, at the version
# tests/browser/package-lock.json pins.
browser="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
if [ ! -d "$browser/node_modules/playwright-core" ]; then
    echo "bootstrap: npm ci in tests/browser"
    (cd "$browser" && npm ci --no-audit --no-fund --silent)
fi
