"""The gateway's store on records written by hand from the layouts (fixtures/by-hand/): stage-1
nomination lists, a draw, a scratch, delete records, and the figures the consultation shows."""
import base64
import sqlite3

from fastapi.testclient import TestClient

import by_hand
from baken_gateway.app import create_app
from baken_gateway.store import Store
from test_gateway import run, worker_with
from fake_jvlink import FakeJVLink

R1, R2, R3 = "2027122606050701", "2027122606050702", "2027122606050703"
HORSE_A = "2022100001"


def synced(tmp_path):
    fake = FakeJVLink(files=[records for _, records in by_hand.files()])
    w = worker_with(fake, tmp_path)
    run(w, w.sync)
    return w, TestClient(create_app(w))


def horse_ids(ses):
    return [base64.b64decode(s)[30:40].decode() for s in ses]


def test_a_nomination_list_keeps_every_horse_before_the_draw(tmp_path):
    w, client = synced(tmp_path)
    race = client.get(f"/races/{R1}").json()
    assert horse_ids(race["se"]) == ["2022100005", "2022100006", "2022100007"]
    w.stop()


def test_the_draw_replaces_the_nominations_and_drops_the_horse_not_drawn(tmp_path):
    w, client = synced(tmp_path)
    race = client.get(f"/races/{R2}").json()
    # A, B and C by horse number; D (nominated, not drawn) and the stage-1 rows are gone.
    assert horse_ids(race["se"]) == ["2022100001", "2022100002", "2022100003"]
    assert [base64.b64decode(s)[2:3] for s in race["se"]] == [b"2", b"2", b"2"]
    w.stop()


def test_a_delete_record_removes_the_race(tmp_path):
    w, client = synced(tmp_path)
    listed = [r["race_id"] for r in client.get("/races", params={"date": "2027-12-26"}).json()["races"]]
    assert R3 not in listed and R1 in listed and R2 in listed
    assert client.get(f"/races/{R3}").status_code == 404
    w.stop()


def test_last_finishes_are_runs_with_a_position_before_the_race_newest_first(tmp_path):
    w, client = synced(tmp_path)
    ses = client.get(f"/horses/{HORSE_A}/records", params={"limit": 5, "before": R2}).json()["se"]
    finishes = [base64.b64decode(s)[334:336].decode() for s in ses]
    assert finishes == ["01", "01", "03", "02", "05"], "the scratch and today's entry are not runs"
    assert client.get(f"/horses/{HORSE_A}/records", params={"before": "20271226"}).status_code == 400
    w.stop()


def test_a_jockeys_rides_are_the_runs_with_a_finishing_position(tmp_path):
    w, client = synced(tmp_path)
    assert client.get("/jockeys/01001/summary").json() == {"jockey_code": "01001", "rides": 0, "wins": 0, "top3": 0}
    assert client.get("/jockeys/01002/summary").json() == {"jockey_code": "01002", "rides": 3, "wins": 2, "top3": 3}
    assert client.get("/jockeys/01003/summary").json()["rides"] == 3
    w.stop()


def test_a_version_1_store_is_reindexed_without_losing_records(tmp_path):
    path = tmp_path / "v1.sqlite"
    nominations = by_hand.files()[0][1]
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE records (record_type TEXT NOT NULL, race_id TEXT NOT NULL, race_date TEXT NOT NULL,
            horse_number INTEGER NOT NULL DEFAULT 0, horse_id TEXT, jockey_code TEXT, finish INTEGER,
            raw BLOB NOT NULL, PRIMARY KEY (record_type, race_id, horse_number));
        CREATE INDEX records_by_date ON records (race_date, record_type);
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('last_file_timestamp', '20271223000000');
    """)
    ra = nominations[0]
    se = nominations[1]
    old.execute("INSERT INTO records VALUES ('RA', ?, ?, 0, NULL, NULL, NULL, ?)", (R1, R1[:8], ra))
    old.execute("INSERT INTO records VALUES ('SE', ?, ?, 0, '2022100005', NULL, 0, ?)", (R1, R1[:8], se))
    old.commit()
    old.close()
    store = Store(str(path))
    assert store.counts() == {"RA": 1, "SE": 1}
    assert store.get_meta("last_file_timestamp") == "20271223000000"
    assert store.jockey_summary("01005")["rides"] == 0
    # Re-opened: already version 2, nothing to do.
    store.put(nominations[2])
    assert Store(str(path)).counts() == {"RA": 1, "SE": 2}


def test_the_assembler_refuses_what_the_layout_would_not_allow():
    import pytest

    with pytest.raises(by_hand.FixtureError, match="overlap"):
        by_hand.assemble("SE 555\n  29 2 01\n  30 2 02\n")
    with pytest.raises(by_hand.FixtureError, match="2-byte field"):
        by_hand.assemble("SE 555\n  29 2 1\n")
    with pytest.raises(by_hand.FixtureError, match="outside"):
        by_hand.assemble("SE 555\n  554 2 00\n")
