"""``python -m matrixauth [trials]``: prints the watcher table of the package README."""

import sys

from .analysis import table

trials = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
print(table(trials=trials))
print(f"\n{trials} trials per row, 8×8 grid; reproduce with: python -m matrixauth {trials}")
