"""The judge: test cells run in the grading process, never in the student's kernel.

A graded notebook runs in two processes:

- the **student kernel** (sandboxed) runs every cell that is not a test cell: the
  instructor's setup cells, the answers and any cell the student added;
- the **judge** (this module, inside the trusted nbgrader process) runs the test cells,
  hidden tests included, with its own NumPy, Keras and ``nncourse.checks``. It never
  executes a line the student wrote.

When a test cell uses a name, the judge looks it up in this order:

1. names the judge bound itself: the test cells so far, and the statements of the
   instructor's setup cells that need nothing from the student (imports, helper
   functions, data), re-run here from the gradebook's copy of those cells;
2. Python's builtins (the student cannot redefine ``len`` or ``isinstance`` for a test);
3. everything else is asked of the student kernel, over a boundary that carries data
   only (``nncourse.grading.agent``): numbers, text, containers and NumPy arrays arrive
   as values, every other object as a handle whose calls send data and return data.

So a patched module, a rewritten helper or an object with lying comparison operators
in the kernel cannot change a comparison made here: comparisons with student objects
are never delegated to them. Callbacks that a test hands to student code (a lambda, a
random generator, a reference function through ``swapped``) stay in the judge as
handles and expire when the test cell ends. Nothing of a hidden test is sent to the
kernel except the arguments of the calls it makes.

The verdict nbgrader reads (the test cell's error output) is the judge's; what the
kernel prints during a call is shown in the cell (stderr as ordinary text) and decides
nothing.
"""

from __future__ import annotations

import ast
import builtins
import collections
import contextlib
import copy
import functools
import hashlib
import inspect
import itertools
import io
import keyword
import os
import sys
import threading
import time
import types
from pathlib import Path

from jupyter_client.blocking.client import BlockingKernelClient
from nbformat.v4 import new_output

from nncourse.grading import agent as wire

AGENT_SOURCE = Path(wire.__file__).read_text()
BOOTSTRAP = (
    "def _nncourse_boot(source):\n"
    "    import types\n"
    "    module = types.ModuleType('_nncourse_wire')\n"
    "    exec(compile(source, '<nncourse agent>', 'exec'), module.__dict__)\n"
    "    module.install(get_ipython())\n"
    "_nncourse_boot({source!r})\n"
    "del _nncourse_boot\n"
)
JUDGE_KEY = "__nncourse_judge__"
# References that tests compute without student code (nncourse.checks.cached), kept for the process:
# a worker grades many students against the same tests, so a Keras reference trajectory is computed
# twice (the second notebook's judge must agree with the first) instead of once per student. Keyed
# by the test cell's code, the setup code run before it and the test's own key.
REFERENCES: collections.OrderedDict = collections.OrderedDict()
MAX_REFERENCES = 512


class KernelGone(RuntimeError):
    """The student kernel died or stopped answering."""


class StudentException(Exception):
    """An exception raised by student code, re-raised in the judge as data (its type name and message)."""


_exception_classes: dict[str, type] = {}


def student_exception(name: str, message: str, traceback: str = "") -> StudentException:
    """An exception that says what the student's code raised; a subclass of the builtin of that name, if any."""
    name = name if name.isidentifier() and not keyword.iskeyword(name) else "Exception"
    cls = _exception_classes.get(name)
    if cls is None:
        base = getattr(builtins, name, None)
        bases = (StudentException,)
        # Not StopIteration and kin: raised into the judge they would silently end a test's loop.
        if isinstance(base, type) and issubclass(base, Exception) and base is not Exception and \
                not issubclass(base, (StopIteration, StopAsyncIteration)):
            bases = (StudentException, base)
        cls = type(name, bases, {"__module__": "student"})
        _exception_classes[name] = cls
    exc = cls(message)
    exc.student_traceback = traceback
    return exc


# ---------------------------------------------------------------- handles on student objects

MAX_CALLBACK_BYTES = 256 * 1024 * 1024


class _Expired(BaseException):
    """The test's time ran out while the judge was serving a callback of student code."""


class _Watchdog:
    """One thread that sends SIGALRM to the main thread while an armed deadline has passed.

    The signal goes to the main thread itself (``pthread_kill``), not to the process: a process-wide
    SIGALRM may land on one of zmq's or TensorFlow's threads, and then a blocking call of the main
    thread (a ``time.sleep`` a callback makes) is never woken up. It rings again every ``REPEAT``
    seconds until the limit is disarmed, because one signal can be lost (code of the tests that
    catches ``BaseException`` swallows it; CI once saw a 2 s limit let a 30 s sleep run out). One
    long-lived thread, not a timer per callback: student code may call back thousands of times."""

    REPEAT = 1.0

    def __init__(self):
        self._cond = threading.Condition()
        self._deadlines: list[list] = []  # [when, next ring]; a stack: callbacks can nest
        self._thread = None

    def arm(self, seconds: float, late: float = 0.0) -> list:
        """Ring once ``seconds`` have passed (``late`` seconds after, when a kernel timer rings first)."""
        when = time.monotonic() + seconds
        entry = [when, when + late]
        with self._cond:
            self._deadlines.append(entry)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="nncourse-judge-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()
        return entry

    def disarm(self, entry: list) -> None:
        with self._cond:
            self._deadlines = [e for e in self._deadlines if e is not entry]
            self._cond.notify()

    def expired(self) -> bool:
        """Whether some armed limit has run out (an inner limit also ends when an outer one does)."""
        now = time.monotonic()
        with self._cond:
            return any(entry[0] <= now for entry in self._deadlines)

    def _run(self):
        import signal

        main = threading.main_thread().ident
        with self._cond:
            while True:
                if not self._deadlines:
                    self._cond.wait()
                    continue
                first = min(self._deadlines, key=lambda entry: entry[1])
                left = first[1] - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                first[1] = time.monotonic() + self.REPEAT
                signal.pthread_kill(main, signal.SIGALRM)


