"""Assignment: agents and positions, and getting tickets to them (pull the next, push, give back)."""
