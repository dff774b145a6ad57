#!/usr/bin/env bash
# Smoke test of the frozen app, run as a user without our Python would run it:
#   1. builds dist/AmbientPose/ (or reuses it; --rebuild forces a build)
#   2. `AmbientPose --version` and `AmbientPose about` (versions and licences are bundled)
#   3. `AmbientPose detect` on ../shared/media/videos/mmpose_demo.mp4, checks pose.json and
#      that it equals what this checkout gives from source with the build's Python
#   4. `AmbientPose serve`: uploads the video over HTTP, waits for the frozen worker's result
#   5. opens the window under Xvfb with a task queued, waits for the window to run it through
#      the frozen worker (`AmbientPose detect`), saves a screenshot (build/smoke/window.png),
#      closes it with the window manager's close request and expects a clean exit
#   6. checks the app wrote nothing outside its platformdirs folders
# Every run of the app gets an empty environment and a fresh $HOME; where user namespaces are
# available it also gets no network and does not see the build's Python, nor this checkout's
# source. SMOKE_BACKEND=fake runs detect on the fake backend.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
app="$root/dist/AmbientPose/AmbientPose"
# Everything runs on a private X server, so the window step needs no desktop.
if [ -z "${SMOKE_IN_XVFB:-}" ]; then
  command -v xvfb-run >/dev/null || { echo "error: xvfb-run is not installed" >&2; exit 2; }
  SMOKE_IN_XVFB=1 exec xvfb-run -a -s "-screen 0 1280x800x24" "$0" "$@"
fi

# The build's interpreter (as in build.sh: $PYTHON, else .venv/bin/python, which build.sh makes
# in a fresh checkout): hidden from the app, used for the checks and the screenshot only.
python="${PYTHON:-$root/.venv/bin/python}"
if [ "${1:-}" = "--rebuild" ] || [ ! -x "$app" ] || [ ! -x "$python" ]; then
  packaging/build.sh
fi
[ -x "$python" ] || { echo "error: no Python at $python (set PYTHON)" >&2; exit 2; }

media="${AMBIENTPOSE_MEDIA:-$root/../shared/media}"
video="$media/videos/mmpose_demo.mp4"
[ -f "$video" ] || { echo "error: test video not found: $video" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home" "$work/cwd" "$work/out" build/smoke

# Directories the app must not need: the build interpreter (unless it is the system's, which
# the system itself needs) and our source.
hide="$("$python" -c 'import sys
print("\n".join({sys.prefix, sys.base_prefix} - {"/", "/usr", "/usr/local"}))')
$root/ambientpose_desktop"
if unshare -rmn true 2>/dev/null; then
  isolation="no network, build Python and source hidden"
  sandbox=(unshare -rmn bash -c \
    'while IFS= read -r d; do [ -d "$d" ] && mount -t tmpfs none "$d"; done <<< "$HIDE"; exec "$@"' _)
else
  isolation="empty environment only (no user namespaces here)"
  sandbox=()
fi

# Runs the frozen app as a fresh user would: empty environment, own HOME, own working folder.
run_app() {
  (cd "$work/cwd" && exec env -i HOME="$work/home" PATH=/usr/bin:/bin LANG=C.UTF-8 HIDE="$hide" \
    ${DISPLAY:+DISPLAY="$DISPLAY"} ${XAUTHORITY:+XAUTHORITY="$XAUTHORITY"} \
    "${sandbox[@]}" "$app" "$@")
}

step() { printf '\n== %s\n' "$*"; }
timed() {
  local t0; t0=$(date +%s%N); "$@"
  echo "($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
}

echo "isolation: $isolation"

step "AmbientPose --version"
want="ambientpose $(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)"
got="$(timed run_app --version)"
echo "$got"
[ "$(head -1 <<< "$got")" = "$want" ] || { echo "error: expected '$want'" >&2; exit 1; }

step "AmbientPose about"
about="$(run_app about)"
echo "$about"
grep -q "^ONNX Runtime [0-9]" <<< "$about" && grep -q "AGPL-3.0" <<< "$about" \
  || { echo "error: about is missing the runtime version or the model licence" >&2; exit 1; }

step "AmbientPose detect $video"
timed run_app detect "$video" --output "$work/out/demo" ${SMOKE_BACKEND:+--backend "$SMOKE_BACKEND"} \
  | tail -n 2
"$python" - "$work/out/demo" <<'EOF'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
poses = json.loads((out / "pose.json").read_text())
summary = json.loads((out / "summary.json").read_text())
assert poses, "pose.json is empty"
assert all(len(p["keypoints"]) == 51 and len(p["box"]) == 4 for p in poses), "bad pose entry"
frames = {p["image_id"] for p in poses}
print(f"pose.json: {len(poses)} poses on {len(frames)} frames, "
      f"{len({p['idx'] for p in poses})} tracks; summary: {json.dumps(summary)[:160]}")
EOF

step "the same poses as the source tree gives"
(cd "$work/cwd" && env -i HOME="$work/source-home" PATH=/usr/bin:/bin PYTHONPATH="$root" \
  "$python" -m ambientpose_desktop detect "$video" --output "$work/out/source" \
  ${SMOKE_BACKEND:+--backend "$SMOKE_BACKEND"} > /dev/null)
"$python" - "$work/out/demo/pose.json" "$work/out/source/pose.json" <<'EOF'
import json, sys
frozen, source = (json.load(open(p)) for p in sys.argv[1:])
assert frozen == source, "the frozen app's pose.json differs from the source tree's"
print(f"identical pose.json ({len(frozen)} poses)")
EOF

step "AmbientPose serve: the video through the HTTP API and the frozen worker"
# Needs loopback, so this one keeps the network (the build Python and source stay hidden).
(cd "$work/cwd" && exec env -i HOME="$work/home" PATH=/usr/bin:/bin LANG=C.UTF-8 HIDE="$hide" \
  "${sandbox[@]/-rmn/-rm}" "$app" serve --port 0 > "$work/serve.log" 2>&1) &
serve_pid=$!
"$python" - "$work/serve.log" "$video" "$work/out/demo/pose.json" <<'EOF'
import json, sys, time, urllib.request, uuid
from pathlib import Path
log, video, expected = Path(sys.argv[1]), Path(sys.argv[2]), json.load(open(sys.argv[3]))
for _ in range(120):
    lines = log.read_text().splitlines() if log.exists() else []
    url = next((l.split()[3] for l in lines if l.startswith("AmbientPose API at ")), None)
    token = next((l.split()[1] for l in lines if l.startswith("token: ")), None)
    if url and token:
        break
    time.sleep(0.5)
else:
    sys.exit(f"error: serve did not start:\n{log.read_text()}")

def call(path, data=None, content_type=None):
    headers = {"Authorization": f"Bearer {token}"}
    if content_type:
        headers["Content-Type"] = content_type
    with urllib.request.urlopen(urllib.request.Request(url + path, data, headers), timeout=30) as r:
        return r.read()

boundary = uuid.uuid4().hex
body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
        f"filename=\"{video.name}\"\r\nContent-Type: video/mp4\r\n\r\n").encode()
