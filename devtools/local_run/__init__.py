"""The local paper-trading session: simulator, every service as a process, live progress."""
