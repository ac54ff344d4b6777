#!/bin/sh
# bootstrap.sh -- installs, through apt-get, the Debian packages tapegrad needs
# to build and test. Idempotent: when everything is present it only checks
# (dpkg-query) and returns in well under a second. Run as root (or via sudo).
set -eu

PACKAGES="build-essential clang cmake pkg-config uthash-dev check libsubunit-dev
libopenblas-openmp-dev zlib1g-dev libcjson-dev valgrind dataset-fashion-mnist graphviz
go-md2man man-db
python3-torch
libopenmpi-dev openmpi-bin"

missing=""
for pkg in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done

if [ -z "$missing" ]; then
    echo "bootstrap: all packages present"
    exit 0
fi

echo "bootstrap: installing$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086 -- the list is meant to split into words
$SUDO apt-get install -y -qq --no-install-recommends $missing
