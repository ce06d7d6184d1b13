"""HTTP for the Lambda handlers. JSON only; raw records base64-encoded. Never waits on JV-Link
longer than a short deadline: while a sync runs, stored data answers."""
import base64
import concurrent.futures
import datetime
import re

from fastapi import FastAPI, HTTPException, Query

from . import health as reports
from .worker import Worker

RACE_ID = re.compile(r"^\d{16}$")
HORSE_ID = re.compile(r"^\d{10}$")
JOCKEY_CODE = re.compile(r"^\d{5}$")
# How long a request may wait for the JV-Link thread before answering from storage.
REALTIME_DEADLINE = 5.0


def b64(raw):
    return base64.b64encode(raw).decode("ascii") if raw is not None else None


def create_app(worker: Worker) -> FastAPI:
    app = FastAPI(title="Baken Kaigi JV-Link gateway")
    store = worker.store

    @app.get("/health")
    def health():
        return reports.report(worker, reports.jvlink_installed())

    @app.get("/races")
    def races(date: str = Query(..., description="YYYY-MM-DD")):
        try:
            day = datetime.date.fromisoformat(date)
        except ValueError:
            raise HTTPException(400, "date must be YYYY-MM-DD")
        rows = store.races_on(day.strftime("%Y%m%d"))
        return {"date": date, "races": [{"race_id": race_id, "ra": b64(raw)} for race_id, raw in rows]}

    @app.get("/races/{race_id}")
    def race(race_id: str):
        if not RACE_ID.match(race_id):
            raise HTTPException(400, "race_id must be the 16-digit JV-Data race key")
        found = store.race(race_id)
        if found["RA"] is None:
            raise HTTPException(404, "race not found")
        odds, source = found["O1"], "stored" if found["O1"] else None
        if worker.state == "ready" and not worker.syncing:
            try:
                live = worker.submit(lambda: worker.realtime_odds(race_id)).result(timeout=REALTIME_DEADLINE)
                if live is not None:
                    odds, source = live, "realtime"
            except concurrent.futures.TimeoutError:
                pass  # JV-Link busy: the stored odds answer
            except Exception:
                pass  # the worker recorded the error; /health shows it
        return {
            "race_id": race_id,
            "ra": b64(found["RA"]),
            "se": [b64(r) for r in found["SE"]],
            "o1": b64(odds),
            "odds_source": source,
            "hr": b64(found["HR"]),
        }

    @app.get("/horses/{horse_id}/records")
    def horse_records(horse_id: str, limit: int = Query(5, ge=1, le=50), before: str = Query(None)):
        """The horse's runs with a finishing position, newest first, before race `before`."""
        if not HORSE_ID.match(horse_id):
            raise HTTPException(400, "horse_id must be the 10-digit 血統登録番号")
        if before is not None and not RACE_ID.match(before):
            raise HTTPException(400, "before must be the 16-digit JV-Data race key")
        return {"horse_id": horse_id, "se": [b64(r) for r in store.horse_records(horse_id, limit, before)]}

    @app.get("/jockeys/{code}/summary")
    def jockey(code: str):
        if not JOCKEY_CODE.match(code):
            raise HTTPException(400, "jockey code must be 5 digits")
        return {"jockey_code": code, **store.jockey_summary(code)}

    return app
