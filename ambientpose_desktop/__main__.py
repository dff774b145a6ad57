"""`python -m ambientpose_desktop` is the same as the `ambientpose` command.

The runner launches workers this way when not frozen, so a worker always runs the code of the
interpreter that launched it, whatever `ambientpose` happens to be on PATH.
"""

import sys

from ambientpose_desktop.cli import main

sys.exit(main())
