"""The fault suite: both namespaces under service kills, dependency restarts and bad records."""
