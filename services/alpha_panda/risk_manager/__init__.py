"""Risk manager: every raw signal of a namespace checked against its limits."""
