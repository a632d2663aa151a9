"""Entry point of the frozen bundle: the same `fieldapp` command line as the wheel."""

import sys

from fieldapp.cli import main

if __name__ == "__main__":
    sys.exit(main())
