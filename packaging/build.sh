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
  fi
  python=.venv/bin/python
fi
if ! "$python" -c "import PyInstaller" 2>/dev/null; then
  echo "error: $python has no PyInstaller; run: $python -m pip install -e '.[package]'" >&2
  exit 2
fi

# Two OpenCV wheels share the files of one cv2: the bundle would carry whichever came last.
opencvs="$("$python" -c 'from importlib.metadata import packages_distributions as p
print(" ".join(sorted(set(p().get("cv2", [])))))')"
if [ "$(wc -w <<< "$opencvs")" -gt 1 ]; then
  echo "note: cv2 in $python comes from $opencvs; keep only the one pyproject.toml names" \
       "(python -m pytest tests/test_environment.py says how)"
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
# awk reads to the end (head would leave, and sort, still writing, would die of SIGPIPE: with
# pipefail the build failed now and then, under load)
du -s dist/AmbientPose/_internal/* | sort -rn | \
  awk 'NR <= 8 { printf "  %6.1f MiB  %s\n", $1 / 1024, $2 }'
