"""Double of AlphaPose's compiled detector NMS extension: importable means "built"."""
