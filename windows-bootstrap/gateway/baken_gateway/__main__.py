"""Runs the gateway: `python -m baken_gateway` (the Windows service does this).

Environment: BAKEN_SOFTWARE_ID (JVInit's software id), BAKEN_SERVICE_KEY_PARAMETER (a Systems
Manager SecureString holding the JRA-VAN service key; never logged), BAKEN_HEALTH_PARAMETER (the
Systems Manager parameter the health report goes to), BAKEN_DB (SQLite path), BAKEN_SYNC_MINUTES
(stored-data sync interval), BAKEN_HEALTH_MINUTES (report interval), BAKEN_PORT (default 8000),
BAKEN_HEARTBEAT_NAMESPACE (the CloudWatch namespace a successful sync puts its heartbeat in; empty:
none).
"""
import logging
import os
import threading

import uvicorn

from . import health
from .app import create_app
from .store import Store
from .worker import Worker


def service_key(ssm, parameter: str):
    if not parameter:
        return None
    answer = ssm.get_parameter(Name=parameter, WithDecryption=True)
    return answer["Parameter"]["Value"]


def schedule_syncs(worker: Worker, minutes: float, on_sync=None) -> None:
    def tick():
        if not worker.syncing:
            future = worker.submit(worker.sync)
            if on_sync is not None:
                future.add_done_callback(on_sync)
        timer = threading.Timer(minutes * 60, tick)
        timer.daemon = True
        timer.start()

    tick()


class Gateway:
    """The HTTP server and the JV-Link worker behind it. `run` serves until `stop`, then closes
    JV-Link on its own thread."""

    def __init__(self, server: uvicorn.Server, worker: Worker):
        self.server = server
        self.worker = worker

    def run(self) -> None:
        try:
            self.server.run()
        finally:
            self.worker.stop()

    def stop(self) -> None:
        self.server.should_exit = True


def build_gateway() -> Gateway:
    """The gateway, ready to run: JV-Link worker started, syncs and health reports scheduled."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    import boto3

    from .jvlink import ComJVLink

    ssm = boto3.client("ssm")
    store = Store(os.environ.get("BAKEN_DB", "C:\\baken\\jvdata.sqlite"))
    worker = Worker(
        ComJVLink,
        store,
        software_id=os.environ.get("BAKEN_SOFTWARE_ID", "BakenKaigi/0.1"),
        service_key=service_key(ssm, os.environ.get("BAKEN_SERVICE_KEY_PARAMETER", "")),
    )
    worker.start()
    namespace = os.environ.get("BAKEN_HEARTBEAT_NAMESPACE", "")
    on_sync = health.heartbeat(boto3.client("cloudwatch").put_metric_data, namespace) if namespace else None
    schedule_syncs(worker, float(os.environ.get("BAKEN_SYNC_MINUTES", "30")), on_sync)
    parameter = os.environ.get("BAKEN_HEALTH_PARAMETER", "")
    if parameter:
        health.schedule_reports(worker, ssm.put_parameter, parameter,
                                float(os.environ.get("BAKEN_HEALTH_MINUTES", "5")), health.jvlink_installed)
    port = int(os.environ.get("BAKEN_PORT", "8000"))
    server = uvicorn.Server(uvicorn.Config(create_app(worker), host="0.0.0.0", port=port))
    return Gateway(server, worker)


def main() -> None:
    build_gateway().run()


if __name__ == "__main__":
    main()
