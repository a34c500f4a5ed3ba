"""``python -m desim.bench``: the engine benchmark without the ``desim`` entry point."""

import sys

from desim.cli import main

if __name__ == "__main__":  # pragma: no cover
    main(["bench", *sys.argv[1:]])
