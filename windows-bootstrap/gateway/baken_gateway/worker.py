"""The one thread that owns JV-Link. Every JV-Link call runs here, one at a time; HTTP handlers
submit jobs and wait with a deadline, so a long sync never hangs a request.
"""
import concurrent.futures
import datetime
import logging
import queue
import threading
import time
from typing import Callable, Optional

from . import codes
from .codes import JVLinkError
from .store import Store

log = logging.getLogger("baken_gateway")

# Setup without a dialog on the first run, normal updates afterwards (docs/jvdata.md §7.3).
OPTION_NORMAL = 1
OPTION_SETUP_NO_DIALOG = 4
SETUP_FROM = "19860101000000"


class Worker:
    def __init__(self, jvlink_factory: Callable, store: Store, software_id: str,
                 service_key: Optional[str] = None, download_poll: float = 0.5,
                 download_timeout: float = 3600.0, reopen_attempts: int = 3, odds_ttl: float = 30.0,
                 batch_size: int = 2000, realtime_timeout: float = 4.0):
        if not software_id or software_id.startswith(" ") or len(software_id.encode()) > 64:
            raise ValueError("JV-Link needs a software id of 1 to 64 bytes not starting with a space")
        self._factory = jvlink_factory
        self.store = store
        self._software_id = software_id
        self._service_key = service_key
        self._poll = download_poll
        self._download_timeout = download_timeout
        self._reopen_attempts = reopen_attempts
        self._odds_ttl = odds_ttl
        self._batch_size = max(1, batch_size)
        self._realtime_timeout = realtime_timeout
        self._odds_cache: dict = {}
        self._jobs: "queue.Queue" = queue.Queue()
        self._jv = None
        self.state = "starting"
        self.last_error: Optional[str] = None
        # JV-Link's last return code (0 after a good call) and the last sync's error, for the
        # health report; a realtime-odds error does not make the stored data unhealthy.
        self.last_rc: Optional[int] = None
        self.sync_error: Optional[str] = None
        self.syncing = False
        self._thread = threading.Thread(target=self._run, name="jvlink", daemon=True)

    # -- the thread -------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ends the thread after the queued jobs; JV-Link is closed on its own thread (a service
        stop must not leave a download open)."""
        self._jobs.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            self._jv = self._factory()
            rc = self._jv.init(self._software_id)
            if rc != codes.OK:
                raise JVLinkError("JVInit", rc)
            if self._service_key:
                rc = self._jv.set_service_key(self._service_key)
                # -101: a key is already registered on this machine; it stays in use.
                if rc not in (codes.OK, -101):
                    raise JVLinkError("JVSetServiceKey", rc)
            self.state = "ready"
            self.last_rc = codes.OK
        except Exception as e:  # the gateway keeps serving what it has and says why
            self.state = "error"
            self._fail(e)
        while True:
            job = self._jobs.get()
            if job is None:
                if self._jv is not None:
                    try:
                        self._jv.close()
                    except Exception as e:  # stopping anyway
                        log.warning("JVClose on stop: %s", e)
                return
            fn, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except Exception as e:
                self._fail(e)
                future.set_exception(e)

    def _fail(self, e: Exception) -> None:
        self.last_error = str(e)
        if isinstance(e, JVLinkError):
            self.last_rc = e.rc
        log.error("%s", e)

    def submit(self, fn: Callable) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._jobs.put((fn, future))
        return future

    # -- stored data ------------------------------------------------------------------------

    def sync(self) -> dict:
        """Reads the stored RACE data since the persisted timestamp (on the worker thread)."""
        if self.state != "ready":
            raise JVLinkError("sync", -201)
        self.syncing = True
        try:
            return self._sync()
        except Exception as e:
            self.sync_error = str(e)
            raise
        finally:
            self.syncing = False

    def _sync(self) -> dict:
        setup = self.store.get_meta("setup_done") is None
        fromtime = self.store.get_meta("last_file_timestamp") or SETUP_FROM
        option = OPTION_SETUP_NO_DIALOG if setup else OPTION_NORMAL
        stored = 0
        for attempt in range(self._reopen_attempts + 1):
            self._jv.close()  # always close before the next open (else -202)
            rc, readcount, downloadcount, last = self._jv.open("RACE", fromtime, option)
            if rc == codes.NO_DATA:
                self._jv.close()
                self._finish(last or fromtime)
                return {"stored": stored, "files": 0}
            if rc < 0:
                self._jv.close()
                raise JVLinkError("JVOpen", rc)
            outcome = self._read_all()
            stored += outcome["stored"]
            if outcome["retry"] is None:
                self._jv.close()
                self._finish(last)
                return {"stored": stored, "files": readcount}
            log.warning("JVGets: %s; reopening (%d/%d)", codes.describe(outcome["retry"]), attempt + 1,
                        self._reopen_attempts)
        self._jv.close()
        raise JVLinkError("JVGets", outcome["retry"])

    def _read_all(self) -> dict:
        """Reads until EOF, storing records in batches: one commit per batch, not per record
        (a first setup sync is years of records). Whatever was read is stored on every exit."""
        batch: list = []
        stored = 0

        def flush() -> int:
            n = self.store.put_batch(batch) if batch else 0
            batch.clear()
            return n

        waited = 0.0
        try:
            while True:
                rc, buff, filename = self._jv.gets()
                if rc > 0:
                    batch.append(bytes(buff[:rc]))
                    if len(batch) >= self._batch_size:
                        stored += flush()
                elif rc == 0:
                    return {"stored": stored + flush(), "retry": None}
                elif rc == codes.NO_DATA:
                    continue  # end of one file; the next follows
                elif rc == codes.DOWNLOADING:
                    if waited >= self._download_timeout:
                        raise JVLinkError("JVGets (download did not finish)", rc)
                    time.sleep(self._poll)
                    waited += self._poll
                elif rc in codes.BROKEN_FILE:
                    self._jv.file_delete(filename)
                    return {"stored": stored + flush(), "retry": rc}
                elif rc in codes.REOPEN:
                    return {"stored": stored + flush(), "retry": rc}
                else:
                    self._jv.close()
                    raise JVLinkError("JVGets", rc)
        except BaseException:
            flush()  # what was read before the error is kept; the sync resumes from it
            raise

    def _finish(self, last_file_timestamp: str) -> None:
        self.store.set_meta("last_file_timestamp", last_file_timestamp)
        self.store.set_meta("setup_done", "1")
        self.store.set_meta("last_sync", datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))
        self.last_error = None
        self.sync_error = None
        self.last_rc = codes.OK

    # -- realtime odds ----------------------------------------------------------------------

    def realtime_odds(self, race_id: str) -> Optional[bytes]:
        """O1 of one race through JVRTOpen 0B31, cached for a short time (worker thread)."""
        cached = self._odds_cache.get(race_id)
        if cached and time.monotonic() - cached[0] < self._odds_ttl:
            return cached[1]
        self._jv.close()
        rc = self._jv.rt_open("0B31", race_id)
        record = None
        if rc == codes.NO_DATA:
            self._jv.close()
        elif rc < 0:
            self._jv.close()
            raise JVLinkError("JVRTOpen", rc)
        else:
            # The record is usually there at once; while JV-Link answers "downloading", sleep
            # and give up at the deadline, so the one JV-Link thread is never held for long.
            deadline = time.monotonic() + self._realtime_timeout
            while True:
                rc, buff, _ = self._jv.gets()
                if rc > 0 and bytes(buff[:2]) == b"O1":
                    record = bytes(buff[:rc])
                elif rc == 0:
                    break
                elif rc in (codes.NO_DATA, codes.DOWNLOADING):
                    if time.monotonic() >= deadline:
                        self._jv.close()
                        raise JVLinkError("JVGets (realtime odds did not arrive in time)", rc)
                    if rc == codes.DOWNLOADING:
                        time.sleep(self._poll)
                elif rc < 0:
                    self._jv.close()
                    raise JVLinkError("JVGets", rc)
            self._jv.close()
        self._odds_cache[race_id] = (time.monotonic(), record)
        return record