_WATCHDOG = _Watchdog()


class _MainThreadTimer:
    """A POSIX timer of the kernel that sends SIGALRM to the main thread itself, then again every ``repeat`` s.

    The Linux kernel delivers it (``timer_create`` with ``SIGEV_THREAD_ID``), so it needs no Python thread to wake
    up in time: CI twice saw a 2 s limit let a 30 s callback sleep on, with the watchdog thread armed. The
    watchdog still rings too; where this timer cannot be made (not Linux, no ``timer_create``), it alone does."""

    CLOCK_MONOTONIC, SIGEV_THREAD_ID = 1, 4

    def __init__(self, seconds: float, repeat: float):
        import ctypes
        import signal

        self._id = None
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            create, settime, self._delete = libc.timer_create, libc.timer_settime, libc.timer_delete
        except (OSError, AttributeError):
            return

        class SigEvent(ctypes.Structure):  # struct sigevent on Linux: 64 bytes, the thread id first in its union
            _fields_ = [("value", ctypes.c_void_p), ("signo", ctypes.c_int), ("notify", ctypes.c_int),
                        ("tid", ctypes.c_int), ("pad", ctypes.c_int * 11)]

        class TimeSpec(ctypes.Structure):
            _fields_ = [("sec", ctypes.c_long), ("nsec", ctypes.c_long)]

        class ITimerSpec(ctypes.Structure):
            _fields_ = [("interval", TimeSpec), ("value", TimeSpec)]

        def spec(t: float) -> TimeSpec:
            return TimeSpec(int(t), int((t - int(t)) * 1e9))

        event = SigEvent(None, signal.SIGALRM, self.SIGEV_THREAD_ID, threading.main_thread().native_id)
        timer = ctypes.c_void_p()
        create.argtypes = [ctypes.c_int, ctypes.POINTER(SigEvent), ctypes.POINTER(ctypes.c_void_p)]
        if create(self.CLOCK_MONOTONIC, ctypes.byref(event), ctypes.byref(timer)) != 0:
            return
        self._delete.argtypes = [ctypes.c_void_p]
        settime.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ITimerSpec), ctypes.c_void_p]
        if settime(timer, 0, ctypes.byref(ITimerSpec(spec(repeat), spec(max(seconds, 1e-3)))), None) != 0:
            self._delete(timer)
            return
        self._id = timer

    @property
    def running(self) -> bool:
        return self._id is not None

    def cancel(self) -> None:
        if self._id is not None:
            timer, self._id = self._id, None
            self._delete(timer)


