"""Raw JV-Data records in SQLite, indexed by race key, horse id and jockey code.

Only the index fields are read from the records (byte positions of docs/jvdata.md); everything else
stays raw for the Rust parser. A record replaces the earlier one of the same key, so later stages
(出走馬名表 → 出馬表 → 速報 → 成績) and re-reads after an interrupted sync never duplicate anything.

Keys follow the records' own keys: RA, O1 and HR by race; SE by race and 血統登録番号 (the horse
number is blank until the draw, so it cannot be a key). A record whose データ区分 is `0` deletes
the stored record of its key.
"""
import sqlite3
import threading
from typing import Iterable, Optional

SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    record_type TEXT NOT NULL,
    race_id TEXT NOT NULL,
    race_date TEXT NOT NULL,
    horse_key TEXT NOT NULL DEFAULT '',
    horse_number INTEGER,
    horse_id TEXT,
    jockey_code TEXT,
    finish INTEGER,
    raw BLOB NOT NULL,
    PRIMARY KEY (record_type, race_id, horse_key)
);
CREATE INDEX IF NOT EXISTS records_by_date ON records (race_date, record_type);
CREATE INDEX IF NOT EXISTS records_by_horse ON records (horse_id, race_id);
CREATE INDEX IF NOT EXISTS records_by_jockey ON records (jockey_code);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

KEPT = {b"RA", b"SE", b"O1", b"HR"}
DELETE = ord("0")  # データ区分 0: delete this record


def _digits(raw: bytes, start: int, length: int) -> Optional[int]:
    """1-based byte field as a number; None when blank or not digits."""
    field = raw[start - 1:start - 1 + length]
    return int(field) if field.isdigit() else None


def _ascii(raw: bytes, start: int, length: int) -> Optional[str]:
    field = raw[start - 1:start - 1 + length].strip()
    return field.decode("ascii") if field and field.isascii() else None


def index_fields(raw: bytes) -> Optional[dict]:
    """The row of one record, or None for types the gateway does not keep and malformed keys."""
    kind = raw[:2]
    race_id = _ascii(raw, 12, 16)
    if kind not in KEPT or race_id is None or len(race_id) != 16 or not race_id.isdigit():
        return None
    row = {
        "record_type": kind.decode(),
        "race_id": race_id,
        "race_date": race_id[:8],
        "horse_key": "",
        "horse_number": None,
        "horse_id": None,
        "jockey_code": None,
        "finish": None,
        "raw": raw,
    }
    if kind == b"SE":
        horse_id = _ascii(raw, 31, 10)
        if horse_id is None:
            return None
        row["horse_key"] = horse_id
        row["horse_id"] = horse_id
        # 馬番 and 確定着順 are `00` (or blank) before the draw, before the result and for a
        # horse that did not finish: not a number and not a finishing position.
        row["horse_number"] = _digits(raw, 29, 2) or None
        row["jockey_code"] = _ascii(raw, 297, 5)
        row["finish"] = _digits(raw, 335, 2) or None
    return row


class Store:
    def __init__(self, path: str):
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            self._migrate()

    def _migrate(self) -> None:
        """Creates the schema; version 1 keyed SE by horse number, so its rows are re-indexed from
        their raw bytes. One transaction (SQLite's DDL is transactional): a crash changes nothing."""
        self._db.isolation_level = None
        self._db.execute("BEGIN")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        old = self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'records'").fetchone()
        if old and version < SCHEMA_VERSION:
            self._db.execute("ALTER TABLE records RENAME TO records_v1")
            for index in ("records_by_date", "records_by_horse", "records_by_jockey"):
                self._db.execute(f"DROP INDEX IF EXISTS {index}")
        for statement in SCHEMA.split(";"):
            if statement.strip():
                self._db.execute(statement)
        if old and version < SCHEMA_VERSION:
            for (raw,) in self._db.execute("SELECT raw FROM records_v1 ORDER BY rowid").fetchall():
                self._put(bytes(raw))
            self._db.execute("DROP TABLE records_v1")
        self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._db.execute("COMMIT")
        self._db.isolation_level = ""

    def _put(self, raw: bytes) -> bool:
        row = index_fields(raw)
        if row is None:
            return False
        if raw[2] == DELETE:
            self._db.execute(
                "DELETE FROM records WHERE record_type = ? AND race_id = ? AND horse_key = ?",
                (row["record_type"], row["race_id"], row["horse_key"]),
            )
            return True
        self._db.execute(
            "INSERT OR REPLACE INTO records VALUES (:record_type, :race_id, :race_date, :horse_key, "
            ":horse_number, :horse_id, :jockey_code, :finish, :raw)",
            row,
        )
        return True

    def put(self, raw: bytes) -> bool:
        """Stores one record and commits; False for types the gateway does not keep or malformed ones."""
        return self.put_batch([raw]) == 1

    def put_batch(self, records: Iterable[bytes]) -> int:
        """Stores records in one transaction (one commit, not one per record); how many were kept."""
        with self._lock, self._db:
            return sum(self._put(raw) for raw in records)

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
            "SELECT record_type, horse_number, raw FROM records WHERE race_id = ? "
            "ORDER BY record_type, horse_number, horse_key",
            (race_id,),
        )
        out: dict = {"RA": None, "SE": [], "O1": None, "HR": None}
        for kind, _, raw in rows:
            if kind != "SE":
                out[kind] = raw
        # Once the draw is made, a horse still without a number was nominated but not drawn into
        # the field; before the draw every runner is such a row.
        ses = [(number, raw) for kind, number, raw in rows if kind == "SE"]
        drawn = [raw for number, raw in ses if number is not None]
        out["SE"] = drawn if drawn else [raw for _, raw in ses]
        return out

    def horse_records(self, horse_id: str, limit: int, before: Optional[str] = None) -> list:
        """The horse's runs with a finishing position, newest first; only before race `before`."""
        return [r[0] for r in self._all(
            "SELECT raw FROM records WHERE horse_id = ? AND record_type = 'SE' AND finish IS NOT NULL "
            "AND race_id < ? ORDER BY race_id DESC LIMIT ?",
            (horse_id, before or "9" * 16, limit),
        )]

    def jockey_summary(self, code: str) -> dict:
        """Rides are the jockey's runs with a finishing position (not entries, not scratches)."""
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
