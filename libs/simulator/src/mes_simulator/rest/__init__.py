"""The REST driver: the scenario played against the running services over their public APIs."""
