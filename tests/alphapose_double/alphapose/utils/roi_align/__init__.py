"""Double of AlphaPose's compiled roi_align extension: importable means "built"."""
