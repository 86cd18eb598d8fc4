#!/bin/sh
# Runs a PyInstaller bundle the way a user would: `devices`, `evaluate` on a checkpoint and the
# window on a virtual screen, with a screenshot to look at. Not part of `make test`.
#
#   sh packaging/smoke-bundle.sh [BUNDLE_DIR] [CHECKPOINT]
#
# BUNDLE_DIR defaults to dist/fmnist-gui. Without CHECKPOINT a one-epoch quickstart model is
# trained first with .venv (the bundle is not asked to train). Writes into build/smoke/.
set -eu
BUNDLE=${1:-dist/fmnist-gui}
APP=$(cd "$BUNDLE" && pwd)/fmnist-gui
OUT=$(mkdir -p build/smoke && cd build/smoke && pwd)
CHECKPOINT=${2:-$OUT/tiny.pt}
export XDG_CONFIG_HOME="$OUT/config"  # throwaway settings: the bundle starts as on a fresh machine

for tool in xvfb-run xdotool import; do
    command -v $tool >/dev/null || { echo "smoke-bundle: $tool is missing (apt-get install xvfb xdotool imagemagick)" >&2; exit 2; }
done

echo "== fmnist-gui devices"
"$APP" devices

if [ ! -f "$CHECKPOINT" ]; then
    echo "== training a one-epoch checkpoint with .venv"
    .venv/bin/python -m fmnist_gui train --preset quickstart --epochs 1 --no-record --out "$CHECKPOINT"
fi
echo "== fmnist-gui evaluate $CHECKPOINT"
"$APP" evaluate "$CHECKPOINT"

echo "== the window, on a virtual screen"
xvfb-run -a -s "-screen 0 1500x950x24" sh -c '
    app=$1; checkpoint=$2; shot=$3
    start=$(date +%s.%N)
    "$app" "$checkpoint" > "${shot%.png}.log" 2>&1 &
    pid=$!
    tries=0
    until xdotool search --onlyvisible --name "Fashion-MNIST" getwindowname %@ 2>/dev/null | grep -qv starting; do
        tries=$((tries + 1))
        if [ $tries -gt 1200 ] || ! kill -0 $pid 2>/dev/null; then
            echo "smoke-bundle: no window after 120 s" >&2; cat "${shot%.png}.log" >&2; kill $pid 2>/dev/null; exit 1
        fi
        sleep 0.1
    done
    echo "main window after $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }") s"
    sleep 3  # let it settle and draw
    import -window root "$shot"
    kill -0 $pid || { echo "smoke-bundle: the window closed by itself" >&2; exit 1; }
    kill $pid
' sh "$APP" "$CHECKPOINT" "$OUT/bundle-window.png"
echo "screenshot: $OUT/bundle-window.png"
