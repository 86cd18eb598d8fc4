#!/bin/sh
# Qt's xcb platform plugin aborts with "no Qt platform plugin could be initialized" while some
# X libraries are missing; ldd names them. Install them from Debian when we can.
PY=${1:-python3}
plugin=$("$PY" -c 'import PySide6, pathlib; print(pathlib.Path(PySide6.__file__).parent / "Qt/plugins/platforms/libqxcb.so")')
missing=$(ldd "$plugin" 2>/dev/null | awk '/not found/ {print $1}')
[ -z "$missing" ] && exit 0
echo "Qt's xcb plugin is missing: $(echo $missing)"
as_root=""
[ "$(id -u)" = 0 ] || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && as_root="sudo"; }
if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || [ -n "$as_root" ]; }; then
    $as_root apt-get update -q >/dev/null
    $as_root apt-get install -y -q libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-image0 \
        libxcb-render-util0 libxcb-shape0 libxcb-randr0 libxcb-xfixes0 libxcb-xkb1 \
        libxkbcommon-x11-0 libxkbcommon0 libegl1 libgl1 libfontconfig1 libdbus-1-3 >/dev/null
fi
missing=$(ldd "$plugin" 2>/dev/null | awk '/not found/ {print $1}')
if [ -n "$missing" ]; then
    echo "Still missing for a window: $(echo $missing). Install the Debian packages that provide them." >&2
    exit 1
fi
