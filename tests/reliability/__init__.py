"""Reliability checks of issue 9: faults injected on loopback against the real services."""
