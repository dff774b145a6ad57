#!/usr/bin/env bash
# Makes .gpu/ from scratch: what benchmarks/gpu_check.sh needs on a lent GPU machine, which
# reaches no registry and has no PyAV (README, "GPU"). Run it here, where pip reaches PyPI:
#
#   benchmarks/gpu_prepare.sh [ALPHAPOSE_GIT]
#
# ALPHAPOSE_GIT: a git directory or checkout of MVIG-SJTU/AlphaPose holding commit c60106d
# (default: where a session's `fetch github:MVIG-SJTU/AlphaPose` puts it). .gpu/ is
# git-ignored; name it in the device run's carry. The whole tree that travels must stay
# under 64 MiB: the script says how much it is.
set -euo pipefail
cd "$(dirname "$0")/.."

CARRY=.gpu
ALPHAPOSE_GIT=${1:-/work/.mirror/MVIG-SJTU+AlphaPose/repo}
ALPHAPOSE_COMMIT=c60106d  # the commit tests/alphapose_double was checked against
MEDIA=../shared/media/videos
PY=${PYTHON:-python3}
LIMIT_MIB=64
PLATFORMS=(--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64
           --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64
           --platform manylinux1_x86_64)
CP312=(--only-binary=:all: --python-version 3.12 --implementation cp "${PLATFORMS[@]}")
# What our worker and check-alphapose import that the machine's image lacks (its package
# list: /work/.library/device/KINDS.md), at the versions tested here. The image has numpy,
# scipy, OpenCV, onnxruntime (CPU), torch, torchvision, PyYAML, requests, rich, tqdm,
# Pillow, matplotlib, Cython.
WHEELS=(
  av==18.1.0                                            # decoding (the image has no PyAV)
  trackers==2.6.1 supervision==0.31.2 pydeprecate==0.13.0 defusedxml==0.7.1  # ByteTrack
  loguru==0.7.3 natsort==8.4.0 platformdirs==4.14.9
  sqlmodel==0.0.50 sqlalchemy==2.1.9 pydantic==2.14.4 pydantic-core==2.50.5
  annotated-types==0.8.0 typing-inspection==0.4.5       # settings (check-alphapose)
  easydict==1.14 pycocotools==2.0.11                    # AlphaPose's config and datasets
)
# Built there from source (no wheels exist): AlphaPose's demo imports its tracker, which
# imports cython_bbox.
SDISTS=(cython_bbox==0.1.5)

rm -rf "$CARRY"
mkdir -p "$CARRY/wheels" "$CARRY/sdists" "$CARRY/media" "$CARRY/AlphaPose"
"$PY" -m pip download -q --no-deps "${CP312[@]}" -d "$CARRY/wheels" "${WHEELS[@]}"
"$PY" -m pip download -q --no-deps --no-binary="${SDISTS[*]%%==*}" -d "$CARRY/sdists" \
  "${SDISTS[@]}"

# AlphaPose without its GIFs, pictures and logs (its code and configs are 3 MB of 24; a
# fetched mirror may lack those blobs, which git names as it leaves them out)
git -C "$ALPHAPOSE_GIT" archive --format=tar "$ALPHAPOSE_COMMIT" -- . \
    ':(exclude)*.gif' ':(exclude)*.jpg' ':(exclude)*.png' ':(exclude)*.npy' \
    ':(exclude)docs/logs' | tar -x -C "$CARRY/AlphaPose"

# the shared media does not travel (it lies beside the checkout): copy the three videos
cp "$MEDIA/mmpose_demo.mp4" "$MEDIA/mmaction2_demo_skeleton.mp4" "$MEDIA/openpose_video.avi" \
   "$CARRY/media/"

echo "== the wheels install on Python 3.12 (cp312, manylinux x86_64):"
"$PY" -m pip install -q --dry-run --no-index --no-deps --find-links "$CARRY/wheels" \
  "${CP312[@]}" --target "$(mktemp -d)" "${WHEELS[@]}" && echo "   yes"

echo "== every requirement of theirs is carried or in the image:"
"$PY" - "$CARRY/wheels" /work/.library/device/KINDS.md <<'EOF'
import re, sys, zipfile
from pathlib import Path

from packaging.requirements import Requirement

THERE = {"python_version": "3.12", "python_full_version": "3.12.3", "sys_platform": "linux",
         "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix",
         "implementation_name": "cpython", "platform_python_implementation": "CPython",
         "extra": ""}

def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()

wheels, kinds = Path(sys.argv[1]), Path(sys.argv[2])
carried, needs = set(), {}
for wheel in wheels.glob("*.whl"):
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        lines = z.read(meta).decode().splitlines()
    name = norm(next(l.split(":", 1)[1] for l in lines if l.startswith("Name:")).strip())
    carried.add(name)
    for line in lines:
        if line.startswith("Requires-Dist:"):
            req = Requirement(line.split(":", 1)[1].strip())
            if req.marker is None or req.marker.evaluate(THERE):  # what 3.12 on Linux needs
                needs.setdefault(norm(req.name), set()).add(name)
image = set()
if kinds.exists():
    text = kinds.read_text()
    listed = text.split("Packages:", 1)[1] if "Packages:" in text else ""
    image = {norm(p.strip().rstrip(".")) for p in listed.split(",")}
else:
    print("   (KINDS.md not found: the image's packages are not checked)")
# opencv-python is met by the image's opencv-python-headless (same cv2 module)
image |= {"opencv-python"} if "opencv-python-headless" in image else set()
missing = {dep: users for dep, users in needs.items() if dep not in carried | image}
for dep, users in sorted(missing.items()):
    print(f"   MISSING {dep} (needed by {', '.join(sorted(users))})")
print("   yes" if not missing else "   no")
EOF

echo "== size of what travels (tracked and untracked-not-ignored files, and $CARRY):"
TREE=$(git ls-files -co --exclude-standard -z | xargs -0 stat -c %s 2>/dev/null \
       | awk '{s += $1} END {print s + 0}')
GPU=$(du -sb "$CARRY" | cut -f1)
TOTAL=$((TREE + GPU))
awk -v t="$TREE" -v g="$GPU" -v l="$LIMIT_MIB" -v c="$CARRY" 'BEGIN {
  printf "   tree %.1f MiB + %s %.1f MiB = %.1f MiB (limit %d MiB)\n", t / 2^20, c, g / 2^20,
         (t + g) / 2^20, l }'
[ "$TOTAL" -le $((LIMIT_MIB * 1048576)) ] || { echo "   over the limit"; exit 1; }
