"""`python -m mes_simulator simulate ...`: the same as the `mes` console script."""

import sys

from mes_simulator.cli import main

if __name__ == "__main__":
    sys.exit(main())
