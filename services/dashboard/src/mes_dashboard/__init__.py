"""The production manager's dashboard: one page, live from the services' event streams."""
