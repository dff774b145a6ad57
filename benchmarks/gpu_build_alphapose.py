"""Build AlphaPose's compiled extensions with this machine's nvcc, each on its own, and say
which build as they are, which only after the usual patch, and which fail (and why).

    python benchmarks/gpu_build_alphapose.py ALPHAPOSE_DIR RESULT.json [--timeout 200]

AlphaPose's ``setup.py build develop`` builds all six in one go and stops at the first
failure; built one by one (in parallel) each gets its own verdict. Three of its CUDA sources
include ``THC/THCAtomics.cuh``, which newer PyTorch no longer ships; where that is the error,
the build is retried with the include users replace it by (``ATen/cuda/Atomic.cuh``) and
the result says so. Run where torch, Cython and nvcc are (the GPU machine).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

_BUILD = """
import importlib.util, os, sys
os.chdir({home!r}); sys.path.insert(0, {home!r})
spec = importlib.util.spec_from_file_location("alphapose_setup", "setup.py")
setup_py = importlib.util.module_from_spec(spec); spec.loader.exec_module(setup_py)
from setuptools import setup
from torch.utils.cpp_extension import BuildExtension
setup(name="alphapose-ext", cmdclass={{"build_ext": BuildExtension}},
      ext_modules=[e for e in setup_py.get_ext_modules() if e.name == {name!r}],
      script_args=["build_ext", "--inplace", "--build-temp", "build/{name}"])
"""
_LIST = """
import importlib.util, os, sys
os.chdir({home!r}); sys.path.insert(0, {home!r})
spec = importlib.util.spec_from_file_location("alphapose_setup", "setup.py")
setup_py = importlib.util.module_from_spec(spec); spec.loader.exec_module(setup_py)
print(" ".join(e.name for e in setup_py.get_ext_modules()))
"""
_OLD_INCLUDE = "#include <THC/THCAtomics.cuh>"
_NEW_INCLUDE = "#include <ATen/cuda/Atomic.cuh>"


def _first_error(log: str) -> str:
    for line in log.splitlines():
        if "error" in line.lower() and "warning" not in line.lower():
            return line.strip()[:200]
    return (log.strip().splitlines() or ["(no output)"])[-1][:200]


def build_all(home: Path, names: list[str], timeout: float) -> dict[str, dict]:
    started = time.perf_counter()
    procs = {name: subprocess.Popen([sys.executable, "-c", _BUILD.format(home=str(home),
                                                                         name=name)],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for name in names}
    results = {}
    for name, proc in procs.items():
        try:
            log, _ = proc.communicate(timeout=max(1.0, timeout - (time.perf_counter() - started)))
            results[name] = {"ok": proc.returncode == 0, "log": log}
        except subprocess.TimeoutExpired:
            proc.kill()
            results[name] = {"ok": False, "log": f"timed out after {timeout:.0f} s"}
    return results


def imports(home: Path, name: str) -> bool:
    return subprocess.run([sys.executable, "-c", f"import torch, {name}"], cwd=home,
                          capture_output=True).returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("result", type=Path)
    parser.add_argument("--timeout", type=float, default=200)
    args = parser.parse_args()
    home = args.home.resolve()
    names = subprocess.run([sys.executable, "-c", _LIST.format(home=str(home))], check=True,
                           capture_output=True, text=True).stdout.split()
    started = time.perf_counter()
    results = build_all(home, names, args.timeout)
    thc = [n for n, r in results.items() if not r["ok"] and "THC/THCAtomics.cuh" in r["log"]]
    if thc:
        for source in home.rglob("*.cu"):
            text = source.read_text()
            if _OLD_INCLUDE in text:
                source.write_text(text.replace(_OLD_INCLUDE, _NEW_INCLUDE))
        left = args.timeout - (time.perf_counter() - started)
        for name, again in build_all(home, thc, max(left, 30)).items():
            again["patched"] = True
            results[name] = again
    report = {}
    for name in names:
        result = results[name]
        verdict = ("built" if result["ok"] else "FAILED") + (
            " after the THC include patch" if result.get("patched") else "")
        report[name] = {"verdict": verdict, "imports": result["ok"] and imports(home, name),
                        "error": "" if result["ok"] else _first_error(result["log"])}
        print(f"{name:48} {verdict}{'' if result['ok'] else ': ' + report[name]['error']}")
    print(f"({time.perf_counter() - started:.0f} s)")
    args.result.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
