"""``python -m profitpool`` is the ``profitpool`` command."""

from .cli import run

run()
