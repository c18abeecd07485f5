"""Disputes of an invoice or a measurement line, from opened to credited or refused, with their deadlines."""
