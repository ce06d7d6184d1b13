"""JV-Link return codes (docs/jvdata.md §7.6, §7.7)."""

OK = 0
NO_DATA = -1  # JVOpen/JVRTOpen: nothing matches. JVGets: end of one file (a file switch).
SETUP_CANCELLED = -2
DOWNLOADING = -3  # JVGets: the file is still downloading; sleep and retry.

MESSAGES = {
    -100: "parameter invalid or registry write failed",
    -101: "software id not set (JVInit) or service key already registered",
    -102: "software id longer than 64 bytes",
    -103: "software id starts with a space",
    -111: "dataspec invalid",
    -112: "fromtime start invalid",
    -113: "fromtime end invalid",
    -114: "key invalid",
    -115: "option invalid",
    -116: "dataspec and option do not go together",
    -201: "JVInit not called",
    -202: "previous open not closed",
    -203: "JVOpen not called",
    -211: "registry contents invalid (or the save path does not exist)",
    -301: "authentication failed (wrong service key, or the key in use on another machine)",
    -302: "service key expired",
    -303: "service key not set",
    -305: "terms of use not accepted",
    -401: "JV-Link internal error",
    -402: "downloaded file is empty",
    -403: "downloaded file is corrupt",
    -411: "server answered HTTP 404",
    -412: "server answered HTTP 403",
    -413: "server answered an unexpected HTTP status",
    -421: "server response invalid",
    -431: "server application error",
    -502: "download failed",
    -503: "file not found",
    -504: "server under maintenance",
}

# Codes after which the broken file is deleted and the open repeated.
BROKEN_FILE = (-402, -403)
# Codes after which the open is simply repeated (the file vanished, the download failed).
REOPEN = (-502, -503)


def describe(rc: int) -> str:
    return f"{rc} ({MESSAGES.get(rc, 'undocumented code')})"


class JVLinkError(RuntimeError):
    """A JV-Link call answered an error code."""

    def __init__(self, call: str, rc: int):
        super().__init__(f"{call} failed: {describe(rc)}")
        self.call = call
        self.rc = rc
