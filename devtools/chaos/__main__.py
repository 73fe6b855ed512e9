"""Entry point of `python -m chaos`, what `make chaos` starts."""

import sys

from chaos.run import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