body += video.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
task = json.loads(call("/tasks", body, f"multipart/form-data; boundary={boundary}"))["id"]
for _ in range(240):
    status = json.loads(call(f"/tasks/{task}"))["status"]
    if status in ("SUCCESS", "FAILED", "CANCELED"):
        break
    time.sleep(0.5)
assert status == "SUCCESS", f"task {task} ended {status}"
poses = json.loads(call(f"/files/{task}/pose.json"))
assert poses == expected, "pose.json from serve differs from the one detect wrote"
print(f"task {task} via {url}: SUCCESS, identical pose.json ({len(poses)} poses)")
EOF
kill -TERM "$serve_pid"
wait "$serve_pid" && code=0 || code=$?
# uvicorn shuts down gracefully, then re-raises the signal: 143 is the from-source code too.
case "$code" in 0|143) echo "serve stopped on SIGTERM (exit code $code)" ;;
  *) cat "$work/serve.log"; echo "error: serve exited with $code" >&2; exit 1 ;; esac

step "window under Xvfb, running a queued task through the frozen worker"
# A task queued before start-up (with this checkout's store code, as another window would):
# the window's runner must claim it and run it with `AmbientPose detect`, the app itself.
task="$(cd "$work/cwd" && env -i HOME="$work/home" PATH=/usr/bin:/bin PYTHONPATH="$root" \
  "$python" -c 'import sys
from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.store import open_store
repo, _ = open_store()
print(repo.create(sys.argv[1], TaskParams(backend=sys.argv[2])).id)' "$video" "${SMOKE_BACKEND:-embedded}")"
echo "queued task $task"
run_app > "$work/window.log" 2>&1 &
pid=$!
status=""
for _ in $(seq 240); do
  kill -0 "$pid" 2>/dev/null || break
  status="$(run_app tasks | awk -v id="$task" '$1 == id { print $2 }')"
  case "$status" in SUCCESS|FAILED|CANCELED) break ;; esac
  sleep 0.5
done
echo "task $task: ${status:-not seen}"
if [ "$status" != SUCCESS ]; then
  run_app tasks || true
  kill "$pid" 2>/dev/null || true
  cat "$work/window.log"
  echo "error: the window did not run the queued task to SUCCESS" >&2
  exit 1
fi
task_dir="$work/home/.local/share/AmbientPose/tasks/$task"
[ -s "$task_dir/pose.json" ] || { echo "error: no pose.json in $task_dir" >&2; exit 1; }
if ! "$python" packaging/x11_window.py shot AmbientPose build/smoke/window.png --pid "$pid"; then
  kill "$pid" 2>/dev/null || true
  cat "$work/window.log"
  exit 1
fi
"$python" packaging/x11_window.py close AmbientPose
for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$pid" 2>/dev/null; then
  echo "error: the window did not close within 30 s" >&2
  kill "$pid"
  exit 1
fi
wait "$pid" && code=0 || code=$?
cat "$work/window.log"
[ "$code" = 0 ] || { echo "error: the window exited with code $code" >&2; exit 1; }
echo "closed cleanly (exit code 0)"

step "files written"
cd "$work/home"
written="$(find . -type f | sort)"
echo "$written" | sed 's/^/  ~\//;s|/\./|/|'
stray="$(grep -vE '^\./(\.local/share|\.config|\.local/state|\.cache)/AmbientPose/' <<< "$written" || true)"
[ -z "$(ls -A "$work/cwd")" ] || { echo "error: the app wrote into its working folder" >&2; exit 1; }
[ -z "$stray" ] || { echo "error: written outside the platformdirs folders:" >&2; echo "$stray" >&2; exit 1; }

echo
echo "smoke test passed: $(du -sh "$root/dist/AmbientPose" | cut -f1) bundle, screenshot build/smoke/window.png"
