#!/usr/bin/env bash
# Builds the one-folder app dist/AmbientPose/ from this checkout in one command, then prints
# how long it took and how big the result is.
#
#   packaging/build.sh                  uses $PYTHON, else .venv/bin/python, else makes .venv
#   PYTHON=/path/to/python packaging/build.sh
#
# The interpreter needs the app and PyInstaller: pip install -e ".[package]".
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

python="${PYTHON:-}"
if [ -z "$python" ]; then
  if [ ! -x .venv/bin/python ]; then
    echo "creating .venv with the app and PyInstaller (pip install -e .[package])"
    python3.11 -m venv .venv
    .venv/bin/pip install -q -e ".[package]"
    # Some dependencies pull in opencv-python, whose cv2 brings its own Qt 5 (tens of MB, and a
    # second Qt beside PySide6's): keep only the headless build the app asks for.
    if .venv/bin/pip show -q opencv-python 2>/dev/null; then
      .venv/bin/pip uninstall -q -y opencv-python
      .venv/bin/pip install -q --force-reinstall --no-deps opencv-python-headless
    fi
  fi
  python=.venv/bin/python
fi
if ! "$python" -c "import PyInstaller" 2>/dev/null; then
  echo "error: $python has no PyInstaller; run: $python -m pip install -e '.[package]'" >&2
  exit 2
fi

if "$python" -c "import cv2, pathlib, sys; sys.exit(not (pathlib.Path(cv2.__file__).parent / 'qt').is_dir())" 2>/dev/null; then
  echo "note: cv2 in $python is opencv-python (with its own Qt 5); the bundle carries it." \
       "A build environment with only opencv-python-headless is smaller."
fi

start=$(date +%s)
rm -rf build/ambientpose dist/AmbientPose
# PYTHONPATH: bundle this checkout's code, even if the interpreter has another one installed.
PYTHONPATH="$root" "$python" -m PyInstaller --noconfirm --log-level WARN \
  --distpath dist --workpath build ambientpose.spec
cp packaging/install_desktop_entry.sh dist/AmbientPose/
elapsed=$(( $(date +%s) - start ))

echo "built dist/AmbientPose in ${elapsed} s"
echo "bundle size: $(du -sh dist/AmbientPose | cut -f1) ($(find dist/AmbientPose -type f | wc -l) files)"
echo "largest parts:"
du -s dist/AmbientPose/_internal/* | sort -rn | head -8 | \
  awk '{ printf "  %6.1f MiB  %s\n", $1 / 1024, $2 }'
