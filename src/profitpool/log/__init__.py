"""The verifiable log on disk: the operator key, the block writer, restart, verification."""
