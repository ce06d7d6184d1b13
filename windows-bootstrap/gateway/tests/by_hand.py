"""Assembles the hand-written JV-Data fixtures in fixtures/by-hand/.

Each fixture names every field by its 1-based start byte and length, copied by hand from the
layout tables (docs/jvdata.md §1–§3), so the records do not come from the project's own record
builder: a builder and a parser that shared a misreading would agree with each other. This file
knows no layout; it only places bytes:

    RA 1272                      a record: its type and its length (CR LF included)
      12 16 2027122606050702     start, length, value (Shift_JIS), then an optional # comment

The record line places the type at bytes 1–2. Bytes no line names are spaces, the last two are CR LF. A digit value must fill its field; text
is padded with spaces. Fields may not overlap or reach into the CR LF.
"""
import pathlib

DIR = pathlib.Path(__file__).parent / "fixtures" / "by-hand"


class FixtureError(ValueError):
    pass


def assemble(text: str, source: str = "fixture") -> list:
    records, current = [], None

    def finish():
        if current is not None:
            buf, _ = current
            records.append(bytes(buf))

    for n, line in enumerate(text.splitlines(), start=1):
        body = line.split("#", 1)[0].rstrip()
        if not body.strip():
            continue
        where = f"{source}:{n}"
        if not line[0].isspace():
            finish()
            kind, length = body.split()
            buf = bytearray(b" " * int(length))
            buf[-2:] = b"\r\n"
            buf[0:2] = kind.encode("ascii")  # レコード種別ID, bytes 1–2
            current = (buf, {1, 2})
            continue
        if current is None:
            raise FixtureError(f"{where}: a field before any record")
        buf, used = current
        start, length, value = body.split(None, 2)
        start, length = int(start), int(length)
        raw = value.encode("cp932")
        span = set(range(start, start + length))
        if start < 1 or start + length - 1 > len(buf) - 2:
            raise FixtureError(f"{where}: bytes {start}..{start + length - 1} are outside the record")
        if span & used:
            raise FixtureError(f"{where}: bytes {start}..{start + length - 1} overlap another field")
        if len(raw) > length or (value.isdigit() and len(raw) != length):
            raise FixtureError(f"{where}: {value!r} is {len(raw)} bytes for a {length}-byte field")
        buf[start - 1:start - 1 + len(raw)] = raw
        used |= span
    finish()
    return records


def load(path: pathlib.Path) -> list:
    return assemble(path.read_text(encoding="utf-8"), path.name)


def files() -> list:
    """(file name, records) in name order: the order JV-Link delivers them in."""
    return [(p.name, load(p)) for p in sorted(DIR.glob("*.txt"))]
