"""``make benchmark``: generate the synthetic graphs, then measure every store on them.

Sizes default to 1,000, 10,000 and 100,000 agreements; name others to run those instead::

    python benchmarks/run.py            # the full run (about 20 minutes on 2 cores)
    python benchmarks/run.py 1000       # a quick check, README untouched with --no-readme
"""

from __future__ import annotations

import sys

from stores import main

if __name__ == "__main__":
    sys.exit(main())
