"""`python -m mes_inventory [--role …]`: the inventory service (API, relay, consumers)."""

from mes_events.service import serve
from mes_inventory.config import Settings
from mes_inventory.entrypoints.api.app import create_app

if __name__ == "__main__":
    serve(create_app, Settings())
