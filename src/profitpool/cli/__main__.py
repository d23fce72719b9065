"""``python -m profitpool.cli`` is the ``profitpool`` command too (as it was before the
command line became a package; the benchmarks and users' scripts call it so)."""

from . import run

run()
