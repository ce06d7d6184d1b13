"""A fake JV-Link that replays the fixture corpus with JV-Link's semantics (docs/jvdata.md §7): files
newer than `fromtime`, `-3` while a file "downloads", `-1` at each file's end, `0` at the end,
`-202` on an open without a close, and error codes injected at chosen reads."""
import pathlib

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
LENGTHS = {b"RA": 1272, b"SE": 555, b"O1": 962, b"HR": 719}


def split_records(data: bytes) -> list:
    out, i = [], 0
    while i < len(data):
        n = LENGTHS[data[i:i + 2]]
        out.append(data[i:i + n])
        i += n
    return out


class FakeJVLink:
    def __init__(self, downloading_polls: int = 2, fail_at: dict = None, init_rc: int = 0, files: list = None,
                 rt_downloading_polls: int = 0):
        # One file per fixture (or per list of records given), each with its own ascending timestamp.
        if files is None:
            files = [split_records(p.read_bytes()) for p in sorted(FIXTURES.glob("*.jvd"))]
        self.files = [
            (f"RAVM{20261227000000 + k:014d}.jvd", f"{20261227000000 + k:014d}", records)
            for k, records in enumerate(files, start=1)
        ]
        self.downloading_polls = downloading_polls
        self.fail_at = dict(fail_at or {})  # read number → return code
        self.init_rc = init_rc
        self.rt_downloading_polls = rt_downloading_polls
        self.calls = []
        self.opened = False
        self.reads = 0
        self.deleted = []

    def init(self, software_id):
        self.calls.append(("init", software_id))
        return -101 if not software_id else self.init_rc

    def set_service_key(self, key):
        self.calls.append(("set_service_key", "***"))
        return 0

    def open(self, dataspec, fromtime, option):
        self.calls.append(("open", dataspec, fromtime, option))
        if self.opened:
            return -202, 0, 0, ""
        if dataspec != "RACE" or option not in (1, 2, 3, 4):
            return -111, 0, 0, ""
        pending = [f for f in self.files if f[1] > fromtime]
        if not pending:
            return -1, 0, 0, ""
        self.opened = True
        self.queue = [(name, list(records), self.downloading_polls) for name, _, records in pending]
        return 0, len(pending), len(pending), pending[-1][1]

    def rt_open(self, dataspec, key):
        self.calls.append(("rt_open", dataspec, key))
        if self.opened:
            return -202
        if dataspec != "0B31" or len(key) != 16:
            return -114
        records = [r for _, _, rs in self.files for r in rs if r[:2] == b"O1" and r[11:27] == key.encode()]
        if not records:
            return -1
        self.opened = True
        self.queue = [("RT0B31", records, self.rt_downloading_polls)]
        return 0

    def status(self):
        return 0

    def gets(self):
        if not self.opened:
            return -203, b"", ""
        self.reads += 1
        if self.reads in self.fail_at:
            name = self.queue[0][0] if self.queue else ""
            return self.fail_at.pop(self.reads), b"", name
        if not self.queue:
            return 0, b"", ""
        name, records, polls = self.queue[0]
        if polls > 0:
            self.queue[0] = (name, records, polls - 1)
            return -3, b"", name
        if not records:
            self.queue.pop(0)
            return -1, b"", name
        record = records.pop(0)
        return len(record), record, name

    def file_delete(self, filename):
        self.deleted.append(filename)
        return 0

    def close(self):
        self.calls.append(("close",))
        self.opened = False
        return 0
