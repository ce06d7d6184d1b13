"""The Windows service wrapper, with pywin32 stood in for (it exists only on Windows): the service
runs the same gateway as `python -m baken_gateway`, and a stop from the service manager ends it
and closes JV-Link."""
import importlib
import sys
import threading
import time
import types


class FakeServer:
    def __init__(self):
        self.should_exit = False
        self.started = threading.Event()

    def run(self):
        self.started.set()
        while not self.should_exit:
            time.sleep(0.01)


def load_service(monkeypatch, gateway):
    util = types.ModuleType("win32serviceutil")

    class ServiceFramework:
        def __init__(self, args):
            self.args = args

    util.ServiceFramework = ServiceFramework
    util.HandleCommandLine = lambda cls: None
    manager = types.ModuleType("servicemanager")
    manager.LogInfoMsg = lambda msg: None
    monkeypatch.setitem(sys.modules, "win32serviceutil", util)
    monkeypatch.setitem(sys.modules, "servicemanager", manager)
    monkeypatch.delitem(sys.modules, "baken_gateway.service", raising=False)
    main = importlib.import_module("baken_gateway.__main__")
    monkeypatch.setattr(main, "build_gateway", lambda: gateway)
    service = importlib.import_module("baken_gateway.service")
    monkeypatch.setattr(service, "build_gateway", lambda: gateway)
    return service


def test_the_service_runs_the_gateway_and_stops_when_asked(monkeypatch, tmp_path):
    from baken_gateway.__main__ import Gateway
    from baken_gateway.store import Store
    from baken_gateway.worker import Worker
    from fake_jvlink import FakeJVLink

    server = FakeServer()
    fake = FakeJVLink()
    worker = Worker(lambda: fake, Store(str(tmp_path / "jv.sqlite")), "BakenKaigi/test")
    worker.start()
    service = load_service(monkeypatch, Gateway(server, worker))
    assert service.GatewayService._svc_name_ == "BakenGateway"
    svc = service.GatewayService(["BakenGateway"])
    runner = threading.Thread(target=svc.SvcDoRun, daemon=True)
    runner.start()
    assert server.started.wait(5), "the service started the server"
    svc.SvcStop()
    runner.join(5)
    assert not runner.is_alive(), "a stop from the service manager ends the server"
    assert fake.calls[-1] == ("close",), "JV-Link is closed when the service stops"
