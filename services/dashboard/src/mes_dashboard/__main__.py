"""`python -m mes_dashboard`: serve the dashboard (on 127.0.0.1:8080 by default)."""

import uvicorn

from mes_dashboard.app import create_app
from mes_dashboard.config import Settings


def main() -> None:
    settings = Settings()
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
