"""The worker's bounded waits and batched commits, and the health report baken status reads."""
import concurrent.futures
import json
import threading
import time

import pytest

from baken_gateway import health
from baken_gateway.codes import JVLinkError
from fake_jvlink import FakeJVLink
from test_gateway import ALL_RECORDS, RACE, run, wait_for, worker_with


def test_realtime_odds_stop_waiting_at_the_deadline_and_sleep_between_polls(tmp_path):
    fake = FakeJVLink(rt_downloading_polls=10**9)  # JV-Link answers "downloading" for ever
    w = worker_with(fake, tmp_path, realtime_timeout=0.2)
    run(w, w.sync)
    reads_before = fake.reads
    started = time.monotonic()
    with pytest.raises(JVLinkError, match="did not arrive"):
        run(w, lambda: w.realtime_odds(RACE))
    assert time.monotonic() - started < 5
    # download_poll is 1 ms here: a loop without sleeps would make hundreds of thousands of calls.
    assert fake.reads - reads_before < 1000
    assert fake.calls[-1] == ("close",) and not fake.opened
    assert w.last_rc == -3
    w.stop()


def test_a_sync_commits_in_batches_not_per_record(tmp_path):
    fake = FakeJVLink()
    w = worker_with(fake, tmp_path, batch_size=10)
    batches = []
    put_batch = w.store.put_batch
    w.store.put_batch = lambda records: batches.append(len(records)) or put_batch(records)
    run(w, w.sync)
    assert sum(w.store.counts().values()) == len(ALL_RECORDS)
    assert sum(batches) == len(ALL_RECORDS)
    assert max(batches) == 10 and len(batches) <= len(ALL_RECORDS) // 10 + 2
    w.stop()


def test_the_report_says_what_was_synced_and_what_failed(tmp_path):
    fake = FakeJVLink(fail_at={5: -502})
    w = worker_with(fake, tmp_path, reopen_attempts=0)
    with pytest.raises(JVLinkError):
        run(w, w.sync)
    failing = health.report(w, jvlink_installed=True)
    assert failing["jvlink"] == "ready" and failing["last_rc"] == -502
    assert "-502" in failing["sync_error"] and failing["last_sync"] is None
    run(w, w.sync)
    good = health.report(w, jvlink_installed=True)
    assert good["sync_error"] is None and good["last_rc"] == 0 and good["last_sync"]
    assert good["counts"]["RA"] == 6 and good["jvlink_installed"] is True
    w.stop()


def test_reports_go_to_the_parameter_on_a_schedule_and_survive_a_failed_put(tmp_path):
    w = worker_with(FakeJVLink(), tmp_path)
    calls = []
    seen = threading.Event()

    def put_parameter(**kw):
        calls.append(kw)
        if len(calls) == 1:
            raise RuntimeError("throttled")
        if len(calls) >= 3:
            seen.set()

    stop = health.schedule_reports(w, put_parameter, "/baken/t/gateway-health", 0.001 / 60, lambda: False)
    assert seen.wait(5), "the schedule goes on after a failed put"
    stop.set()
    assert {c["Name"] for c in calls} == {"/baken/t/gateway-health"}
    assert all(c["Type"] == "String" and c["Overwrite"] for c in calls)
    body = json.loads(calls[-1]["Value"])
    assert body["jvlink_installed"] is False and body["jvlink"] in ("starting", "ready")
    w.stop()


def test_a_long_error_is_cut_so_the_report_fits_a_parameter():
    value = health.encode({"last_error": "x" * 10_000, "sync_error": None})
    assert len(value.encode()) < 4096


def test_a_successful_sync_puts_one_heartbeat_and_a_failed_one_none(tmp_path):
    from baken_gateway.__main__ import schedule_syncs

    puts = []
    beat = health.heartbeat(lambda **kw: puts.append(kw), "Baken/s")
    w = worker_with(FakeJVLink(), tmp_path)
    schedule_syncs(w, 60, beat)  # the first sync now, the next an hour later
    wait_for(lambda: puts)
    assert puts == [{"Namespace": "Baken/s",
                     "MetricData": [{"MetricName": "GatewaySynced", "Value": 1.0, "Unit": "Count"}]}]
    w.stop()

    # JV-Link does not initialise: the sync raises, no heartbeat, so the alarm's missing data
    # breaches.
    (tmp_path / "x").mkdir()
    failing = worker_with(FakeJVLink(init_rc=-101), tmp_path / "x")
    future = failing.submit(failing.sync)
    future.add_done_callback(beat)
    with pytest.raises(JVLinkError):
        future.result(timeout=10)
    assert len(puts) == 1
    failing.stop()

    # A put that fails is logged, not raised into the worker.
    def refuse(**kw):
        raise RuntimeError("AccessDenied")
    done = concurrent.futures.Future()
    done.set_result({"stored": 0})
    health.heartbeat(refuse, "Baken/s")(done)
