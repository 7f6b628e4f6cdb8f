"""``python -m trustfill``: the same CLI as the ``trustfill`` command."""

import sys

from trustfill.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
