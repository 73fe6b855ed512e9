"""Shared core: the event model, topic names, settings and the streaming backbone."""
