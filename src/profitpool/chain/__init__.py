"""The verifiable log: encoding, Merkle tree, tiles, notes, blocks."""
