"""``python -m profitpool`` is the ``profitpool`` command."""

from .cli import main

main()
