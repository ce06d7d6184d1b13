"""The gateway as a Windows service (pywin32), so it starts at boot and the service manager
restarts it when it fails: `python -m baken_gateway.service --startup auto install`.

The service runs the same gateway as `python -m baken_gateway`; stopping it asks uvicorn to exit,
then JV-Link is closed (JVClose) before the process ends.
Its environment (region, port, service-key parameter) is set on the service by the installer.
"""
import sys

import servicemanager  # type: ignore[import-not-found]  # pywin32, Windows only
import win32serviceutil  # type: ignore[import-not-found]

from .__main__ import build_gateway


class GatewayService(win32serviceutil.ServiceFramework):
    _svc_name_ = "BakenGateway"
    _svc_display_name_ = "baken JV-Link gateway"
    _svc_description_ = "Serves JRA-VAN data from JV-Link to the Baken Kaigi Lambdas on port 8000."

    def __init__(self, args):
        super().__init__(args)
        self.gateway = None

    def SvcStop(self):
        if self.gateway is not None:
            self.gateway.stop()

    def SvcDoRun(self):
        servicemanager.LogInfoMsg("baken gateway starting")
        self.gateway = build_gateway()
        self.gateway.run()


if __name__ == "__main__":
    if len(sys.argv) == 1:
        servicemanager.Initialize()
        servicemanager.PrepareToHostSingle(GatewayService)
        servicemanager.StartServiceCtrlDispatcher()
    else:
        win32serviceutil.HandleCommandLine(GatewayService)
