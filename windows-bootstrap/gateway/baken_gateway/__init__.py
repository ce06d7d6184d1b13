"""The JV-Link gateway: a thin HTTP bridge to JRA-VAN's JV-Link COM component on Windows.

One worker thread owns JV-Link (``worker.py``); raw records are kept in SQLite (``store.py``);
FastAPI serves them (``app.py``). JV-Data is parsed in Rust by the Lambda handlers, not here:
the gateway reads only the few index fields it needs.
"""
