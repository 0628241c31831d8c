"""`python -m mes_orders [--role api|relay|consumer|projections]`: run the orders service."""

from mes_events.service import serve
from mes_orders.config import Settings
from mes_orders.entrypoints.api.app import create_app


def main() -> None:
    serve(create_app, Settings())


if __name__ == "__main__":
    main()
