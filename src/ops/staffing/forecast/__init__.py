"""Forecast: offered contacts and AHT per 30-minute interval, and its backtest."""
