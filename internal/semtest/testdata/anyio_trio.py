"""Run semtest programs on Python AnyIO on Trio, in virtual time.

Reads a JSON list of programs (see prog.go) from the file named by the first
argument, runs each in a fresh trio.run with MockClock(autojump_threshold=0),
and writes a JSON list of traces (one object per program: ID -> entry, in the
format of semtest.Trace) to standard output. With --seed N, Trio's
scheduling randomness is seeded with N, so that two runs with different seeds
show which programs depend on the order of tasks woken at the same instant.

It needs AnyIO (4.x) and Trio importable (PYTHONPATH); see README.md.
"""

import json
import math
import sys

import anyio
import trio
from anyio import (
    TASK_STATUS_IGNORED,
    CancelScope,
    create_memory_object_stream,
    create_task_group,
    fail_after,
    get_cancelled_exc_class,
    move_on_after,
)
from anyio.lowlevel import checkpoint
from trio.testing import MockClock

GUARD = 100

# --past-deadline-cancels: a deadline set in the past cancels the scope at
# once, as in anyio, rather than at the next checkpoint, as in Trio. Used to
# confirm that a difference comes from that rule alone.
PAST_DEADLINE_CANCELS = False


class NamedError(Exception):
    def __init__(self, name):
        super().__init__(name)
        self.name = name


def outcome(e):
    if e is None:
        return "ok"
    if isinstance(e, BaseExceptionGroup):
        return "[" + ",".join(sorted(outcome(x) for x in e.exceptions)) + "]"
    if isinstance(e, NamedError):
        return e.name
    if isinstance(e, TimeoutError):
        return "timeout"
    if isinstance(e, get_cancelled_exc_class()):
        return "cancelled"
    if isinstance(e, RuntimeError) and "started" in str(e):
        return "never_started"
    return "unexpected %s: %s" % (type(e).__name__, e)


def fmt(t):
    s = "%.3f" % t
    return s.rstrip("0").rstrip(".")


