"""Entry point of the frozen app: the same command line as `ambientpose`."""

import multiprocessing
import sys

from ambientpose_desktop.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