class _time_limit:
    """Interrupt the judge's main thread (where Python runs signal handlers) after ``seconds``.

    Off the main thread no signal can reach the code, so there the block runs without a limit."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.entry = None

    def __enter__(self):
        import signal

        if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_kill"):
            return self
        self.previous = signal.signal(signal.SIGALRM, self._expire)
        # A SIGALRM blocked in this thread (by a library, or a parent's mask inherited) would never arrive.
        self.mask = signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})
        self.timer = _MainThreadTimer(max(0.01, self.seconds), _Watchdog.REPEAT) if sys.platform == "linux" else None
        # With a kernel timer the watchdog is the fallback: half a second later, so the two seldom ring together.
        self.entry = _WATCHDOG.arm(max(0.01, self.seconds), 0.5 if self.timer is not None and self.timer.running else 0.0)
        return self

    def __exit__(self, *exc_info):
        import signal

        if self.entry is None:
            return False
        entry, self.entry = self.entry, None  # a signal still on its way now changes nothing
        if self.timer is not None:
            self.timer.cancel()
        _WATCHDOG.disarm(entry)
        signal.pthread_sigmask(signal.SIG_SETMASK, self.mask)
        signal.signal(signal.SIGALRM, self.previous)
        return False

    def _expire(self, signum, frame):
        if self.entry is not None and _WATCHDOG.expired():
            raise _Expired("the test's time ran out during a call of the student's code into the tests")


READABLE_DUNDERS = frozenset({"__name__", "__qualname__", "__doc__", "__module__"})


class StudentObject:
    """A student object that stays in the kernel. Calls and reads are messages; comparisons stay here."""

    __slots__ = ("_link", "_id", "_info", "__weakref__")

    def __init__(self, link, hid, info):
        object.__setattr__(self, "_link", link)
        object.__setattr__(self, "_id", hid)
        object.__setattr__(self, "_info", info)

    def _ask(self, op, **fields):
        return self._link.ask(op, self, **fields)

    @property
    def __class__(self):  # isinstance(model, keras.Model) works without the judge trusting anything
        link = self._link
        if link.sealed:
            raise RuntimeError(link.sealed)
        return link.claimed_class(self._info) or type(self)

    def __call__(self, *args, **kwargs):
        return self._link.call(self, args, kwargs)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__") and name not in READABLE_DUNDERS:
            raise AttributeError(name)  # Python's own protocol probes (__array_interface__, ...) stay local
        if name == "__name__" and isinstance(self._info.get("function"), str) and not self._link.sealed:
            return self._info["function"]  # a function's name came with its handle: no round trip
        return self._ask("getattr", name=name)

    def __setattr__(self, name, value):
        raise AttributeError("the tests cannot change attributes of student objects")

    def __getitem__(self, key):
        return self._ask("getitem", key=self._link.enc(key))

    def __len__(self):
        return _typed(self._ask("len"), int, "len()")

    def __iter__(self):
        return iter(_typed(self._ask("list"), list, "iteration"))

    def __contains__(self, item):  # decided here, by comparing data, not by the student's __contains__
        return any(x is item or (not isinstance(x, StudentObject) and x == item) for x in self)

    def __bool__(self):
        return _typed(self._ask("bool"), bool, "bool()")

    def __float__(self):
        return float(_typed(self._ask("float"), (float, int), "float()"))

    def __int__(self):
        return _typed(self._ask("int"), int, "int()")

    __index__ = __int__

    def __array__(self, dtype=None, copy=None):
        import numpy as np

        value = self._ask("array")
        if not isinstance(value, np.ndarray):
            raise TypeError("the student object does not convert to a numeric array")
        return value.astype(dtype) if dtype is not None else value

    def __eq__(self, other):
        # Between two student objects the student may decide; against the judge's values never.
        if isinstance(other, StudentObject) and type.__getattribute__(type(other), "__eq__") is StudentObject.__eq__ \
                and object.__getattribute__(other, "_link") is self._link:
            return _typed(self._ask("eq", other=["h", "k", object.__getattribute__(other, "_id"), {}]), bool, "==")
        return self is other

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return id(self)

    def __repr__(self):
        try:
            return _typed(self._ask("repr"), str, "repr()")
        except Exception:
            return f"<{self._info.get('type', 'object')} object from the student's kernel>"

    def __str__(self):
        try:
            return _typed(self._ask("str"), str, "str()")
        except Exception:
            return repr(self)


def _typed(value, kinds, what):
    if not isinstance(value, kinds) or isinstance(value, StudentObject):
        raise TypeError(f"{what} of a student object did not give a {getattr(kinds, '__name__', 'value')}")
    return value


_proxy_classes: dict[str, type] = {}


class StudentClass(type):
    """A student's class, as the judge sees it: a real type, so ``isinstance(obj, Account)`` works.

    Calling it builds the object in the kernel; ``isinstance`` asks the kernel, and only about
    the student's own objects (a value of the judge's is never an instance of a student class).
    """

    def __call__(cls, *args, **kwargs):
        return cls._nncourse_handle(*args, **kwargs)

    def __instancecheck__(cls, obj):
        if not any(base is StudentObject for base in type(obj).__mro__):
            return False
        handle = cls._nncourse_handle
        return _typed(handle._link.ask("isinstance", handle, other=["h", "k", object.__getattribute__(obj, "_id"), {}]),
                      bool, "isinstance()")

    def __subclasscheck__(cls, other):
        return other is cls

    def __getattr__(cls, name):
        if name.startswith("__") and name.endswith("__") and name not in READABLE_DUNDERS:
            raise AttributeError(name)
        return getattr(cls._nncourse_handle, name)

    def __repr__(cls):
        return f"<class {cls.__name__} from the student's kernel>"


def student_class(link, hid, info) -> type:
    name = str(info.get("name", "StudentClass"))
    name = name if name.isidentifier() else "StudentClass"
    cls = StudentClass(name, (), {"__module__": "student"})
    type.__setattr__(cls, "_nncourse_handle", StudentObject(link, hid, info))
    return cls


def proxy_class(type_name: str) -> type:
    """A StudentObject subclass named like the student's type, so messages read 'a Sequential', not 'a proxy'."""
    name = type_name if type_name.isidentifier() else "StudentObject"
    cls = _proxy_classes.get(name)
    if cls is None:
        cls = type(name, (StudentObject,), {"__slots__": (), "__module__": "student"})
        _proxy_classes[name] = cls
    return cls


# ---------------------------------------------------------------- the link to the kernel

async def handshake(kc, km, timeout: float) -> dict:
    """Wait until ``kc`` (blocking or asynchronous) is connected to a live kernel on shell and IOPub;
    return the kernel's kernel_info reply.

    jupyter_client's ``wait_for_ready`` does the same, then drains IOPub until it has been quiet
    for 0.2 s: a fixed 0.2 s per client and notebook. Here the client waits for the kernel's own
    "idle" status of its kernel_info request instead, which also proves that its IOPub
    subscription is live (so no output of the first cell can be missed).
    """
    async def maybe(value):
        return await value if inspect.isawaitable(value) else value

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg_id = kc.kernel_info()
        replied = False
        until = time.monotonic() + 1.0
        while time.monotonic() < until and not replied:
            try:
                reply = await maybe(kc.get_shell_msg(timeout=0.2))
            except Exception:  # queue.Empty
                if km is not None and not await maybe(km.is_alive()):
                    raise RuntimeError("the kernel died before replying to kernel_info")
                continue
            replied = reply.get("parent_header", {}).get("msg_id") == msg_id
        if not replied:
            continue
        until = time.monotonic() + 1.0
        while time.monotonic() < until:
            try:
                msg = await maybe(kc.get_iopub_msg(timeout=0.1))
            except Exception:
                continue
            if (msg.get("parent_header", {}).get("msg_id") == msg_id and msg.get("msg_type") == "status"
                    and msg.get("content", {}).get("execution_state") == "idle"):
                return reply
        # IOPub was not connected yet when the kernel answered (ZeroMQ's slow joiner): ask again.
    raise TimeoutError("the kernel did not become ready in time")


