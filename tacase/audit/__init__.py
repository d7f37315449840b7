"""The tamper-evident audit log: canonical bytes, the hash chain, appending and verification."""
