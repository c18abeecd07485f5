"""Index series (IPCA, IGP-M, labour agreements), the yearly price readjustment and the recovery of undue charges."""
