"""ops: operations manager for an outsourced contact center."""
