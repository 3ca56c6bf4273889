"""``python -m memgen.scorecard``: the command-line entry point of the reproduction scorecard.

The claims and their evaluation live in :mod:`memgen.experiments.scorecard`; this module only
runs it, so that the command stays short.
"""

from memgen.experiments.scorecard import main

if __name__ == "__main__":
    raise SystemExit(main())
