"""The factory simulator: a seeded shop that drives the MES or compares planning policies."""
