"""Records per second of a setup sync into the gateway's SQLite store, committing once per record
(the gateway before batching) and in batches (now), over the fixture corpus scaled up.

    python bench_sync.py [COPIES]     (scripts/bench-gateway.sh runs it)
"""
import pathlib
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from baken_gateway.store import Store  # noqa: E402
from baken_gateway.worker import Worker  # noqa: E402
from fake_jvlink import FIXTURES, FakeJVLink, split_records  # noqa: E402


def corpus(copies: int) -> list:
    """One JV-Link file per copy of the corpus, each copy with its own 回 and 日目 (bytes 22–25 of
    the race key), so every record is a new row, as in years of setup data."""
    records = [r for p in sorted(FIXTURES.glob("*.jvd")) for r in split_records(p.read_bytes())]
    files = []
    for k in range(copies):
        key = f"{k // 100:02d}{k % 100:02d}".encode()
        files.append([r[:21] + key + r[25:] for r in records])
    return files


def measure(files: list, batch_size: int) -> tuple:
    with tempfile.TemporaryDirectory() as d:
        fake = FakeJVLink(files=files, downloading_polls=0)
        w = Worker(lambda: fake, Store(str(pathlib.Path(d) / "jv.sqlite")), "BakenKaigi/bench",
                   download_poll=0.0, batch_size=batch_size)
        w.start()
        start = time.perf_counter()
        result = w.submit(w.sync).result(timeout=3600)
        seconds = time.perf_counter() - start
        w.stop()
        return result["stored"], seconds


def main() -> None:
    copies = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    files = corpus(copies)
    total = sum(len(f) for f in files)
    print(f"setup sync of {total} records ({copies} copies of the fixture corpus), SQLite on {tempfile.gettempdir()}")
    baseline = None
    for name, batch in (("one commit per record (before)", 1), ("batched, 2000 per commit (now)", 2000)):
        stored, seconds = measure(files, batch)
        assert stored == total, (stored, total)
        rate = stored / seconds
        baseline = baseline or rate
        print(f"  {name:<34} {seconds:7.2f} s  {rate:9.0f} records/s  ×{rate / baseline:.1f}")


if __name__ == "__main__":
    main()