class KernelLink:
    """The judge's own client of the student kernel: requests, callbacks and the kernel's output.

    Messages are read from the client's channels directly (``kc.stdin_channel.get_msg``): the
    BlockingKernelClient getters run an event loop per call, which cost about as much as the
    round trip itself when a test makes hundreds of calls.
    """

    # How long a kernel that stopped answering gets before it counts as gone: trusted code's reply, and the reply
    # that ends the agent's serving loop.
    REPLY_WAIT = 60.0
    CLOSE_WAIT = 30.0

    def __init__(self, km, *, timeout: float, log, wait: bool = True):
        self.km = km
        self.log = log
        self.timeout = timeout
        self.kc = BlockingKernelClient()
        self.kc.load_connection_info(km.get_connection_info())
        self.kc.start_channels()
        if wait:
            self.ready()
        self.open_msg: str | None = None
        self.deadline = float("inf")
        self.outputs: list | None = None
        self.dead = False
        self.proxies: dict[int, StudentObject] = {}
        self.local: dict[int, object] = {}  # judge objects handed to the kernel, valid for one test cell
        self.local_ids: dict[int, int] = {}
        self.names: dict[str, object] = {}  # kernel names read since the kernel last ran code
        self.class_cache: dict[tuple, type | None] = {}
        self._reading_name = False
        self.sealed: str | None = None  # why no request may reach the kernel right now
        self.changed_arguments: list[tuple[object, object]] = []  # (argument, what it held before a student's call)
        self.keep_arguments = False
        self.trust_changes = False

    def ready(self, timeout: float = 60) -> None:
        """Wait until this client is connected to the live kernel (see ``handshake``)."""
        from jupyter_core.utils import run_sync

        run_sync(handshake)(self.kc, self.km, timeout)

    # ---- codec
    def enc(self, value):
        return wire.encode(value, self._handle_for)

    def dec(self, data):
        return wire.decode(data, self._resolve)

    def _handle_for(self, obj):
        if isinstance(obj, StudentClass):
            obj = obj._nncourse_handle
        if isinstance(obj, StudentObject):
            return ["h", "k", object.__getattribute__(obj, "_id"), {}]
        if isinstance(obj, (types.ModuleType, types.FrameType, types.CodeType)):
            raise TypeError(f"the tests cannot hand a {type(obj).__name__} to student code")
        key = id(obj)
        hid = self.local_ids.get(key)
        if hid is None:
            hid = len(self.local) + 1
            self.local[hid] = obj
            self.local_ids[key] = hid
        return ["h", "j", hid, wire.describe(obj)]

    def _resolve(self, side, hid, info):
        if side == "j":
            if self._reading_name:  # a kernel global is never one of the judge's objects (swapped names are read here)
                raise wire.WireError("a name lookup answered with an object of the tests")
            if hid not in self.local:
                raise wire.WireError("a handle from an earlier test cell is no longer valid")
            return self.local[hid]
        proxy = self.proxies.get(hid)
        if proxy is None:
            raw = info
            info = {"type": str(info.get("type", "object"))[:100],
                    "mro": [str(m)[:300] for m in info.get("mro", [])][:32] if isinstance(info.get("mro"), list) else []}
            if raw.get("is_class") is True:
                info["name"] = str(raw.get("name", "StudentClass"))[:100]
                proxy = student_class(self, hid, info)
            else:
                if isinstance(raw.get("function"), str):
                    info["function"] = raw["function"][:100]
                proxy = proxy_class(info["type"])(self, hid, info)
            self.proxies[hid] = proxy
        return proxy

    def claimed_class(self, info) -> type | None:
        """The judge's own class for the most specific type the kernel names, among modules already loaded."""
        key = tuple(info.get("mro", ()))
        if key not in self.class_cache:
            found = None
            for qualified in key:
                module_name, _, qualname = qualified.rpartition(".")
                module = sys.modules.get(module_name)
                candidate = getattr(module, qualname, None) if module is not None and "." not in qualname else None
                if isinstance(candidate, type) and candidate is not object:
                    found = candidate
                    break
            self.class_cache[key] = found
        return self.class_cache[key]

    def end_cell(self):
        """Revoke the judge objects handed out during a test cell and forget cached kernel names."""
        self.close_serve()
        self.local.clear()
        self.local_ids.clear()
        self.names.clear()

    # ---- transport
    def run_code(self, code: str, *, wait: float | None = None) -> dict:
        """Run trusted code (the agent's bootstrap, a visible test) in the kernel, silently; return the reply."""
        self.close_serve()
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        reply = self._wait_reply(msg_id, time.monotonic() + (self.REPLY_WAIT if wait is None else wait))
        self.names.clear()
        return reply

    def _wait_reply(self, msg_id: str, deadline: float) -> dict:
        while True:
            if time.monotonic() > deadline:
                raise KernelGone("the student kernel did not answer in time")
            try:
                msg = self.kc.shell_channel.get_msg(timeout=0.2)
            except Exception:  # queue.Empty
                self._check_alive()
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                self._drain_iopub(msg_id)
                return msg

    def _check_alive(self):
        if not self._alive():
            self.dead = True
            raise KernelGone("the student kernel died")

    def _alive(self) -> bool:
        from jupyter_core.utils import run_sync

        try:
            return bool(run_sync(self.km.is_alive)()) if inspect.iscoroutinefunction(self.km.is_alive) \
                else bool(self.km.is_alive())
        except Exception:
            return False

    def _drain_iopub(self, msg_id: str | None, until_idle: bool = True, wait: float = 5.0):
        """Move the kernel's output for our request into the current cell (stderr shown as ordinary text)."""
        end = time.monotonic() + wait
        while True:
            try:
                msg = self.kc.iopub_channel.get_msg(timeout=0.05 if until_idle else 0)
            except Exception:
                if not until_idle or time.monotonic() > end:
                    return
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["header"]["msg_type"], msg["content"]
            if kind == "status" and content.get("execution_state") == "idle":
                return
            if self.outputs is None:
                continue
            if kind == "stream":
                self._append_text(str(content.get("text", "")))
            elif kind == "display_data":
                self.outputs.append(new_output("display_data", data=content.get("data", {}),
                                               metadata=content.get("metadata", {})))

    def _append_text(self, text: str):
        if not text or self.outputs is None:
            return
        if self.outputs and self.outputs[-1].get("output_type") == "stream" and self.outputs[-1].get("name") == "stdout":
            self.outputs[-1]["text"] += text
        else:
            self.outputs.append(new_output("stream", name="stdout", text=text))

    def _open_serve(self):
        if self.open_msg is not None:
            return
        self._check_alive()
        self.open_msg = self.kc.execute("_nncourse_agent.serve()", silent=False, store_history=False, allow_stdin=True)
        first = self._receive()
        if first.get("kind") != "ready":
            raise KernelGone("the student kernel did not start answering the tests")

    def close_serve(self):
        if self.open_msg is None:
            return
        msg_id, self.open_msg = self.open_msg, None
        if self.dead:
            return
        try:
            self.kc.input(wire.dumps({"kind": "done"}))
            self._wait_reply(msg_id, time.monotonic() + self.CLOSE_WAIT)
        except KernelGone:
            pass

    def _receive(self) -> dict:
        """The kernel's next message while it serves us (an input_request's prompt)."""
        interrupted_at = None
        while True:
            now = time.monotonic()
            if now > self.deadline and interrupted_at is None:
                interrupted_at = now
                self._interrupt()
            if interrupted_at is not None and now > interrupted_at + 10:
                self.dead = True
                self.open_msg = None
                raise KernelGone("the student kernel did not stop after the time limit")
            try:
                msg = self.kc.stdin_channel.get_msg(timeout=0.05)
            except Exception:
                self._drain_iopub(self.open_msg, until_idle=False)
                if self.kc.shell_channel.msg_ready():
                    reply = self.kc.shell_channel.get_msg(timeout=0)
                    if reply.get("parent_header", {}).get("msg_id") == self.open_msg:
                        self.open_msg = None
                        raise KernelGone("the student kernel stopped answering the tests "
                                         "(its code replaced or broke the grading agent)")
                if int(now * 4) % 4 == 0:
                    self._check_alive()
                continue
            if msg["header"]["msg_type"] != "input_request" or \
                    msg.get("parent_header", {}).get("msg_id") != self.open_msg:
                continue
            self._drain_iopub(self.open_msg, until_idle=False)
            try:
                message = wire.loads(msg["content"].get("prompt", ""))
            except wire.WireError as exc:
                raise KernelGone(f"the student kernel sent an unreadable message ({exc})") from None
            if not isinstance(message, dict):
                raise KernelGone("the student kernel sent an unreadable message")
            if interrupted_at is not None and message.get("kind") == "return":
                raise TimeoutError(f"the student's code ran longer than the {self.timeout:g} s this test allows")
            return message

    def _interrupt(self):
        try:
            self.kc.control_channel.send(self.kc.session.msg("interrupt_request", {}))
        except Exception:
            pass

    def request(self, message: dict) -> dict:
        """Send a request and serve the kernel's callbacks until its answer arrives."""
        if self.sealed:
            raise RuntimeError(self.sealed)
        if self.dead:
            raise KernelGone("the student kernel is no longer running")
        self._open_serve()
        reading = message.get("op") == "get"
        if not reading:  # anything else may run student code: values read as data are read again
            self.names = {k: v for k, v in self.names.items() if isinstance(v, (StudentObject, StudentClass))}
        self.kc.input(wire.dumps(message))
        while True:
            reply = self._receive()
            if reply.get("kind") == "return":
                if not reading:
                    self._forget(reply.get("rebound"))
                return reply
            if reply.get("kind") == "request":
                self.names.clear()  # student code is half way through a call: trust no name read before
                self.kc.input(wire.dumps({"kind": "return", **self.serve_callback(reply)}))
                continue
            raise KernelGone("the student kernel broke the grading protocol")

    def _forget(self, rebound) -> None:
        """Drop the handles of names the kernel says were rebound (all of them, if it says nothing clear).

        A kernel that lies here only keeps the judge calling the student's own earlier object, which
        the student's code could have made do anything anyway: a handle decides nothing."""
        if isinstance(rebound, list) and all(type(n) is str for n in rebound):
            for name in rebound:
                self.names.pop(name, None)
        else:
            self.names.clear()

    # ---- requests the judge makes
    def _value(self, reply: dict):
        if "raise" in reply:
            info = reply["raise"] if isinstance(reply["raise"], dict) else {}
            raise student_exception(str(info.get("type", "Exception"))[:80], str(info.get("message", ""))[:2000],
                                    str(info.get("traceback", ""))[-4000:])
        if "value" not in reply:
            raise KernelGone("the student kernel sent an answer without a value")
        return self.dec(reply["value"])

    def ask(self, op: str, target: StudentObject, **fields):
        return self._value(self.request({"op": op, "target": ["h", "k", object.__getattribute__(target, "_id"), {}],
                                         **fields}))

    def call(self, target: StudentObject, args, kwargs):
        reply = self.request({"op": "call", "target": ["h", "k", object.__getattribute__(target, "_id"), {}],
                              "args": [self.enc(a) for a in args],
                              "kwargs": {str(k): self.enc(v) for k, v in kwargs.items()}})
        value = self._value(reply)
        self._write_back(args, kwargs, reply.get("changed", []))
        return value

    def _write_back(self, args, kwargs, changed) -> None:
        """Arguments the student's code changed in place get the new contents, as stock nbgrader would see.

        What they held before is kept (``changed_arguments``) so that the judge can give it back after the test:
        a test that reads such an array again must not be steered by it (see ``Judge.run_test``). With
        ``keep_arguments`` set, only generators are written back: arrays, lists and dicts stay as the test made them.
        """
        for original, data in wire.changed_items((args, kwargs), changed):
            if not (_is_generator(original) or self.trust_changes):  # changes_in_place: the change is the answer
                if self.keep_arguments:
                    continue
                if type(original) in (list, dict) or _is_array(original):
                    try:
                        self.changed_arguments.append((original, copy.deepcopy(original)))
                    except Exception:  # an object that cannot be copied is not written back either
                        continue
            try:
                wire.assign_contents(original, self.dec(data))
            except (wire.WireError, TypeError, ValueError):
                continue

    def give_back_arguments(self) -> None:
        """Return every argument written back since the last call to what it held before the student's call."""
        for original, saved in reversed(self.changed_arguments):
            try:
                wire.assign_contents(original, saved)
            except Exception:
                continue
        self.changed_arguments = []

    def get_name(self, name: str):
        """The student's value of a name; KeyError if the kernel has none."""
        if self.sealed:
            raise RuntimeError(self.sealed)
        if name in self.names:
            return self.names[name]
        reply = self.request({"op": "get", "name": name})
        self._reading_name = True
        try:
            found = self._value(reply)
        except wire.WireError:
            raise KeyError(name) from None
        finally:
            self._reading_name = False
        if not (isinstance(found, list) and found and found[0] in ("found", "missing")):
            raise KernelGone("the student kernel answered a name lookup with something else")
        if found[0] == "missing" or len(found) != 2:
            raise KeyError(name)
        self.names[name] = found[1]
        return found[1]

    def swap_in(self, replacements: dict) -> int:
        return self._value(self.request({"op": "swap_in", "names": {k: self.enc(v) for k, v in replacements.items()}}))

    def swap_out(self, token) -> None:
        if not self.dead:
            self._value(self.request({"op": "swap_out", "token": token}))

    # ---- callbacks from student code into the judge
    def serve_callback(self, request: dict) -> dict:
        """Run a call of student code into the judge: within the test's time limit, with a bounded result."""
        try:
            with _time_limit(self.deadline - time.monotonic()):
                result, changed = self._callback(request)
            size = getattr(result, "nbytes", 0)
            if isinstance(size, int) and size > MAX_CALLBACK_BYTES:
                raise ValueError(f"a callback of the tests returned {size} bytes, more than the "
                                 f"{MAX_CALLBACK_BYTES} allowed")
            return {"value": self.enc(result), "changed": changed}
        except KernelGone:
            raise
        except (Exception, _Expired) as exc:
            return {"raise": {"type": "TimeoutError" if isinstance(exc, _Expired) else type(exc).__name__,
                              "message": str(exc)[:500]}}

    def _callback(self, request: dict):
        target = self.dec(request.get("target"))
        if isinstance(target, StudentObject):
            raise TypeError("not an object of the tests")
        op = request.get("op")
        if op == "call":
            if not callable(target):
                raise TypeError("this object of the tests cannot be called")
            args = [self.dec(a) for a in request.get("args", [])]
            kwargs = request.get("kwargs", {})
            if not isinstance(kwargs, dict):
                raise TypeError("bad keyword arguments")
            kwargs = {str(k): self.dec(v) for k, v in kwargs.items()}
            tracked = wire.mutable_arguments(args, kwargs, self.enc)
            result = target(*args, **kwargs)
            return result, wire.changed_arguments(tracked, self.enc)
        if op == "getattr":
            name = request.get("name")
            if not isinstance(name, str) or name.startswith("_") or name in ("ctypes", "cffi"):
                raise AttributeError("student code may read only public attributes of the tests' objects")
            value = getattr(target, name)
            if isinstance(value, type):
                raise TypeError("student code cannot receive classes of the tests")
            return value, []
        if op == "getitem":
            return target[self.dec(request.get("key"))], []
        if op == "len":
            return len(target), []
        if op == "list":
            return list(target), []
        raise ValueError(f"unknown request {op!r}")


