#!/usr/bin/python3
"""The Python side of anyio's performance table.

Measures Python's AnyIO (Debian's python3-anyio, AnyIO 3.x) on three event
loops, asyncio, uvloop and trio, doing the same work per operation as the Go
benchmarks of the module root (bench_test.go, bench_sync_test.go,
memstream_bench_test.go, bench_net_test.go, bench_tls_test.go):

    spawn          start 100 trivial tasks in a task group and join them
    scope          enter and leave a cancel scope with an empty body
    timeout        enter and leave move_on_after(3600) with an empty body
    memstream      one item through a memory object stream with a buffer of
                   1024, one sending and one receiving task (time per item)
    lock           acquire and release a free Lock
    lock-contended 100 tasks take one Lock in turn (time per acquisition)
    event          a ping-pong round between two tasks, a new Event each way
    tcp-echo       64 bytes to a loopback TCP echo task and back
    tls-bulk       64 KiB writes over TLS on loopback TCP, one way (MB/s)

Each workload runs in a fresh anyio.run per measurement. The iteration count
is calibrated so that one measurement takes about -time seconds; the figure
printed is the median of -rounds measurements. The TLS workload makes a
throwaway P-256 certificate with the openssl command line, as the Go side's
anyiotest.NewCA does with crypto/ecdsa.

Usage (needs python3-anyio, python3-trio, python3-uvloop and openssl):

    /usr/bin/python3 bench/python/anyio_bench.py              # a table
    /usr/bin/python3 bench/python/anyio_bench.py --json       # for go run ./bench -python
    /usr/bin/python3 bench/python/anyio_bench.py --smoke      # one tiny round of each, for CI
    /usr/bin/python3 bench/python/anyio_bench.py --only 'spawn|tcp' --loops trio

go run ./bench -python runs this script next to the Go benchmarks and prints
the README's performance table from both.
"""

import argparse
import json
import os
import platform
import re
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import anyio
from anyio.abc import SocketAttribute
from anyio.streams.tls import TLSAttribute, TLSStream

SPAWN_TASKS = 100  # tasks per op of spawn, as spawnTasks in bench_test.go
CONTENDERS = 100  # tasks of lock-contended, as contenders in bench_sync_test.go
MEM_BUFFER = 1024  # buffer of memstream, as BenchmarkMemoryStreamBuffered
ECHO_SIZE = 64  # bytes per round trip of tcp-echo, as BenchmarkTCPEcho
CHUNK = 64 << 10  # bytes per write and receive buffer of tls-bulk, as BenchmarkTLSBulk

# AnyIO 3.6's trio backend subclasses trio.MultiError, which Trio 0.22
# deprecates: a warning at import that says nothing about the measurements.
warnings.filterwarnings("ignore", message="trio.MultiError is deprecated")

LOOPS = {
    "asyncio": dict(backend="asyncio"),
    "uvloop": dict(backend="asyncio", backend_options={"use_uvloop": True}),
    "trio": dict(backend="trio"),
}


async def nop():
    pass


# Each workload is an async function of n, the number of operations, that
# returns the seconds the n operations took (setup is not timed).


async def spawn(n, env):
    t0 = time.perf_counter()
    for _ in range(n):
        async with anyio.create_task_group() as tg:
            for _ in range(SPAWN_TASKS):
                tg.start_soon(nop)
    return time.perf_counter() - t0


async def scope(n, env):
    # As the Go side, inside a task group: the scope has a cancellable parent.
    async with anyio.create_task_group():
        t0 = time.perf_counter()
        for _ in range(n):
            with anyio.CancelScope():
                pass
        return time.perf_counter() - t0


async def timeout(n, env):
    async with anyio.create_task_group():
        t0 = time.perf_counter()
        for _ in range(n):
            with anyio.move_on_after(3600):
                pass
        return time.perf_counter() - t0


async def memstream(n, env):
    async def sender(s):
        async with s:
            for i in range(n):
                await s.send(i)

    async def receiver(r):
        async with r:
            async for _ in r:
                pass

    send, recv = anyio.create_memory_object_stream(MEM_BUFFER)
    t0 = time.perf_counter()
    async with anyio.create_task_group() as tg:
        tg.start_soon(sender, send)
        tg.start_soon(receiver, recv)
    return time.perf_counter() - t0


