"""The writer's default block size and snapshot interval, in a module that imports nothing,
so that the command line can show them without loading the database libraries."""

DEFAULT_BLOCK_SIZE = 1000
"""Entries per block."""
DEFAULT_SNAPSHOT_EVERY = 250_000
"""Entries between two signed snapshots of the ledger."""
