"""``python -m aftersales``: the console script, for a child process started with this same interpreter."""

import sys

from aftersales.cli import main

sys.exit(main())
