"""Billing: index series and readjustment, the monthly measurement and invoice, audit, disputes and recovery."""
