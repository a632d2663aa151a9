"""A small round-robin TCP proxy on loopback, in front of several `fieldapp server run` processes.

Each client connection goes to the next upstream in turn and stays there (HTTP keep-alive
included), as a layer-4 load balancer does; no sticky sessions are needed by the server, so
any spread is correct. Only loopback addresses are accepted, for listening and upstream.

    python tests/perf/load/proxy.py --listen 127.0.0.1:9000 --upstream 127.0.0.1:9001 \
        --upstream 127.0.0.1:9002 --upstream 127.0.0.1:9003

It prints `proxy listening on HOST:PORT` once it accepts connections, and on SIGTERM or
SIGINT prints how many connections went to each upstream and stops.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import itertools
import signal
import sys

CHUNK = 64 * 1024


def loopback(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    if not ipaddress.ip_address(host).is_loopback:
        raise SystemExit(f"{address}: only loopback addresses are allowed")
    return host, int(port)


class Proxy:
    def __init__(self, upstreams: list[tuple[str, int]]):
        self.upstreams = upstreams
        self.turn = itertools.cycle(range(len(upstreams)))
        self.connections = [0] * len(upstreams)
        self.failures = 0

    async def handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        index = next(self.turn)
        host, port = self.upstreams[index]
        try:
            up_reader, up_writer = await asyncio.open_connection(host, port)
        except OSError:
            self.failures += 1
            client_writer.close()
            return
        self.connections[index] += 1
        try:
            await asyncio.gather(self.pipe(client_reader, up_writer), self.pipe(up_reader, client_writer))
        finally:
            up_writer.close()
            client_writer.close()

    @staticmethod
    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(CHUNK):
                writer.write(data)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()  # half-close: the other direction may still be talking
        except (OSError, RuntimeError):
            writer.close()  # a reset: closing this side ends the other direction's read too


async def serve(listen: tuple[str, int], upstreams: list[tuple[str, int]]) -> Proxy:
    proxy = Proxy(upstreams)
    server = await asyncio.start_server(proxy.handle, listen[0], listen[1], backlog=1024)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"proxy listening on {listen[0]}:{server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await stop.wait()
    return proxy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, metavar="HOST:PORT")
    parser.add_argument("--upstream", action="append", required=True, metavar="HOST:PORT")
    args = parser.parse_args(argv)
    proxy = asyncio.run(serve(loopback(args.listen), [loopback(u) for u in args.upstream]))
    spread = ", ".join(f"{h}:{p} {n}" for (h, p), n in zip(proxy.upstreams, proxy.connections))
    print(f"proxy connections: {spread}; upstream failures {proxy.failures}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