# ---------------------------------------------------------------- which names the judge may bind itself

@functools.lru_cache(maxsize=4096)
def python_of(source: str) -> str:
    """IPython syntax (magics) rewritten as plain Python, as the kernel would run it.

    Cached: a class's trusted cells are the same for every student graded by this process."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(python_of(source))
    except SyntaxError:
        return None


def bound_names(node: ast.AST) -> set[str]:
    """Module-level names a statement binds (assignment targets, imports, defs; not names local to functions)."""
    names: set[str] = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}
    stack = [node]
    while stack:
        sub = stack.pop()
        if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            if not isinstance(sub, ast.Lambda):
                names.add(sub.name)
            continue
        if isinstance(sub, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            names.add(sub.id)
        elif isinstance(sub, (ast.Import, ast.ImportFrom)):
            names |= bound_names(sub)
        elif isinstance(sub, ast.NamedExpr) and isinstance(sub.target, ast.Name):
            names.add(sub.target.id)
        stack.extend(ast.iter_child_nodes(sub))
    return names


def used_names(node: ast.AST) -> set[str]:
    """Every name a statement reads anywhere, function bodies included (an over-approximation of its needs)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def names_bound_by_cells(sources) -> set[str]:
    names: set[str] = set()
    for source in sources:
        tree = parse(source)
        if tree is not None:
            for stmt in tree.body:
                names |= bound_names(stmt)
    return names


