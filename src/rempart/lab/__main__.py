"""``python -m rempart.lab --state FILE``: run the lab process (see :mod:`rempart.lab.server`)."""

import sys

from rempart.lab.server import main

sys.exit(main())
