"""A moto server per test without paying moto's start and the stack for each.

Starting moto (importing it) and creating the stack from infra/template.yaml
cost about 3 s of CPU per end-to-end test, the largest part of their setup.
This process does both once per stack (region, template, parameters) and
then forks a moto server per test from that state: each test still has a
server of its own, with its own copy of the stack, and nothing one test
writes is seen by another.

Usage: moto_pool.py [REGION TEMPLATE [Key=Value ...]]
Prints one JSON line: what tests/stack.py's `create` returns (`{}` without
a template), or {"error": ...}. Then reads commands on stdin, one per line:
  serve     forks a server, answers "PORT PID"
  stop PID  stops that server
At the end of stdin (the tests are done, or died) it exits, and its servers
with it.
"""

import ctypes
import json
import os
import signal
import socket
import sys
import threading
import time

import moto_server  # noqa: F401  (its DynamoDB and socket fixes, applied on import)
import stack
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

PR_SET_PDEATHSIG = 1
STACK_NAME = "bridge-e2e"


def application():
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True
    return app


def create_stack(app, region, template, overrides):
    """The stack, created through a moto server of this process that is
    gone again before the first fork (a fork keeps only the forking thread)."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    os.environ["MOTO_PORT"] = str(server.port)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        return stack.create(f"http://127.0.0.1:{server.port}", STACK_NAME, template, overrides, region)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        deadline = time.monotonic() + 10
        while threading.active_count() > 1 and time.monotonic() < deadline:
            time.sleep(0.01)


def serve(app):
    """Forks a server on a fresh loopback port; returns (port, pid)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    pid = os.fork()
    if pid == 0:
        try:
            # Gone with this process, however it ends.
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.environ["MOTO_PORT"] = str(port)
            server = make_server(
                "127.0.0.1", port, app, threaded=True,
                request_handler=MotoRequestHandler, fd=listener.fileno(),
            )
            server.serve_forever()
        finally:
            os._exit(0)
    listener.close()
    return port, pid


def main():
    # Servers are reaped by the kernel: nobody waits for them.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    app = application()
    info = {}
    if len(sys.argv) > 2:
        region, template = sys.argv[1:3]
        overrides = dict(arg.split("=", 1) for arg in sys.argv[3:])
        try:
            info = create_stack(app, region, template, overrides)
        except BaseException as e:  # the tests show it; nothing to serve
            print(json.dumps({"error": f"{type(e).__name__}: {e}"}), flush=True)
            return
    print(json.dumps(info, default=str), flush=True)
    for line in sys.stdin:
        command = line.split()
        if command == ["serve"]:
            port, pid = serve(app)
            print(port, pid, flush=True)
        elif len(command) == 2 and command[0] == "stop" and command[1].isdigit():
            try:
                os.kill(int(command[1]), signal.SIGKILL)
            except ProcessLookupError:
                pass


if __name__ == "__main__":
    main()
