#!/usr/bin/env bash
# The GPU check, for a lent GPU machine (README, "GPU"), in under 5 minutes:
#   1. AlphaPose's compiled extensions, built with that machine's nvcc (in the background);
#   2. `ambientpose detect --backend alphapose --device cuda:0` on the shared videos: fps,
#      GPU memory, the effect of det_batch and pose_batch, and the out-of-memory message
#      (an absurd batch while another process holds all but 4 GiB of the GPU);
#   3. our backend against AlphaPose's own demo on the same boxes (`check-alphapose`);
#   4. the embedded model (ONNX Runtime, CPU) on 1 to 16 cores, for a scaling figure.
# The pose weights are random (benchmarks/gpu_weights.py): speed, memory and agreement are
# what is read, not accuracy.
#
#   on the device:  bash benchmarks/gpu_check.sh          (run with carry [".gpu"])
#   here (no GPU):  OUT=/tmp/gpu-check PYTHON=.venv/bin/python MAX_FRAMES=3 \
#                     bash benchmarks/gpu_check.sh
#                   (what needs no CUDA: the detect runs on the CPU, a few frames each, and
#                   the CPU scaling)
#
# Needs .gpu/ (benchmarks/gpu_prepare.sh makes it). Writes $OUT/gpu_check.log (everything),
# $OUT/summary.txt (the tables), $OUT/runs.jsonl and $OUT/extensions.json.
set -uo pipefail
cd "$(dirname "$0")/.."
: "${OUT:?set OUT to the folder for the results}"
mkdir -p "$OUT"
PY=${PYTHON:-python3}
CARRY=.gpu
WORK=${GPU_CHECK_WORK:-/tmp/gpu-check-work}
rm -rf "$WORK" && mkdir -p "$WORK/runs"
exec > >(tee "$OUT/gpu_check.log") 2>&1
T0=$SECONDS
say() { echo; echo "== $* [$((SECONDS - T0)) s, load $(cut -d' ' -f1 /proc/loadavg)]"; }
[ -d "$CARRY/wheels" ] || { echo "no $CARRY: run benchmarks/gpu_prepare.sh here first"; exit 2; }

say "Python packages"
if ! "$PY" -c "import av" 2>/dev/null; then  # the device image: install what it lacks
  SITE=$WORK/site
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$SITE" \
    "$CARRY"/wheels/*.whl || exit 1
  export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