async def lock(n, env):
    lk = anyio.Lock()
    t0 = time.perf_counter()
    for _ in range(n):
        await lk.acquire()
        lk.release()
    return time.perf_counter() - t0


async def lock_contended(n, env):
    lk = anyio.Lock()
    count = 0
    runs = max(1, n // CONTENDERS)

    async def contender():
        nonlocal count
        for _ in range(runs):
            await lk.acquire()
            count += 1
            lk.release()

    t0 = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for _ in range(CONTENDERS):
            tg.start_soon(contender)
    # Per acquisition, whatever rounding did to n.
    return (time.perf_counter() - t0) * n / (runs * CONTENDERS)


class _Node:
    __slots__ = ("ev", "next")

    def __init__(self):
        self.ev = anyio.Event()
        self.next = None


async def event(n, env):
    first, done = _Node(), anyio.Event()

    async def partner():
        cur = first
        while True:
            await cur.ev.wait()
            nxt = cur.next
            if nxt is None:
                done.set()
                return
            m = _Node()
            nxt.next = m
            nxt.ev.set()
            cur = m

    async with anyio.create_task_group() as tg:
        tg.start_soon(partner)
        cur = first
        t0 = time.perf_counter()
        for _ in range(n):
            nxt = _Node()
            cur.next = nxt
            cur.ev.set()
            await nxt.ev.wait()
            cur = nxt.next
        elapsed = time.perf_counter() - t0
        cur.ev.set()  # no next: the partner stops
        await done.wait()
    return elapsed


async def tcp_pair():
    """A connected pair of AnyIO TCP streams on loopback."""
    multi = await anyio.create_tcp_listener(local_host="127.0.0.1")
    listener = multi.listeners[0]
    port = listener.extra(SocketAttribute.local_port)
    accepted = []

    async def accept():
        accepted.append(await listener.accept())

    async with anyio.create_task_group() as tg:
        tg.start_soon(accept)
        client = await anyio.connect_tcp("127.0.0.1", port)
    await multi.aclose()
    return client, accepted[0]


async def tcp_echo(n, env):
    client, server = await tcp_pair()

    async def echo():
        async with server:
            try:
                while True:
                    await server.send(await server.receive(ECHO_SIZE))
            except anyio.EndOfStream:
                pass

    msg = bytes(ECHO_SIZE)
    async with anyio.create_task_group() as tg:
        tg.start_soon(echo)
        async with client:
            t0 = time.perf_counter()
            for _ in range(n):
                await client.send(msg)
                got = 0
                while got < ECHO_SIZE:
                    got += len(await client.receive(ECHO_SIZE - got))
            elapsed = time.perf_counter() - t0
            await client.send_eof()
    return elapsed


async def tls_bulk(n, env):
    ct, st = await tcp_pair()
    streams = {}

    async def wrap_server():
        streams["s"] = await TLSStream.wrap(st, server_side=True, ssl_context=env["server_ctx"])

    async with anyio.create_task_group() as tg:
        tg.start_soon(wrap_server)
        streams["c"] = await TLSStream.wrap(ct, hostname="localhost", ssl_context=env["client_ctx"])
    client, server = streams["c"], streams["s"]
    env["cipher"] = client.extra(TLSAttribute.cipher)[0]
    total, end = n * CHUNK, []

    async def drain():
        got = 0
        async with server:
            try:
                while True:
                    got += len(await server.receive(CHUNK))
                    if got >= total and not end:
                        end.append(time.perf_counter())
            except (anyio.EndOfStream, anyio.BrokenResourceError):
                pass

    msg = bytes(CHUNK)
    async with anyio.create_task_group() as tg:
        tg.start_soon(drain)
        t0 = time.perf_counter()
        for _ in range(n):
            await client.send(msg)
        await client.aclose()
    return end[0] - t0


# name: (function, unit, Go benchmark it mirrors)
WORKLOADS = {
    "spawn": (spawn, "ns/op", "BenchmarkSpawn"),
    "scope": (scope, "ns/op", "BenchmarkScope"),
    "timeout": (timeout, "ns/op", "BenchmarkTimeout"),
    "memstream": (memstream, "ns/op", "BenchmarkMemoryStreamBuffered"),
    "lock": (lock, "ns/op", "BenchmarkLockUncontended"),
    "lock-contended": (lock_contended, "ns/acquire", "BenchmarkLockContended"),
    "event": (event, "ns/op", "BenchmarkEventPingPong"),
    "tcp-echo": (tcp_echo, "ns/op", "BenchmarkTCPEcho"),
    "tls-bulk": (tls_bulk, "MB/s", "BenchmarkTLSBulk"),
}


def make_tls(tmp):
    """Server and client SSL contexts for a throwaway localhost certificate."""
    if shutil.which("openssl") is None:
        raise SystemExit("anyio_bench: tls-bulk needs the openssl command (apt-get install openssl)")
    key, cert = os.path.join(tmp, "key.pem"), os.path.join(tmp, "cert.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost"],
        check=True, capture_output=True)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=cert)
    return server, client


