"""API users, their tokens, and the broker sessions the platform trades with."""
