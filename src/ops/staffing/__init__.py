"""Staffing: history, forecast, Erlang C / A and reinforcement shift planning."""
