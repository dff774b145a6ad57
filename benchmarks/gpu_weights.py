"""Random-weight checkpoints for the GPU check, made on the spot: nothing is downloaded.

    python benchmarks/gpu_weights.py ALPHAPOSE_DIR CONFIG OUT.pth

Made as the AlphaPose test double's checkpoints are (``torch.save`` of a state dict, see
tests/pipeline/test_alphapose_backend.py), here of AlphaPose's real pose model for CONFIG
with its random initialisation (seed 0), so AlphaPose's demo and our backend load the very
same weights. AlphaPose's ResNet-based models also ask torchvision for ImageNet backbone
weights when built; a random backbone is saved under the name torchvision looks for in
``$TORCH_HOME/hub/checkpoints`` first. The poses such weights give mean nothing: what the check
reads is whether both sides agree, how fast they run and how much GPU memory they take.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(home: str, config: str, out: str) -> int:
    import torch
    import torchvision

    sys.path.insert(0, home)
    from alphapose.models import builder
    from alphapose.utils.config import update_config

    torch.manual_seed(0)
    cfg = update_config(str(Path(home) / config))
    layers = cfg.MODEL.get("NUM_LAYERS")
    if layers:
        name = f"resnet{layers}"
        url = torchvision.models.get_model_weights(name).IMAGENET1K_V1.url
        backbone = Path(torch.hub.get_dir()) / "checkpoints" / Path(url).name
        if not backbone.exists():
            backbone.parent.mkdir(parents=True, exist_ok=True)
            torch.save(torchvision.models.get_model(name).state_dict(), backbone)
    model = builder.build_sppe(cfg.MODEL, preset_cfg=cfg.DATA_PRESET)
    torch.save(model.state_dict(), out)
    print(f"{out}: random {cfg.MODEL.TYPE} for {config}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__.splitlines()[2].strip(), file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
