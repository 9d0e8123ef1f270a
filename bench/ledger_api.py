"""Single writes and pages through the HTTP API of a real server on loopback.

The server is `python -m acuerdo --home H serve` (uvicorn) in its own process, as operators run
it; the client is httpx in this process, so client and server do not share an event loop or
a GIL. Each write is one record per request, acknowledged only after its commit.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from ledger_setup import indicator


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def served(home: Path) -> AsyncIterator[str]:
    """Serve the node in `home` with uvicorn on a loopback port; yield its base URL."""
    port = _free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "acuerdo", "--home", str(home), "serve", "--port", str(port),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        await _wait_healthy(proc, base)
        yield base
    finally:
        if proc.returncode is None:
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 20)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def _wait_healthy(proc: asyncio.subprocess.Process, base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(300):
            if proc.returncode is not None:
                err = await proc.stderr.read() if proc.stderr else b""
                raise RuntimeError(f"server exited: {err.decode()[-2000:]}")
            try:
                if (await client.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("server did not become healthy in 15 s")


@dataclass
class ApiWrites:
    """Latencies (s) of single-record writes and the wall time they took."""

    clients: int
    latencies: list[float]
    wall: float

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall


async def single_writes(base: str, token: str, count: int, clients: int, start: int) -> ApiWrites:
    """`count` POSTs of one record each, from `clients` concurrent connections."""
    bodies = [indicator(start + i) for i in range(count)]
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as client:

        async def worker(lane: int) -> None:
            for body in bodies[lane::clients]:
                t0 = time.perf_counter()
                r = await client.post("/api/v1/records", json=body)
                latencies.append(time.perf_counter() - t0)
                if r.status_code != 201:
                    raise RuntimeError(f"write refused: {r.status_code} {r.text[:300]}")

        await client.get("/health")  # open a connection before timing
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(lane) for lane in range(clients)))
        wall = time.perf_counter() - t0
    return ApiWrites(clients, latencies, wall)


async def api_pages(base: str, token: str, rounds: int) -> list[float]:
    """Latencies (s) of GET /api/v1/records?limit=100 (the first page) for one user."""
    headers = {"Authorization": f"Bearer {token}"}
    out: list[float] = []
    async with httpx.AsyncClient(base_url=base, headers=headers) as client:
        for i in range(rounds + 5):
            t0 = time.perf_counter()
            r = await client.get("/api/v1/records", params={"limit": 100})
            if i >= 5:  # warm-up requests are not counted
                out.append(time.perf_counter() - t0)
            if r.status_code != 200:
                raise RuntimeError(f"page refused: {r.status_code} {r.text[:300]}")
    return out
