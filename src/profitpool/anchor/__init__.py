"""Anchoring: publishing the log's checkpoints on an EVM chain, and checking them back.

A signed log proves nothing against the operator who holds the key: they can
rewrite history and sign it again. Once a checkpoint (tree size, root) sits
in a contract on a chain the operator does not control, a rewritten history
no longer matches it. ``contract`` compiles the Vyper contract; ``chain``
talks JSON-RPC through web3.py; ``publisher`` publishes checkpoints (from the
command line or on the service's schedule); ``verify`` proves that a local
log extends every anchored checkpoint. See docs/anchoring.md.
"""
