#!/bin/sh
# Makes sure Fashion-MNIST is where fmnist-gui looks for it. Never downloads from the web:
# the data comes from Debian's dataset-fashion-mnist package.
PY=${1:-python3}
if "$PY" -m fmnist_gui data >/dev/null 2>&1; then
    exit 0
fi
as_root=""
[ "$(id -u)" = 0 ] || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && as_root="sudo"; }
if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || [ -n "$as_root" ]; }; then
    echo "Fashion-MNIST not found: installing Debian's dataset-fashion-mnist package"
    $as_root apt-get update -q >/dev/null && $as_root apt-get install -y -q dataset-fashion-mnist >/dev/null
fi
if ! "$PY" -m fmnist_gui data; then
    cat >&2 <<'MSG'
Fashion-MNIST is still missing. Either
  - install it:  sudo apt-get install dataset-fashion-mnist   (files go to /usr/share/datasets/fashion-mnist), or
  - copy the four IDX files (train-images-idx3-ubyte[.gz] ...) into ./data/FashionMNIST/raw, or
  - point FMNIST_DATA at the folder that holds them.
The app still opens without data; the tests that need it are skipped.
MSG
fi
exit 0
