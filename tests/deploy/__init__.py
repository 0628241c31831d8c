"""Checks of the production deployment files against the code they deploy."""
