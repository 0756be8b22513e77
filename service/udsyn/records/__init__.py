"""Partnership records in the graph: batches, write tokens and the audit trail."""
