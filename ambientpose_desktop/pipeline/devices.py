"""Which compute devices this machine offers, as the user picks them (auto, cpu, cuda:N).

Imports onnxruntime (and torch only where installed and onnxruntime sees no GPU), so call it
lazily, off the GUI thread: never at start-up.
"""

from __future__ import annotations

import glob
import importlib.util


def _nvidia_devices() -> int:
    return len(glob.glob("/dev/nvidia[0-9]*"))


def cuda_device_count() -> int:
    """GPUs a backend could use: onnxruntime's CUDA provider, else torch's view."""
    try:
        import onnxruntime

        if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
            return max(1, _nvidia_devices())
    except ImportError:
        pass
    if importlib.util.find_spec("torch") is not None:
        import torch

        if torch.cuda.is_available():
            return torch.cuda.device_count()
    return 0


def available_devices() -> list[str]:
    return ["auto", "cpu"] + [f"cuda:{i}" for i in range(cuda_device_count())]