def measure(fn, n, loop, env):
    return anyio.run(fn, n, env, **LOOPS[loop])


def per_op(unit, seconds, n):
    if unit == "MB/s":
        return n * CHUNK / seconds / 1e6
    return seconds * 1e9 / n


def bench(name, loop, env, target, rounds, smoke):
    fn, unit, _ = WORKLOADS[name]
    if smoke:
        n = 2 * CONTENDERS if name == "lock-contended" else 2
        return per_op(unit, measure(fn, n, loop, env), n)
    # Calibrate: grow n until one measurement takes a tenth of the target,
    # then scale it to the target.
    n = CONTENDERS if name == "lock-contended" else 1
    while True:
        s = measure(fn, n, loop, env)
        if s >= target / 10:
            break
        n *= 10 if s < target / 100 else 2
    n = max(1, int(n * target / s))
    values = [per_op(unit, measure(fn, n, loop, env), n) for _ in range(rounds)]
    return statistics.median(values)


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        load = "%.1f %.1f %.1f" % os.getloadavg()
    except OSError:
        load = "?"
    import trio
    import uvloop
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "load": load,
        "date": time.strftime("%Y-%m-%d"),
        "python": platform.python_version(),
        "anyio": _anyio_version(),
        "trio": trio.__version__,
        "uvloop": uvloop.__version__,
    }


def _anyio_version():
    try:
        from importlib.metadata import version
        return version("anyio")
    except Exception:
        return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--smoke", action="store_true", help="one tiny round of each workload: checks that they run")
    ap.add_argument("--rounds", type=int, default=5, help="measurements per workload and loop (median)")
    ap.add_argument("--time", type=float, default=0.5, help="seconds per measurement")
    ap.add_argument("--only", default=".", help="run the workloads whose name matches this regexp")
    ap.add_argument("--loops", default="asyncio,uvloop,trio", help="comma-separated event loops")
    args = ap.parse_args()
    loops = [l for l in args.loops.split(",") if l]
    for l in loops:
        if l not in LOOPS:
            ap.error("unknown loop %r (want asyncio, uvloop or trio)" % l)
    names = [w for w in WORKLOADS if re.search(args.only, w)]
    if not names:
        ap.error("no workload matches --only %r" % args.only)

    results = {}
    with tempfile.TemporaryDirectory(prefix="anyio-bench-") as tmp:
        env = {}
        if "tls-bulk" in names:
            env["server_ctx"], env["client_ctx"] = make_tls(tmp)
        for name in names:
            results[name] = {"unit": WORKLOADS[name][1], "go": WORKLOADS[name][2]}
            for loop in loops:
                v = bench(name, loop, env, args.time, args.rounds, args.smoke)
                results[name][loop] = v
                print("%-15s %-8s %12.1f %s" % (name, loop, v, WORKLOADS[name][1]), file=sys.stderr)
    meta = machine()
    meta["tls_cipher"] = env.get("cipher", "")
    if args.json:
        json.dump({"machine": meta, "results": results}, sys.stdout, indent=1)
        print()
        return
    print("AnyIO %s on Python %s; %s, %s CPUs, load %s; %s" % (
        meta["anyio"], meta["python"], meta["cpu"], meta["cpus"], meta["load"], meta["date"]))
    print("%-15s %-11s" % ("workload", "unit") + "".join("%12s" % l for l in loops))
    for name in names:
        r = results[name]
        print("%-15s %-11s" % (name, r["unit"]) + "".join("%12.1f" % r[l] for l in loops))


if __name__ == "__main__":
    main()