fi
if ! "$PY" -c "import cython_bbox" 2>/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-build-isolation --no-cache-dir \
    --target "$WORK/built" "$CARRY"/sdists/*.tar.gz \
    && export PYTHONPATH="$WORK/built:${PYTHONPATH:-}" \
    || echo "cython_bbox did not build: AlphaPose's demo (its tracker) will not import"
fi
export PYTHONPATH="$PWD:${PYTHONPATH:-}" PYTHONUNBUFFERED=1
export PATH="$PATH:/usr/local/cuda/bin"  # nvcc, for AlphaPose's extensions
export TORCH_HOME=$WORK/torch AMBIENTPOSE_HOME=$WORK/home YOLO_OFFLINE=1

say "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null \
  || echo "no nvidia-smi"
"$PY" -c "import os, torch, onnxruntime as ort; print(f'torch {torch.__version__} (CUDA \
{torch.version.cuda}), onnxruntime {ort.__version__} {ort.get_available_providers()}, \
{os.cpu_count()} CPUs')"
CUDA=$("$PY" -c "import torch; print(int(torch.cuda.is_available()))")
DEVICE=cpu
[ "$CUDA" = 1 ] && DEVICE=cuda:0

AP=$WORK/AlphaPose
cp -r "$CARRY/AlphaPose" "$AP"
BUILD=
if [ "$CUDA" = 1 ]; then
  say "AlphaPose's extensions: building in the background ($(nvcc --version | tail -2 | sed -n 1p))"
  ARCH=$("$PY" -c "import torch; print('%d.%d' % torch.cuda.get_device_capability())")
  TORCH_CUDA_ARCH_LIST=$ARCH MAX_JOBS=4 "$PY" benchmarks/gpu_build_alphapose.py "$AP" \
    "$OUT/extensions.json" --timeout 200 > "$WORK/build.log" 2>&1 &
  BUILD=$!
fi

say "random weights for AlphaPose's FastPose (ResNet-50, COCO-17)"
CFG=configs/coco/resnet/256x192_res50_lr1e-3_1x.yaml
CKPT=$WORK/fastpose_res50_random.pth
"$PY" benchmarks/gpu_weights.py "$AP" "$CFG" "$CKPT" 2>&1 | grep -v Warning || exit 1
OPTS=(--opt "alphapose_dir=$AP" --opt "config=$CFG" --opt "checkpoint=$CKPT"
      --opt tracking=ours)

gpu_used() {  # MiB in use on the GPU now
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null | sed -n 1p
}

run_detect() {  # LABEL VIDEO [detect options...]: one run, one row of runs.jsonl
  local label=$1 video=$2 sampler=
  shift 2
  local out=$WORK/runs/$label
  if [ "$CUDA" = 1 ]; then
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 \
      > "$out.mem" 2>/dev/null &
    sampler=$!
  fi
  local start=$SECONDS
  timeout 150 "$PY" -m ambientpose_desktop detect "$video" -o "$out" --backend alphapose \
    --device "$DEVICE" "${OPTS[@]}" ${MAX_FRAMES:+--max-frames "$MAX_FRAMES"} "$@" \
    > "$out.log" 2>&1
  local code=$?
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null
  "$PY" - "$label" "$out" "$code" "$((SECONDS - start))" "$*" "${BASE_MIB:-0}" \
    >> "$OUT/runs.jsonl" <<'EOF'
import json, sys
from pathlib import Path
label, out, code, wall, opts, base = sys.argv[1:7]
out = Path(out)
row = {"run": label, "options": opts, "exit": int(code), "wall_s": int(wall)}
if (out / "summary.json").exists():
    s = json.loads((out / "summary.json").read_text())
    t = s["timings"]
    row.update(frames=s["frames_processed"], persons=s["persons"], fps=t.get("fps"),
               model_fps=t.get("model_fps"), load_s=t.get("load_s"), device=s["device"])
mem = Path(f"{out}.mem")
if mem.exists():
    used = [int(v) for v in mem.read_text().split() if v.isdigit()]
    row["gpu_peak_mib"] = max(used, default=0) - int(base)
failed = [json.loads(l) for l in Path(f"{out}.log").read_text().splitlines()
          if l.startswith('{"event":"failed"')]
if failed:
    row["error"] = failed[-1]["error"]
print(json.dumps(row))
EOF
  tail -1 "$OUT/runs.jsonl"
}

say "detect --backend alphapose --device $DEVICE on the shared videos"
BASE_MIB=$(gpu_used)
M=$CARRY/media
run_detect smoke "$M/mmpose_demo.mp4"
run_detect mmaction2_1080p "$M/mmaction2_demo_skeleton.mp4"
run_detect openpose_720p "$M/openpose_video.avi"

say "det_batch and pose_batch (openpose_video.avi, 205 frames)"
for det in 1 16; do
  run_detect "openpose_det$det" "$M/openpose_video.avi" --opt "det_batch=$det"
done
for pose in 8 256; do
  run_detect "openpose_pose$pose" "$M/openpose_video.avi" --opt "pose_batch=$pose"
done

if [ "$CUDA" = 1 ]; then
  say "out of memory: an absurd batch while another process holds all but 4 GiB"
  "$PY" - "$WORK/hog.ready" <<'EOF' &
import sys, time
from pathlib import Path
import torch
free, total = torch.cuda.mem_get_info()
hog = torch.empty(max(free - (4 << 30), 0), dtype=torch.uint8, device="cuda")
print(f"holding {hog.numel() / 2**30:.0f} GiB of {total / 2**30:.0f} GiB", flush=True)
Path(sys.argv[1]).touch()
time.sleep(150)
EOF
  HOG=$!
  for _ in $(seq 60); do [ -e "$WORK/hog.ready" ] && break; sleep 1; done
  BASE_MIB=$(gpu_used)
  run_detect oom "$M/openpose_video.avi" --opt det_batch=64 --opt pose_batch=4096
  kill "$HOG" 2>/dev/null
  wait "$HOG" 2>/dev/null
fi

if [ -n "$BUILD" ]; then
  say "AlphaPose's extensions (waiting for the build)"
  wait "$BUILD"
  cat "$WORK/build.log"
  # det_batch=1: ours then batches the crops of one frame at a time, as the demo does, so
  # both give the GPU the same batches (random weights make flat heatmaps, where a
  # different batch's rounding could move a peak)
  say "ours against AlphaPose's demo on the same boxes (check-alphapose)"
  timeout 200 "$PY" -m ambientpose_desktop check-alphapose --python "" --device "$DEVICE" \
    --video "$M/mmaction2_demo_skeleton.mp4" -o "$WORK/check" "${OPTS[@]}" \
    --opt det_batch=1 | tee "$WORK/check.txt"
  echo "check-alphapose exit ${PIPESTATUS[0]}" | tee -a "$WORK/check.txt"
  tail -5 "$WORK/check/alphapose/log.txt" 2>/dev/null
else
  say "check-alphapose skipped: AlphaPose's demo needs its CUDA extension roi_align"
fi

say "the embedded model on the CPU cores"
"$PY" benchmarks/worker_throughput.py --scaling 1 2 4 8 16 --video "$M/mmaction2_demo_skeleton.mp4" \
  --warmup 6 | tee "$WORK/scaling.txt"

say "summary"
{
  echo "GPU check $(date -u +%FT%TZ), device $DEVICE"
  "$PY" - "$OUT/runs.jsonl" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"{'run':18} {'exit':>4} {'frames':>6} {'people':>6} {'fps':>7} {'model fps':>9} "
      f"{'GPU MiB':>8}  options / error")
for r in rows:
    print(f"{r['run']:18} {r['exit']:>4} {r.get('frames', ''):>6} {r.get('persons', ''):>6} "
          f"{r.get('fps') or 0:>7.1f} {r.get('model_fps') or 0:>9.1f} "
          f"{r.get('gpu_peak_mib', ''):>8}  {r.get('error') or r['options']}")
EOF
  cat "$WORK/check.txt" 2>/dev/null
  cat "$WORK/scaling.txt"
} | tee "$OUT/summary.txt"
echo "($((SECONDS - T0)) s in all)"
