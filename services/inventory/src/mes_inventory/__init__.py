"""Inventory service: materials, lots, reservations, consumption and genealogy."""
