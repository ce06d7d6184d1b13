"""Raw JV-Data records in SQLite, indexed by race key, horse id and jockey code.

Only the index fields are read from the records (byte positions of docs/jvdata.md); everything else
stays raw for the Rust parser. A record replaces the earlier one of the same key, so later stages
(出馬表 → 速報 → 成績) and re-reads after an interrupted sync never duplicate anything.
"""
import sqlite3
import threading
from typing import Iterable, Optional

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    record_type TEXT NOT NULL,
    race_id TEXT NOT NULL,
    race_date TEXT NOT NULL,
    horse_number INTEGER NOT NULL DEFAULT 0,
    horse_id TEXT,
    jockey_code TEXT,
    finish INTEGER,
    raw BLOB NOT NULL,
    PRIMARY KEY (record_type, race_id, horse_number)
);
CREATE INDEX IF NOT EXISTS records_by_date ON records (race_date, record_type);
CREATE INDEX IF NOT EXISTS records_by_horse ON records (horse_id, race_id);
CREATE INDEX IF NOT EXISTS records_by_jockey ON records (jockey_code);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

KEPT = {b"RA", b"SE", b"O1", b"HR"}


def _digits(raw: bytes, start: int, length: int) -> Optional[int]:
    """1-based byte field as a number; None when blank or not digits."""
    field = raw[start - 1:start - 1 + length]
    return int(field) if field.isdigit() else None


def _ascii(raw: bytes, start: int, length: int) -> Optional[str]:
    field = raw[start - 1:start - 1 + length].strip()
    return field.decode("ascii") if field and field.isascii() else None


class Store:
    def __init__(self, path: str):
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            self._db.executescript(SCHEMA)

    def put(self, raw: bytes) -> bool:
        """Stores one record; False for types the gateway does not keep or malformed ones."""
        kind = raw[:2]
        race_id = _ascii(raw, 12, 16)
        if kind not in KEPT or race_id is None or len(race_id) != 16 or not race_id.isdigit():
            return False
        row = {
            "record_type": kind.decode(),
            "race_id": race_id,
            "race_date": race_id[:8],
            "horse_number": 0,
            "horse_id": None,
            "jockey_code": None,
            "finish": None,
            "raw": raw,
        }
        if kind == b"SE":
            row["horse_number"] = _digits(raw, 29, 2) or 0
            row["horse_id"] = _ascii(raw, 31, 10)
            row["jockey_code"] = _ascii(raw, 297, 5)
            row["finish"] = _digits(raw, 335, 2)
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO records VALUES "
                "(:record_type, :race_id, :race_date, :horse_number, :horse_id, :jockey_code, :finish, :raw)",
                row,
            )
        return True

    def _all(self, sql: str, args: Iterable = ()) -> list:
        with self._lock:
            return self._db.execute(sql, tuple(args)).fetchall()

    def races_on(self, yyyymmdd: str) -> list:
        return self._all(
            "SELECT race_id, raw FROM records WHERE race_date = ? AND record_type = 'RA' ORDER BY race_id",
            (yyyymmdd,),
        )

    def race(self, race_id: str) -> dict:
        rows = self._all(
            "SELECT record_type, raw FROM records WHERE race_id = ? ORDER BY record_type, horse_number", (race_id,)
        )
        out: dict = {"RA": None, "SE": [], "O1": None, "HR": None}
        for kind, raw in rows:
            if kind == "SE":
                out["SE"].append(raw)
            else:
                out[kind] = raw
        return out

    def horse_records(self, horse_id: str, limit: int) -> list:
        return [r[0] for r in self._all(
            "SELECT raw FROM records WHERE horse_id = ? AND record_type = 'SE' ORDER BY race_id DESC LIMIT ?",
            (horse_id, limit),
        )]

    def jockey_summary(self, code: str) -> dict:
        (rides, wins, top3), = self._all(
            "SELECT COUNT(*), COALESCE(SUM(finish = 1), 0), COALESCE(SUM(finish BETWEEN 1 AND 3), 0) "
            "FROM records WHERE jockey_code = ? AND record_type = 'SE' AND finish IS NOT NULL",
            (code,),
        )
        return {"rides": rides, "wins": wins, "top3": top3}

    def counts(self) -> dict:
        return {kind: n for kind, n in self._all("SELECT record_type, COUNT(*) FROM records GROUP BY record_type")}

    def get_meta(self, key: str) -> Optional[str]:
        rows = self._all("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
