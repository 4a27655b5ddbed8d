"""The ``nicsim`` console command's entry point.

Kept apart from :mod:`nicsim.ui.cli` so that it can catch a Ctrl-C while the command line is
still being imported (a second or two: pandas, pyarrow): the user sees one line, not an
import traceback. A Ctrl-C once a results directory is open is reported by
``cli.execute``, with the runs saved.
"""

from __future__ import annotations

import os
import sys

EXIT_INTERRUPTED = 130  # as nicsim.ui.cli's, which this module must not import at the top


def entry() -> None:
    """The console command: `nicsim ... | head` ends quietly when head closes the pipe."""
    try:
        from .cli import main

        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    except KeyboardInterrupt:  # while starting, reading input, or writing a report
        print("\ninterrupted: no run was under way; run the same command again", file=sys.stderr)
        code = EXIT_INTERRUPTED
    sys.exit(code)


if __name__ == "__main__":
    entry()
