"""Serves the real gateway on 127.0.0.1 with a fake JV-Link that has synced the fixture corpus.
Used by the end-to-end tests of the jravan race provider: `python serve_fake.py PORT [by-hand]`
(`by-hand`: the hand-written records of fixtures/by-hand/ instead of the generated corpus)."""
import pathlib
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import uvicorn  # noqa: E402

from baken_gateway.app import create_app  # noqa: E402
from baken_gateway.store import Store  # noqa: E402
from baken_gateway.worker import Worker  # noqa: E402
from fake_jvlink import FakeJVLink  # noqa: E402
import by_hand  # noqa: E402


def main():
    port = int(sys.argv[1])
    db = pathlib.Path(tempfile.mkdtemp()) / "jv.sqlite"
    files = [records for _, records in by_hand.files()] if sys.argv[2:] == ["by-hand"] else None
    worker = Worker(lambda: FakeJVLink(files=files), Store(str(db)), "BakenKaigi/e2e", download_poll=0.001)
    worker.start()
    worker.submit(worker.sync).result(timeout=60)
    print("ready", flush=True)
    uvicorn.run(create_app(worker), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
