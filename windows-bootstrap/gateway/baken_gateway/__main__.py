"""Runs the gateway: `python -m baken_gateway` (the Windows service does this).

Environment: BAKEN_SOFTWARE_ID (JVInit's software id), BAKEN_SERVICE_KEY_PARAMETER (a Systems
Manager SecureString holding the JRA-VAN service key; never logged), BAKEN_DB (SQLite path),
BAKEN_SYNC_MINUTES (stored-data sync interval), BAKEN_PORT (default 8000).
"""
import logging
import os
import threading

import uvicorn

from .app import create_app
from .store import Store
from .worker import Worker


def service_key(parameter: str):
    if not parameter:
        return None
    import boto3

    answer = boto3.client("ssm").get_parameter(Name=parameter, WithDecryption=True)
    return answer["Parameter"]["Value"]


def schedule_syncs(worker: Worker, minutes: float) -> None:
    def tick():
        if not worker.syncing:
            worker.submit(worker.sync)
        timer = threading.Timer(minutes * 60, tick)
        timer.daemon = True
        timer.start()

    tick()


def build_server() -> uvicorn.Server:
    """The gateway, ready to run: JV-Link worker started, syncs scheduled, HTTP server built."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    from .jvlink import ComJVLink

    store = Store(os.environ.get("BAKEN_DB", "C:\\baken\\jvdata.sqlite"))
    worker = Worker(
        ComJVLink,
        store,
        software_id=os.environ.get("BAKEN_SOFTWARE_ID", "BakenKaigi/0.1"),
        service_key=service_key(os.environ.get("BAKEN_SERVICE_KEY_PARAMETER", "")),
    )
    worker.start()
    schedule_syncs(worker, float(os.environ.get("BAKEN_SYNC_MINUTES", "30")))
    port = int(os.environ.get("BAKEN_PORT", "8000"))
    return uvicorn.Server(uvicorn.Config(create_app(worker), host="0.0.0.0", port=port))


def main() -> None:
    build_server().run()


if __name__ == "__main__":
    main()
