"""``python -m agents.aggregator``: see :func:`agents.aggregator.service.main`."""

import sys

from agents.aggregator.service import main

sys.exit(main())