def visible_part(source: str, begin: str = "BEGIN HIDDEN TESTS", end: str = "END HIDDEN TESTS") -> str:
    """A test cell without its hidden region: the code the student's own copy shows."""
    out, hidden = [], False
    for line in source.splitlines(keepends=True):
        if begin in line:
            hidden = True
        elif end in line:
            hidden = False
        elif not hidden:
            out.append(line)
    return "".join(out)


# ---------------------------------------------------------------- one notebook's judge

class _Names(dict):
    """The judge's builtins for test cells: Python's own, then the student kernel for every other name."""

    def __init__(self, session, hidden: set[str]):
        super().__init__({k: v for k, v in vars(builtins).items() if k not in hidden})
        self.session = session

    def __missing__(self, name):
        session = self.session
        if name in session.test_names and name not in session.kernel_only:
            # A test binds this name itself (perhaps later, or in a cell that failed first): never the student's.
            raise KeyError(name)
        return session.link.get_name(name)


class Judge:
    """The judge of one notebook: its namespace, the instructor's setup statements, and the test cells."""

    _numbers = itertools.count(1)  # tells two notebooks' judges apart (cached references must agree)

    def __init__(self, link: KernelLink, *, student_owned: set[str], workdir: str, log,
                 test_names: set[str] = frozenset()):
        self.link = link
        self.test_names = set(test_names)  # every name a test cell of the notebook binds
        self.log = log
        self.workdir = workdir
        self.student_owned = set(student_owned)
        self.globals: dict = {"__name__": "__main__", JUDGE_KEY: self}
        self.globals["__builtins__"] = _Names(self, self.student_owned)
        self.kernel_only: set[str] = set(self.student_owned)  # names the judge must ask the kernel for
        self.number = next(Judge._numbers)
        self._code_seen = hashlib.sha256()  # the setup code run so far, then the current test cell's
        self._cell_digest = ""

    # ---- setup cells: the statements that need nothing from the student
    def _resolvable(self, name: str) -> bool:
        return name not in self.kernel_only and (name in self.globals or hasattr(builtins, name))

    def run_setup(self, source: str) -> None:
        self._code_seen.update(b"setup\0" + source.encode() + b"\0")
        tree = parse(source)
        if tree is None:
            return
        for stmt in tree.body:
            binds = bound_names(stmt)
            needs = used_names(stmt) - binds if not isinstance(stmt, (ast.FunctionDef, ast.ClassDef)) \
                else used_names(stmt) - {stmt.name}
            needs -= _locals_of(stmt)
            if binds & self.kernel_only or not all(self._resolvable(n) for n in needs):
                self.kernel_only |= binds
                continue
            try:
                with self._in_workdir(), _quiet():
                    exec(compile(ast.Module(body=[stmt], type_ignores=[]), "<setup cell>", "exec"), self.globals)
            except BaseException as exc:  # the kernel ran it too: its names come from there
                self.log.debug("judge: setup statement failed here (%s); its names come from the kernel", exc)
                for name in binds:
                    self.globals.pop(name, None)
                self.kernel_only |= binds

    # ---- test cells
    def run_test(self, cell) -> None:
        """Run a test cell; a pass that needed the student's in-place changes of its arguments must pass without.

        The judge writes a student's in-place changes back into the test's arrays, lists and dicts, as stock
        nbgrader would show them (a check that an argument is left alone sees the change). A test that reads them
        again could then be steered: answers that zeroed the labels and targets they were given scored 10 of 18
        (red team, 2026-12-04). So those arguments get their contents back after every test, and a test that
        passed while any was changed runs again with nothing written back: it counts only if it passes again.
        A test of a function that is meant to change its argument says so with ``nncourse.checks.changes_in_place``.
        """
        link = self.link
        link.changed_arguments, link.keep_arguments, link.trust_changes = [], False, False
        self._run_test_once(cell)
        changed = bool(link.changed_arguments)
        link.give_back_arguments()
        if not changed or link.dead or any(o.get("output_type") == "error" for o in cell.outputs):
            return
        link.keep_arguments = True
        try:
            self._run_test_once(cell)
        finally:
            link.keep_arguments = False
            link.give_back_arguments()
        if any(o.get("output_type") == "error" for o in cell.outputs):
            cell.outputs.insert(0, new_output("stream", name="stdout", text=(
                "Your code changed, in place, arrays that this test gave it. The test passed like that, but when it "
                "ran again with its arrays left as it made them, it failed:\n")))

    def _run_test_once(self, cell) -> None:
        cell.outputs = []
        cell.execution_count = None
        self.link.outputs = cell.outputs
        self.link.deadline = time.monotonic() + self.link.timeout
        writer = _CellWriter(self.link)
        digest = self._code_seen.copy()
        digest.update(b"test\0" + cell.source.encode())
        self._cell_digest = digest.hexdigest()
        try:
            tree = ast.parse(python_of(cell.source))
            for name in bound_names(tree):
                self.kernel_only.discard(name)  # the test binds it: from now on it is the judge's
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            with self._in_workdir(), contextlib.redirect_stdout(writer), contextlib.redirect_stderr(writer):
                exec(compile(tree, "<test cell>", "exec"), self.globals)
                if last is not None:
                    value = eval(compile(ast.Expression(last.value), "<test cell>", "eval"), self.globals)
                    if value is not None:
                        self.globals["_"] = value
                        text = repr(value) if not isinstance(value, StudentObject) else \
                            f"<{value._info.get('type', 'object')} object from the student's kernel>"
                        cell.outputs.append(new_output("execute_result", data={"text/plain": text},
                                                       execution_count=None))
        except BaseException as exc:  # every failure is the test's verdict, never the grader's crash
            cell.outputs.append(error_output(exc))
            if isinstance(exc, KernelGone):
                self.log.warning("judge: %s", exc)
        finally:
            try:
                self.link.end_cell()  # while outputs still point at this cell: the kernel's last words land here
            except Exception as exc:  # a kernel that will not finish the cell is a dead kernel, not a crash
                self.link.dead = True
                self.log.warning("judge: the kernel did not finish a test cell (%s)", exc)
            self.link.outputs = None

    @contextlib.contextmanager
    def _in_workdir(self):
        """Relative paths of a test (a data file beside the notebook) resolve in the notebook's folder;
        imports never do: the student's folder (a ``keras.py`` of theirs) is taken off ``sys.path``."""
        here, saved = os.getcwd(), sys.path[:]
        workdir = os.path.realpath(self.workdir)
        sys.path[:] = [p for p in saved if p and os.path.isabs(p) and not _inside(os.path.realpath(p), workdir)]
        try:
            os.chdir(self.workdir)
        except OSError:
            pass
        try:
            yield
        finally:
            os.chdir(here)
            sys.path[:] = saved

    # ---- nncourse.checks.in_kernel in a judged test cell
    def in_kernel(self, name: str, args, kwargs):
        link = self.link
        reply = link.request({"op": "kernel_call", "name": str(name), "args": [link.enc(a) for a in args],
                              "kwargs": {str(k): link.enc(v) for k, v in kwargs.items()}})
        return link._value(reply)

    # ---- nncourse.checks.cached in a judged test cell
    def cached(self, key, compute):
        """``compute()``, kept for the process once two students' judges computed the same result.

        ``compute`` may not reach the student kernel: while it runs, every request, every name the
        cell read from the kernel and every student object refuse. It must return data (the wire
        format's types). What it could still see of a student (a value the test copied into a name
        of its own, the type name of a handle) is caught by agreement: a result is reused only after
        the judge of another notebook computed it again and got the same data. A reference that
        differs between two students is computed afresh for every student from then on.
        """
        memo = (self._cell_digest, repr(key))
        entry = REFERENCES.get(memo)
        if entry is not None and entry["state"] == "agreed":
            REFERENCES.move_to_end(memo)
            return copy.deepcopy(entry["value"])
        value, encoded = self._compute_sealed(compute)
        if entry is None:
            REFERENCES[memo] = {"state": "first", "value": copy.deepcopy(value), "encoded": encoded, "judge": self.number}
        elif entry["state"] == "first" and entry["judge"] != self.number:
            if entry["encoded"] == encoded:
                entry["state"] = "agreed"
            else:
                entry.update(state="unstable", value=None, encoded=None)
                self.log.warning("nncourse.checks.cached: the reference for key %r differs between two students; "
                                 "it depends on something of theirs and is computed for each student", key)
        while len(REFERENCES) > MAX_REFERENCES:
            REFERENCES.popitem(last=False)
        return value

    def _compute_sealed(self, compute) -> tuple[object, str]:
        """``compute()`` with the kernel out of reach, and its result as wire text (refused unless data)."""
        link = self.link
        link.sealed = "a reference computed with nncourse.checks.cached may not use the student's code or values"
        try:
            value = compute()
        finally:
            link.sealed = None
        try:
            encoded = wire.dumps(wire.encode(value, _refuse_handle))
        except (TypeError, wire.WireError) as exc:
            raise TypeError(f"nncourse.checks.cached: the reference must be plain data or arrays ({exc})") from None
        return value, encoded

    # ---- nncourse.checks.swapped in a judged test cell
    def swap_in(self, replacements: dict):
        return self.link.swap_in(replacements)

    def swap_out(self, token) -> None:
        try:
            self.link.swap_out(token)
        except KernelGone:
            pass


