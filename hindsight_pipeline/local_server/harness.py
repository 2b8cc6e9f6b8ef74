"""Run the local Hindsight server from Python: in a background thread, or as a subprocess."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import uvicorn

from hindsight_pipeline.local_server.app import ADMIN_PREFIX, API_PREFIX, create_app
from hindsight_pipeline.local_server.config import ServerConfig
from hindsight_pipeline.local_server.faults import FaultConfig
from hindsight_pipeline.local_server.state import HindsightState

URL_LINE_PREFIX = "HINDSIGHT_LOCAL_SERVER_URL="


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A bound TCP socket (port 0: a free port chosen by the OS, with no race)."""
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only when the
    # listening socket says TCP, and without it Nagle + delayed ACK add ~40 ms per response.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def uvicorn_config(
    app: Any, *, loop: str = "asyncio", http: str = "auto", log_level: str = "warning"
) -> uvicorn.Config:
    """uvicorn settings for speed (httptools when installed, no access log) and default
    keep-alive (5 s idle; the client expires its pooled connections after 4 s)."""
    return uvicorn.Config(
        app,
        loop=loop,
        http=http,
        lifespan="off",
        log_level=log_level,
        access_log=False,
        timeout_keep_alive=5,
        backlog=2048,
    )


def _wait_until_serving(admin_url: str, deadline: float, alive: Callable[[], bool]) -> None:
    last_error = "not started"
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError("the local Hindsight server exited during startup")
        try:
            if httpx.get(f"{admin_url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError as exc:
            last_error = type(exc).__name__
        time.sleep(0.02)
    raise TimeoutError(f"the local Hindsight server did not start in time ({last_error})")


class LocalHindsightServer:
    """The local Hindsight server on a free loopback port, in a background thread.

    ``with LocalHindsightServer(ServerConfig(limit=20, window_seconds=2)) as server:`` then
    point a client at ``server.base_url`` with ``server.api_key``. Inspection and control
    (``requests()``, ``interviews()``, ``set_faults()``, ``spend_budget()``, ``reset()``) act
    on the server's state directly; the same is available over HTTP at ``admin_url``.
    """

    def __init__(
        self,
        config: ServerConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        loop: str = "asyncio",
        http: str = "auto",
        startup_timeout: float = 10.0,
    ) -> None:
        self.config = config if config is not None else ServerConfig()
        self.state = HindsightState(self.config)
        self._host = host
        self._port = port
        self._startup_timeout = startup_timeout
        self._app = create_app(self.config, self.state)
        self._server = uvicorn.Server(uvicorn_config(self._app, loop=loop, http=http))
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port: int | None = None

    def __repr__(self) -> str:
        return (
            f"LocalHindsightServer(url={self.url if self.port else None!r}, config={self.config!r})"
        )

    # ---- lifecycle -----------------------------------------------------------------------

    def start(self) -> LocalHindsightServer:
        if self._thread is not None:
            raise RuntimeError("already started")
        self._socket = bind_socket(self._host, self._port)
        self.port = self._socket.getsockname()[1]
        sock = self._socket
        self._thread = threading.Thread(
            target=lambda: self._server.run(sockets=[sock]),
            name="local-hindsight-server",
            daemon=True,
        )
        self._thread.start()
        try:
            _wait_until_serving(
                self.admin_url, time.monotonic() + self._startup_timeout, self._thread.is_alive
            )
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop serving and release the port. Idempotent."""
        if self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self) -> LocalHindsightServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ---- addresses -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        if self.port is None:
            raise RuntimeError("the server is not started")
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API base URL for the client: ``http://127.0.0.1:PORT/api/v1``."""
        return self.url + API_PREFIX

    @property
    def admin_url(self) -> str:
        return self.url + ADMIN_PREFIX

    @property
    def api_key(self) -> str:
        return self.config.api_key

    # ---- inspection and control ----------------------------------------------------------

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        """Every request received (API requests with ``path`` under /api/v1), oldest first."""
        return self.state.requests(since)

    def api_requests(
        self, method: str | None = None, path: str | None = None
    ) -> list[dict[str, Any]]:
        """The requests received, filtered by method and path (exact)."""
        return [
            r
            for r in self.state.requests()
            if (method is None or r["method"] == method) and (path is None or r["path"] == path)
        ]

    def interviews(self) -> list[dict[str, Any]]:
        return self.state.interviews()

    def contacts(self) -> list[dict[str, Any]]:
        return self.state.contacts()

    def set_faults(
        self, faults: FaultConfig | dict[str, Any] | None = None, **settings: Any
    ) -> None:
        """Replace the faults: a FaultConfig, a dict, or keyword settings
        (``set_faults(by_email={"a@x.com": "504"})``); nothing given clears them."""
        if isinstance(faults, FaultConfig):
            config = faults
        else:
            config = FaultConfig.from_dict({**(faults or {}), **settings})
        self.state.set_faults(config)

    def spend_budget(self, remaining: int = 0) -> None:
        """Spend the current window's budget as another tool would, leaving ``remaining``."""
        self.state.spend_budget(remaining)

    def complete_interview(self, interview_request_id: int) -> dict[str, Any]:
        return self.state.complete_interview(interview_request_id)

    def reset(self) -> None:
        """Forget contacts, interviews, windows and the log; restore the start faults."""
        self.state.reset()

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Poll ``predicate`` until true or ``timeout``; returns its last value."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)


def start_server_process(
    config_args: Sequence[str] = (),
    *,
    host: str = "127.0.0.1",
    startup_timeout: float = 15.0,
    env: dict[str, str] | None = None,
) -> tuple[subprocess.Popen[str], str]:
    """Start ``python -m hindsight_pipeline.local_server`` on a free port in a subprocess.

    ``config_args`` are CLI flags (``["--limit", "300", "--latency-ms", "50"]``). Returns the
    process and its API base URL once it serves. The caller stops it
    (``process.terminate(); process.wait()``).
    """
    command = [
        sys.executable,
        "-m",
        "hindsight_pipeline.local_server",
        "--host",
        host,
        "--port",
        "0",
        *config_args,
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=None,
        text=True,
        env={**os.environ, **(env or {})},
    )
    deadline = time.monotonic() + startup_timeout
    assert process.stdout is not None
    base_url: str | None = None
    try:
        # The server prints its URL on the first stdout line, once bound; nothing else.
        while base_url is None and time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the local Hindsight server exited with {process.returncode}")
            ready, _, _ = select.select([process.stdout], [], [], 0.1)
            if ready:
                line = process.stdout.readline()
                if line.startswith(URL_LINE_PREFIX):
                    base_url = line[len(URL_LINE_PREFIX) :].strip()
        if base_url is None:
            raise TimeoutError("the local Hindsight server did not report its URL in time")
        admin_url = base_url.removesuffix(API_PREFIX) + ADMIN_PREFIX
        _wait_until_serving(admin_url, deadline, lambda: process.poll() is None)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return process, base_url
