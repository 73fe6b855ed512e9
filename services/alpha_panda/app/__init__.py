"""Service processes: wiring, startup checks, probes and the command line."""