class Machine:
    def __init__(self, prog):
        self.prog = prog
        self.trace = {}
        self.scopes = {}
        self.groups = {}
        self.events = {}
        self.locks = {}
        self.streams = {}
        self.active = set()  # the IDs of the scopes and groups entered and not left

    def prepare(self, body):
        for s in body:
            op, obj = s["op"], s.get("obj")
            if op in ("set", "wait") and obj not in self.events:
                self.events[obj] = anyio.Event()
            elif op == "locked" and obj not in self.locks:
                self.locks[obj] = anyio.Lock()
            elif op in ("send", "recv") and obj not in self.streams:
                self.streams[obj] = create_memory_object_stream(0)
            self.prepare(s.get("body", []))
            self.prepare(s.get("finally", []))

    def now(self):
        return fmt(anyio.current_time() - self.t0)

    def step(self, id, e, value=None):
        out = outcome(e)
        if e is None and value is not None:
            out = "ok %d" % value
        self.trace[id] = "%s @%s" % (out, self.now())

    def rec_scope(self, id, e, cs):
        self.trace[id] = "%s @%s caught=%s called=%s" % (
            outcome(e),
            self.now(),
            str(cs.cancelled_caught).lower(),
            str(cs.cancel_called).lower(),
        )

    async def main(self):
        self.t0 = anyio.current_time()
        self.prepare(self.prog["body"])
        err = None
        guard = move_on_after(GUARD)
        try:
            with guard:
                await self.block(self.prog["body"], None)
        except BaseException as e:
            err = e
        self.trace["main"] = "%s @%s caught=%s" % (
            outcome(err),
            self.now(),
            str(guard.cancelled_caught).lower(),
        )

    async def block(self, body, st):
        for s in body:
            await self.stmt(s, st)

    async def steps(self, id, coro):
        try:
            v = await coro
        except BaseException as e:
            self.step(id, e)
            raise
        self.step(id, None)
        return v

    async def task(self, id, body, task_status=TASK_STATUS_IGNORED):
        st = task_status if task_status is not TASK_STATUS_IGNORED else None
        await self.steps(id, self.block(body, st))

    async def stmt(self, s, st):
        op = s["op"]
        if op == "sleep":
            await self.steps(s["id"], anyio.sleep(s["d"]))
        elif op == "checkpoint":
            await self.steps(s["id"], checkpoint())
        elif op == "sleep_forever":
            await self.steps(s["id"], anyio.sleep_forever())
        elif op == "raise":
            raise NamedError(s["err"])
        elif op == "scope":
            kind, d, shield = s["kind"], s.get("d"), s.get("shield", False)
            if kind == "plain":
                deadline = math.inf if d is None else anyio.current_time() + d
                cm = CancelScope(deadline=deadline, shield=shield)
            elif kind == "move_on":
                cm = move_on_after(d, shield=shield)
            else:
                cm = fail_after(d, shield=shield)
            cs = None
            try:
                with cm as cs:
                    self.scopes[s["id"]] = cs
                    self.active.add(s["id"])
                    try:
                        await self.block(s.get("body", []), st)
                    finally:
                        self.active.discard(s["id"])
            except BaseException as e:
                self.rec_scope(s["id"], e, cs)
                raise
            self.rec_scope(s["id"], None, cs)
        elif op == "cancel":
            self.scopes[s["target"]].cancel()
        elif op == "shield":
            self.scopes[s["target"]].shield = s.get("on", False)
        elif op == "deadline":
            cs = self.scopes[s["target"]]
            cs.deadline = anyio.current_time() + s["d"]
            if PAST_DEADLINE_CANCELS and s["d"] <= 0 and s["target"] in self.active:
                cs.cancel()
        elif op == "group":
            tg = None
            try:
                try:
                    async with create_task_group() as tg:
                        self.groups[s["id"]] = tg
                        self.scopes[s["id"]] = tg.cancel_scope
                        self.active.add(s["id"])
                        await self.block(s.get("body", []), st)
                finally:
                    self.active.discard(s["id"])
            except BaseException as e:
                self.rec_scope(s["id"], e, tg.cancel_scope)
                raise
            self.rec_scope(s["id"], None, tg.cancel_scope)
        elif op == "start_soon":
            self.groups[s["group"]].start_soon(self.task, s["id"], s.get("body", []))
        elif op == "start":
            id = s["id"]
            try:
                v = await self.groups[s["group"]].start(self.task, id, s.get("body", []))
            except BaseException as e:
                self.step(id + ".start", e)
                raise
            self.step(id + ".start", None, v if v is not None else 0)
        elif op == "started":
            st.started(s.get("v", 0))
        elif op == "try":
            try:
                await self.block(s.get("body", []), st)
            finally:
                await self.block(s.get("finally", []), st)
        elif op == "set":
            self.events[s["obj"]].set()
        elif op == "wait":
            await self.steps(s["id"], self.events[s["obj"]].wait())
        elif op == "locked":
            lock = self.locks[s["obj"]]
            await self.steps(s["id"], lock.acquire())
            try:
                await self.block(s.get("body", []), st)
            finally:
                lock.release()
        elif op == "send":
            await self.steps(s["id"], self.streams[s["obj"]][0].send(s.get("v", 0)))
        elif op == "recv":
            id = s["id"]
            try:
                v = await self.streams[s["obj"]][1].receive()
            except BaseException as e:
                self.step(id, e)
                raise
            self.step(id, None, v)
        else:
            raise ValueError("unknown statement " + op)


def run(prog):
    m = Machine(prog)
    trio.run(m.main, clock=MockClock(autojump_threshold=0))
    return m.trace


def main():
    global PAST_DEADLINE_CANCELS
    args = sys.argv[1:]
    if args and args[0] == "--past-deadline-cancels":
        PAST_DEADLINE_CANCELS = True
        args = args[1:]
    if args and args[0] == "--seed":
        trio._core._run._r.seed(int(args[1]))
        args = args[2:]
    with open(args[0]) as f:
        progs = json.load(f)
    out = []
    for p in progs:
        try:
            out.append(run(p))
        except BaseException as e:  # a harness failure: report it as the trace
            out.append({"main": "harness %s: %s" % (type(e).__name__, e)})
    json.dump(out, sys.stdout, indent=None)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
