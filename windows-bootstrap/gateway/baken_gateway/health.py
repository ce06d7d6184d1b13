"""The gateway's health, reported on a schedule to a Systems Manager parameter that `baken status`
reads from outside the VPC (the instance's role may write only this one parameter).

The same report answers `GET /health` inside the VPC.
"""
import datetime
import json
import logging
import threading
from typing import Callable

from .worker import Worker

log = logging.getLogger("baken_gateway")

def jvlink_installed() -> bool:
    """Whether JV-Link's COM class is registered (its installer needs a person; see the bootstrap)."""
    try:
        import winreg  # Windows only

        winreg.CloseKey(winreg.OpenKey(winreg.HKEY_CLASSES_ROOT, "JVDTLab.JVLink"))
        return True
    except OSError:
        return False
    except ImportError:
        return False


def report(worker: Worker, jvlink_installed: bool) -> dict:
    store = worker.store
    return {
        "at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "jvlink": worker.state,
        "jvlink_installed": jvlink_installed,
        "syncing": worker.syncing,
        "last_sync": store.get_meta("last_sync"),
        "last_file_timestamp": store.get_meta("last_file_timestamp"),
        "counts": store.counts(),
        "last_rc": worker.last_rc,
        "sync_error": worker.sync_error,
        "last_error": worker.last_error,
    }


def encode(body: dict) -> str:
    """The parameter value; long error texts are cut so the report always fits."""
    cut = {k: (v[:500] + "…" if isinstance(v, str) and len(v) > 500 else v) for k, v in body.items()}
    return json.dumps(cut, ensure_ascii=False, separators=(",", ":"))


def publish(put_parameter: Callable, name: str, body: dict) -> None:
    put_parameter(Name=name, Value=encode(body), Type="String", Overwrite=True)


HEARTBEAT_METRIC = "GatewaySynced"


def heartbeat(put_metric_data: Callable, namespace: str) -> Callable:
    """What a finished sync calls: one data point of the heartbeat metric the stack's alarm
    watches (missing data is breaching there, so a dead instance or a stuck sync alarms). A sync
    that failed puts nothing; a failed put is logged, never raised into the sync."""

    def on_sync(future) -> None:
        if future.exception() is not None:
            return
        try:
            put_metric_data(Namespace=namespace,
                            MetricData=[{"MetricName": HEARTBEAT_METRIC, "Value": 1.0, "Unit": "Count"}])
        except Exception as e:
            log.warning("heartbeat to %s failed: %s", namespace, e)

    return on_sync


def schedule_reports(worker: Worker, put_parameter: Callable, name: str, minutes: float,
                     jvlink_installed: Callable[[], bool]) -> threading.Event:
    """Publishes now and every `minutes`; a failed publish is logged and retried at the next tick.
    Returns the event that stops the schedule."""
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            try:
                publish(put_parameter, name, report(worker, jvlink_installed()))
            except Exception as e:  # the gateway keeps serving; the report goes stale, status says so
                log.warning("health report to %s failed: %s", name, e)
            stop.wait(minutes * 60)

    threading.Thread(target=loop, name="health", daemon=True).start()
    return stop
