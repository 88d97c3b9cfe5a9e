"""`make bench`: Passerelle measured like a user would (see scripts/bench.py)."""
