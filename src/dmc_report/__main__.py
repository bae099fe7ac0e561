"""``python -m dmc_report`` is the same as the ``dmc-report`` command."""

import sys

from dmc_report.cli import main

sys.exit(main())
