"""`python -m mes_quality [--role …]`: the quality service (API, relay, consumers)."""

from mes_events.service import serve
from mes_quality.config import Settings
from mes_quality.entrypoints.api.app import create_app

if __name__ == "__main__":
    serve(create_app, Settings())
