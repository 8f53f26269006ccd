"""``python -m mineral_diplomacy.cli``: the ``mineral-diplomacy`` command."""

import sys

from .commands import main

sys.exit(main())
