"""Entry point of `python -m local_run`, what `make run` starts."""

import sys

from local_run.run import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
