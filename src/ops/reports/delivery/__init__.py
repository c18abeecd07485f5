"""Delivery: scheduled reports rendered and stored once, e-mailed and posted to a signed webhook."""
