"""The verifiable custody ledger: an append-only Merkle log (RFC 9162) anyone can check offline.

Every accepted custody event becomes a leaf; the operator publishes signed checkpoints (C2SP
tlog-checkpoint); witnesses cosign them (C2SP tlog-cosignature); inclusion and consistency proofs
travel as offline bundles (C2SP tlog-proof). The log's storage sits behind
:class:`oresight.ledger.storage.TreeStorage`; this pillar never imports the workspace store.
"""
