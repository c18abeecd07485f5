"""Invoices and credit notes: taxes and withholdings, gapless numbers, the hash chain, payments, NFS-e and audit."""
