"""Edges of the platform: Kafka, Kite, PostgreSQL, Redis, HTTP."""
