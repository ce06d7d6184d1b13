"""The gateway against a fake JV-Link replaying the fixture corpus."""
import base64
import time

import pytest
from fastapi.testclient import TestClient

from baken_gateway.app import create_app
from baken_gateway.codes import JVLinkError
from baken_gateway.store import Store
from baken_gateway.worker import Worker
from fake_jvlink import FIXTURES, FakeJVLink, split_records

ALL_RECORDS = [r for p in sorted(FIXTURES.glob("*.jvd")) for r in split_records(p.read_bytes())]
RACE = "2026122706050803"  # 中山 11R in the corpus is race 3: 有馬記念


def worker_with(fake, tmp_path, **kw):
    w = Worker(lambda: fake, Store(str(tmp_path / "jv.sqlite")), "BakenKaigi/test", download_poll=0.001, **kw)
    w.start()
    return w


def wait_for(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def run(w, fn):
    return w.submit(fn).result(timeout=10)


def test_setup_then_normal_updates_from_the_persisted_timestamp(tmp_path):
    fake = FakeJVLink()
    w = worker_with(fake, tmp_path)
    result = run(w, w.sync)
    assert result["stored"] == len(ALL_RECORDS)
    assert w.store.counts() == {"RA": 6, "SE": sum(r[:2] == b"SE" for r in ALL_RECORDS), "O1": 6, "HR": 4}
    opens = [c for c in fake.calls if c[0] == "open"]
    assert opens[0] == ("open", "RACE", "19860101000000", 4), "first run: setup without dialog"
    assert fake.calls[0] == ("init", "BakenKaigi/test")
    # Every open is preceded by a close.
    for i, call in enumerate(fake.calls):
        if call[0] == "open":
            assert fake.calls[i - 1] == ("close",)
    last = w.store.get_meta("last_file_timestamp")
    assert last == "20261227000002"
    # The next sync is a normal update from that timestamp and finds nothing new.
    assert run(w, w.sync) == {"stored": 0, "files": 0}
    assert [c for c in fake.calls if c[0] == "open"][-1] == ("open", "RACE", last, 1)
    w.stop()


def test_an_interrupted_sync_resumes_without_losing_or_duplicating(tmp_path):
    # The download fails at read 40, and again right after the one reopen allowed.
    fake = FakeJVLink(fail_at={40: -502, 41: -502})
    w = worker_with(fake, tmp_path, reopen_attempts=1)
    with pytest.raises(JVLinkError):
        run(w, w.sync)
    assert "-502" in w.last_error
    assert w.store.get_meta("last_file_timestamp") is None, "an unfinished sync does not advance"
    partial = sum(w.store.counts().values())
    assert 0 < partial < len(ALL_RECORDS)
    # Resumed: everything arrives, once.
    run(w, w.sync)
    assert sum(w.store.counts().values()) == len(ALL_RECORDS)
    assert w.last_error is None
    w.stop()


@pytest.mark.parametrize("rc", [-402, -403])
def test_a_broken_download_is_deleted_and_the_open_repeated(tmp_path, rc):
    fake = FakeJVLink(fail_at={10: rc})
    w = worker_with(fake, tmp_path)
    run(w, w.sync)
    assert fake.deleted == ["RAVM20261227000001.jvd"]
    assert sum(w.store.counts().values()) == len(ALL_RECORDS)
    w.stop()


@pytest.mark.parametrize("rc", [-201, -203, -301, -401, -504])
def test_other_error_codes_fail_the_sync_with_their_meaning(tmp_path, rc):
    fake = FakeJVLink(fail_at={5: rc})
    w = worker_with(fake, tmp_path)
    with pytest.raises(JVLinkError) as e:
        run(w, w.sync)
    assert str(rc) in str(e.value)
    assert fake.calls[-1] == ("close",), "closed after the error"
    w.stop()


def test_a_failed_init_is_reported_by_health(tmp_path):
    fake = FakeJVLink(init_rc=-211)
    w = worker_with(fake, tmp_path)
    client = TestClient(create_app(w))
    wait_for(lambda: w.state != "starting")
    body = client.get("/health").json()
    assert body["jvlink"] == "error"
    assert "-211" in body["last_error"]
    w.stop()


def test_software_id_rules():
    with pytest.raises(ValueError):
        Worker(FakeJVLink, None, "")
    with pytest.raises(ValueError):
        Worker(FakeJVLink, None, " leading space")


def test_http_serves_races_runners_odds_history_and_jockeys(tmp_path):
    fake = FakeJVLink()
    w = worker_with(fake, tmp_path)
    run(w, w.sync)
    client = TestClient(create_app(w))

    health = client.get("/health").json()
    assert health["jvlink"] == "ready" and health["counts"]["RA"] == 6 and health["last_sync"]

    day = client.get("/races", params={"date": "2026-12-27"}).json()
    assert [r["race_id"] for r in day["races"]] == sorted(r["race_id"] for r in day["races"])
    assert len(day["races"]) == 6
    ra = base64.b64decode(day["races"][0]["ra"])
    assert ra[:2] == b"RA" and len(ra) == 1272
    assert client.get("/races", params={"date": "2026-12-28"}).json()["races"] == []
    assert client.get("/races", params={"date": "27/12/2026"}).status_code == 400

    race = client.get(f"/races/{RACE}").json()
    assert len(race["se"]) == 18
    assert race["odds_source"] == "realtime"
    assert base64.b64decode(race["o1"])[:2] == b"O1"
    assert ("rt_open", "0B31", RACE) in fake.calls
    assert base64.b64decode(race["hr"])[:2] == b"HR"
    assert client.get("/races/2026122706050899").status_code == 404
    assert client.get("/races/abc").status_code == 400

    se = base64.b64decode(race["se"][0])
    horse_id, jockey = se[30:40].decode(), se[296:301].decode()
    history = client.get(f"/horses/{horse_id}/records").json()
    assert history["se"] and all(base64.b64decode(s)[30:40].decode() == horse_id for s in history["se"])
    summary = client.get(f"/jockeys/{jockey}/summary").json()
    assert summary["rides"] >= summary["wins"] >= 0 and summary["rides"] > 0
    assert client.get("/jockeys/12/summary").status_code == 400
    w.stop()


def test_requests_do_not_wait_for_a_running_sync(tmp_path):
    fake = FakeJVLink(downloading_polls=10**9)  # a download that never finishes
    w = worker_with(fake, tmp_path, download_timeout=3600)
    w.store.put(ALL_RECORDS[0])  # an RA already stored
    race_id = ALL_RECORDS[0][11:27].decode()
    w.submit(w.sync)
    wait_for(lambda: w.syncing)
    client = TestClient(create_app(w))
    race = client.get(f"/races/{race_id}").json()
    assert race["race_id"] == race_id and race["odds_source"] is None
    assert client.get("/health").json()["syncing"] is True


def test_after_a_stop_the_gateway_catches_up_on_what_was_published_meanwhile(tmp_path):
    """The schedule stops the instance between race days; what JV-Link published meanwhile is
    read at the next start (the first sync runs as the service starts) and served."""
    from baken_gateway.__main__ import schedule_syncs

    first, second = [split_records(p.read_bytes()) for p in sorted(FIXTURES.glob("*.jvd"))]
    before = worker_with(FakeJVLink(files=[first]), tmp_path)
    run(before, before.sync)
    served = TestClient(create_app(before)).get("/races", params={"date": "2026-12-27"}).json()
    venues_before = {r["race_id"][8:10] for r in served["races"]}
    before.stop()  # stopped on schedule

    # Published while it was stopped: the second file, after the first one's timestamp.
    fake = FakeJVLink(files=[first, second])
    after = worker_with(fake, tmp_path)
    schedule_syncs(after, 60)  # as the service starts: a sync now
    wait_for(lambda: after.store.get_meta("last_file_timestamp") == "20261227000002")
    opens = [c for c in fake.calls if c[0] == "open"]
    assert opens[0] == ("open", "RACE", "20261227000001", 1), "a normal update from where it stopped"
    served = TestClient(create_app(after)).get("/races", params={"date": "2026-12-27"}).json()
    venues_after = {r["race_id"][8:10] for r in served["races"]}
    assert len(venues_after) == 2 and venues_before < venues_after, (venues_before, venues_after)
    assert after.store.counts()["RA"] == 6
    after.stop()
