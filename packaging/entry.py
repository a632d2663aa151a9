"""Entry point of the frozen bundle: the same `fieldapp` command line as the wheel.

The server commands are not in the desktop bundle; asking for one gets a one-line
answer and exit code 2 instead of an import traceback.
"""

import sys

SERVER_ONLY = ("server", "demo", "tour")


def main() -> int:
    args = [a for a in sys.argv[1:] if a not in ("-v", "--verbose")]
    if args and args[0] in SERVER_ONLY:
        print(f"fieldapp {args[0]}: not part of the desktop app; install the fieldapp package "
              "(pip install fieldapp) on the server machine to use it", file=sys.stderr)
        return 2
    from fieldapp.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
