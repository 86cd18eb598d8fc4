#!/bin/sh
# Qt Multimedia (the camera; the optional camera extra) loads only when a few system libraries are
# there (libpulse for one, which a minimal Debian lacks); ldd names what is missing. Install them from
# Debian when we can; without them the camera says how to get it and everything else works.
PY=${1:-python3}
library=$("$PY" -c 'import PySide6, pathlib; print(pathlib.Path(PySide6.__file__).parent / "Qt/lib/libQt6Multimedia.so.6")' 2>/dev/null)
[ -n "$library" ] && [ -f "$library" ] || exit 0  # the extra is not installed: nothing to do
missing=$(ldd "$library" 2>/dev/null | awk '/not found/ {print $1}')
[ -z "$missing" ] && exit 0
echo "Qt Multimedia is missing: $(echo $missing)"
as_root=""
[ "$(id -u)" = 0 ] || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && as_root="sudo"; }
if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || [ -n "$as_root" ]; }; then
    $as_root apt-get update -q >/dev/null
    $as_root apt-get install -y -q libpulse0 libasound2 libegl1 libgl1 >/dev/null
fi
missing=$(ldd "$library" 2>/dev/null | awk '/not found/ {print $1}')
if [ -n "$missing" ]; then
    echo "Still missing for the camera: $(echo $missing). The camera stays off; the tests that need it are skipped." >&2
fi
exit 0
