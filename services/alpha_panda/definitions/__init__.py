"""Strategy definitions as events: the one live source of truth of what trades."""
