"""The JV-Link interface the worker uses, and its COM implementation.

Tests use a fake with the same methods (tests/fake_jvlink.py). Only the worker thread calls
these, so COM sees one apartment-threaded caller.
"""
from typing import Protocol, Tuple


class JVLink(Protocol):
    def init(self, software_id: str) -> int: ...
    def set_service_key(self, key: str) -> int: ...
    def open(self, dataspec: str, fromtime: str, option: int) -> Tuple[int, int, int, str]: ...
    def rt_open(self, dataspec: str, key: str) -> int: ...
    def status(self) -> int: ...
    def gets(self) -> Tuple[int, bytes, str]: ...
    def file_delete(self, filename: str) -> int: ...
    def close(self) -> int: ...


class ComJVLink:
    """JV-Link through pywin32 dynamic dispatch (docs/jvdata.md §7.9: pass every by-reference
    argument, results come back as tuples; makepy wrappers fail on JVOpen)."""

    BUFFER = 110_000  # larger than any record

    def __init__(self):
        import pythoncom  # noqa: F401  (Windows only)
        import win32com.client

        pythoncom.CoInitialize()
        self._com = win32com.client.Dispatch("JVDTLab.JVLink")

    def init(self, software_id):
        return int(self._com.JVInit(software_id))

    def set_service_key(self, key):
        return int(self._com.JVSetServiceKey(key))

    def open(self, dataspec, fromtime, option):
        rc, readcount, downloadcount, last = self._com.JVOpen(dataspec, fromtime, option, 0, 0, "")
        return int(rc), int(readcount), int(downloadcount), str(last or "")

    def rt_open(self, dataspec, key):
        return int(self._com.JVRTOpen(dataspec, key))

    def status(self):
        return int(self._com.JVStatus())

    def gets(self):
        result = self._com.JVGets(bytearray(), self.BUFFER, bytearray())
        # (rc, buff, filename), or (rc, buff, size, filename) on some dispatch paths.
        rc, buff, filename = result[0], result[1], result[-1]
        return int(rc), bytes(buff or b""), str(filename or "")

    def file_delete(self, filename):
        return int(self._com.JVFiledelete(filename))

    def close(self):
        return int(self._com.JVClose())
