"""``python -m estreamer``: the library's command line (``test``, ``stream``, ``decode``; see
:mod:`estreamer.cli`)."""
import sys

from .cli import main

sys.exit(main())