def _refuse_handle(obj):
    raise TypeError(f"a {type(obj).__name__} is not data")


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _locals_of(stmt: ast.AST) -> set[str]:
    """Names bound inside functions, lambdas and comprehensions of a statement (parameters included)."""
    names: set[str] = set()
    for node in ast.walk(stmt):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = node.args
            names |= {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs}
            names |= {x.arg for x in (a.vararg, a.kwarg) if x is not None}
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    names.add(sub.id)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            for gen in node.generators:
                names |= {n.id for n in ast.walk(gen.target) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


class _CellWriter(io.TextIOBase):
    """stdout and stderr of a test cell, in order with the kernel's output, as one stdout stream."""

    def __init__(self, link: KernelLink):
        self.link = link

    def writable(self):
        return True

    def write(self, text):
        self.link._append_text(str(text))
        return len(text)


@contextlib.contextmanager
def _quiet():
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def _is_generator(value) -> bool:
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.random.Generator)


def _is_array(value) -> bool:
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.ndarray)


def error_output(exc: BaseException):
    ename = type(exc).__name__
    evalue = str(exc)
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<test cell>":
            line = tb.tb_lineno
        tb = tb.tb_next
    traceback = [f"{ename}: {evalue}"] + ([f"(raised at line {line} of the test cell)"] if line else [])
    student = getattr(exc, "student_traceback", "")
    if student:  # the student's own code, where it failed: useful in the feedback, and nothing secret
        traceback.append("in the student's code:\n" + student)
    return new_output("error", ename=ename, evalue=evalue, traceback=traceback)
