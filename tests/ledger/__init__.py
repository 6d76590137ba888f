"""The verifiable custody ledger: Merkle log, entries, keys, checkpoints, witnesses, proofs."""
