"""The data-only wire format between the judge and the student kernel, and the kernel's side of it.

This file is self-contained (standard library; NumPy and TensorFlow only if already
imported), because its source is sent to the student kernel when grading starts:
it is public, and nothing in it is secret. The judge imports the same codec.

Every value crosses as a JSON list whose first item is a tag:

    ["n"]                     None
    ["b", true]               bool
    ["i", "123"]              int (as text: no size limit of JSON numbers)
    ["f", 1.5]                float (NaN and infinities as JSON's NaN/Infinity)
    ["c", re, im]             complex
    ["s", "text"], ["y", b64] str, bytes
    ["l", [...]], ["t", [...]], ["S", [...]], ["F", [...]]   list, tuple, set, frozenset
    ["d", [[k, v], ...]]      dict
    ["a", dtype, shape, b64]  NumPy array of a numeric, boolean or fixed-width text dtype
    ["g", dtype, b64]         NumPy scalar of such a dtype
    ["T", dtype, shape, b64]  an eager TensorFlow tensor (rebuilt as one where TensorFlow is loaded)
    ["R", name, state]        a NumPy random Generator, by its bit generator's name and state (an
                              argument's state after the call travels back, as for arrays)
    ["h", side, id, info]     a handle: an object that stays where it lives ("k": the kernel,
                              "j": the judge); calls and attribute reads on it are messages

The format has no way to name a class or carry code, so decoding builds only the types
above. Objects of any other type, subclasses included, cross as handles.
"""

from __future__ import annotations

import base64
import json
import sys

MAX_DEPTH = 64
NUMERIC_KINDS = "biufcUS"
MAX_SAME_HASH = 64  # distinct keys of a set or dict sharing one hash: more is an attack on the decoder's time
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


class WireError(ValueError):
    """A message that is not valid data."""


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text) -> bytes:
    if not isinstance(text, str):
        raise WireError("binary payload is not text")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except Exception as exc:  # binascii.Error, UnicodeEncodeError
        raise WireError(f"bad binary payload: {exc}") from None


def _numpy():
    return sys.modules.get("numpy")


def _tensorflow():
    return sys.modules.get("tensorflow")


def _is_eager_tensor(value) -> bool:
    tf = _tensorflow()
    if tf is None:
        return False
    try:
        return isinstance(value, tf.Tensor) and hasattr(value, "numpy") and not isinstance(value, tf.Variable)
    except Exception:
        return False


def encode(value, handle_for, depth: int = 0):
    """``value`` as wire data; ``handle_for(obj)`` makes the handle of anything that is not data."""
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    t = type(value)
    if value is None:
        return ["n"]
    if t is bool:
        return ["b", value]
    if t is int:
        return ["i", str(value)]
    if t is float:
        return ["f", value]
    if t is complex:
        return ["c", value.real, value.imag]
    if t is str:
        return ["s", value]
    if t in (bytes, bytearray):
        return ["y", _b64(bytes(value))]
    if t in (list, tuple, set, frozenset):
        tag = {list: "l", tuple: "t", set: "S", frozenset: "F"}[t]
        return [tag, [encode(v, handle_for, depth + 1) for v in value]]
    if t is dict:
        return ["d", [[encode(k, handle_for, depth + 1), encode(v, handle_for, depth + 1)] for k, v in value.items()]]
    np = _numpy()
    if np is not None:
        if isinstance(value, np.ndarray) and value.dtype.kind in NUMERIC_KINDS and value.dtype.fields is None:
            array = np.asarray(value, order="C")  # (ascontiguousarray would make 0-d arrays 1-d)
            return ["a", array.dtype.str, list(array.shape), _b64(array.tobytes())]
        if isinstance(value, np.generic) and value.dtype.kind in NUMERIC_KINDS:
            return ["g", value.dtype.str, _b64(value.tobytes())]
    if np is not None and type(value) is np.random.Generator:  # by value: its bit generator's name and state
        bit_generator = value.bit_generator
        name = type(bit_generator).__name__
        if name in BIT_GENERATORS:
            return ["R", name, encode(bit_generator.state, handle_for, depth + 1)]
    if _is_eager_tensor(value) and np is not None:
        array = np.asarray(value.numpy(), order="C")
        if array.dtype.kind in NUMERIC_KINDS:
            return ["T", array.dtype.str, list(array.shape), _b64(array.tobytes())]
    # Numbers, text and containers of a subclass (an OrderedDict, a namedtuple) cross as the plain
    # value: any behaviour the subclass adds, lying comparisons included, stays behind.
    for base in (int, float, str, bytes, list, tuple, dict, set, frozenset):
        if isinstance(value, base) and not isinstance(value, bool):
            return encode(base(value), handle_for, depth)
    return handle_for(value)


def _check_hashes(keys) -> None:
    """Refuse keys built to collide (e.g. k * (2**61 - 1) for every k), which make building a set quadratic."""
    try:
        hashes = sorted(hash(k) for k in keys)
    except TypeError:
        raise WireError("unhashable key") from None
    run = 1
    for a, b in zip(hashes, hashes[1:]):
        run = run + 1 if a == b else 1
        if run > MAX_SAME_HASH:
            raise WireError("too many keys with one hash")


def _dtype(text):
    np = _numpy()
    if np is None or not isinstance(text, str) or len(text) > 16:
        raise WireError("bad dtype")
    try:
        dtype = np.dtype(text)
    except Exception:
        raise WireError(f"unknown dtype {text!r}") from None
    if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or dtype.hasobject:
        raise WireError(f"dtype {text!r} is not plain data")
    return dtype


def _array(dtype_text, shape, payload):
    np = _numpy()
    dtype = _dtype(dtype_text)
    if not isinstance(shape, list) or not all(type(n) is int and n >= 0 for n in shape) or len(shape) > 32:
        raise WireError("bad array shape")
    raw = _unb64(payload)
    count = 1
    for n in shape:
        count *= n
    if count * dtype.itemsize != len(raw):
        raise WireError("array payload does not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def decode(data, resolve, depth: int = 0):
    """The value that ``data`` encodes; ``resolve(side, id, info)`` turns a handle into an object."""
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if not isinstance(data, list) or not data or not isinstance(data[0], str):
        raise WireError("not a tagged value")
    tag, rest = data[0], data[1:]

    def one(kind):
        if len(rest) != 1 or not isinstance(rest[0], kind):
            raise WireError(f"bad payload for tag {tag!r}")
        return rest[0]

    if tag == "n" and not rest:
        return None
    if tag == "b":
        return one(bool)
    if tag == "i":
        text = one(str)
        if len(text) > 5000:
            raise WireError("integer too long")
        try:
            return int(text)
        except ValueError:
            raise WireError("bad integer") from None
    if tag == "f":
        value = one((int, float))
        if type(value) is bool:
            raise WireError("bad float")
        return float(value)
    if tag == "c" and len(rest) == 2 and all(type(v) in (int, float) for v in rest):
        return complex(rest[0], rest[1])
    if tag == "s":
        return one(str)
    if tag == "y":
        return _unb64(one(str))
    if tag in ("l", "t", "S", "F"):
        items = [decode(v, resolve, depth + 1) for v in one(list)]
        if tag in ("S", "F"):
            _check_hashes(items)
        return {"l": list, "t": tuple, "S": set, "F": frozenset}[tag](items)
    if tag == "d":
        pairs = []
        for pair in one(list):
            if not isinstance(pair, list) or len(pair) != 2:
                raise WireError("bad dict item")
            pairs.append((decode(pair[0], resolve, depth + 1), decode(pair[1], resolve, depth + 1)))
        _check_hashes([k for k, _ in pairs])
        return dict(pairs)
    if tag == "R" and len(rest) == 2 and rest[0] in BIT_GENERATORS and _numpy() is not None:
        np = _numpy()
        state = decode(rest[1], resolve, depth + 1)
        bit_generator = getattr(np.random, rest[0])()
        try:
            bit_generator.state = state
        except Exception:
            raise WireError("bad random generator state") from None
        return np.random.Generator(bit_generator)
    if tag == "a" and len(rest) == 3:
        return _array(*rest)
    if tag == "g" and len(rest) == 2:
        return _array(rest[0], [], rest[1])[()]
    if tag == "T" and len(rest) == 3:
        array = _array(*rest)
        tf = _tensorflow()
        return tf.constant(array) if tf is not None else array
    if tag == "h" and len(rest) == 3 and rest[0] in ("k", "j") and type(rest[1]) is int:
        return resolve(rest[0], rest[1], rest[2] if isinstance(rest[2], dict) else {})
    raise WireError(f"unknown tag {tag!r}")


def dumps(message) -> str:
    return json.dumps(message, separators=(",", ":"))


def loads(text: str):
    if not isinstance(text, str):
        raise WireError("message is not text")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise WireError(f"message is not JSON: {exc}") from None


def describe(obj) -> dict:
    """What a handle tells the other side about its object: type names and whether it can be called."""
    cls = type(obj)
    try:
        mro = [f"{c.__module__}.{c.__qualname__}" for c in cls.__mro__][:32]
    except Exception:
        mro = []
    info = {"type": str(getattr(cls, "__name__", "object"))[:100], "mro": mro, "callable": callable(obj)}
    if isinstance(obj, type):
        info["is_class"] = True
        info["name"] = str(getattr(obj, "__name__", "StudentClass"))[:100]
    elif cls is type(describe):  # a plain function: its name travels along (messages name the function)
        name = obj.__name__
        if type(name) is str:
            info["function"] = name[:100]
    return info


def mutable_arguments(args, kwargs, enc) -> dict:
    """The arrays, lists, dicts and random generators among a call's arguments, with their encoding now."""
    np = _numpy()
    kinds = (list, dict) + ((np.ndarray, np.random.Generator) if np is not None else ())
    return {key: (enc(obj), obj) for key, obj in list(enumerate(args)) + list(kwargs.items()) if type(obj) in kinds}


def changed_arguments(tracked: dict, enc) -> list:
    """[key, new encoding] of every tracked argument the call changed in place."""
    changed = []
    for key, (before, obj) in tracked.items():
        try:
            after = enc(obj)
        except Exception:
            continue
        if after != before:
            changed.append([key, after])
    return changed


def changed_items(arguments, changed) -> list:
    """(the caller's argument, its encoded new contents) for each well-formed entry of a call's ``changed`` list."""
    args, kwargs = arguments
    if not isinstance(changed, list):
        return []
    found = []
    for item in changed[:256]:
        if not (isinstance(item, list) and len(item) == 2):
            continue
        key, data = item
        original = args[key] if type(key) is int and 0 <= key < len(args) else \
            kwargs.get(key) if isinstance(key, str) else None
        if original is not None:
            found.append((original, data))
    return found


def assign_contents(original, new) -> None:
    """Give ``original`` the contents of ``new`` in place: arrays, lists, dicts and generators; others are left."""
    np = _numpy()
    if np is not None and isinstance(original, np.ndarray) and isinstance(new, np.ndarray) \
            and original.flags.writeable and new.shape == original.shape:
        np.copyto(original, new, casting="unsafe")
    elif type(original) is list and type(new) is list:
        original[:] = new
    elif type(original) is dict and type(new) is dict:
        original.clear()
        original.update(new)
    elif np is not None and isinstance(original, np.random.Generator) and \
            isinstance(new, np.random.Generator) and type(original.bit_generator) is type(new.bit_generator):
        original.bit_generator.state = new.bit_generator.state


def write_back(arguments, changed, dec) -> None:
    """Give the caller's arguments the contents the other side's call left in them (data only)."""
    for original, data in changed_items(arguments, changed):
        try:
            assign_contents(original, dec(data))
        except (WireError, TypeError, ValueError):
            continue


# ---------------------------------------------------------------- the kernel's side (runs in the student kernel)

def _streams_idle() -> bool:
    """True when neither stdout nor stderr holds output that ipykernel has not handed to its I/O thread."""
    for stream in (sys.stdout, sys.stderr):
        if stream is None:
            continue
        if getattr(stream, "_flush_pending", True) or getattr(stream, "_subprocess_flush_pending", True):
            return False
    return True


def _input_without_flush(kernel, prompt: str):
    """ipykernel's input request without its two stream flushes; None where this ipykernel differs.

    Each flush is a round trip to the kernel's I/O thread, about a third of what a call between
    the judge and the kernel costs; with no output pending there is nothing for it to send.
    """
    try:
        import zmq

        socket, session = kernel.stdin_socket, kernel.session
        if hasattr(kernel, "_get_shell_context_var"):  # ipykernel 7
            ident = kernel._get_shell_context_var(kernel._shell_parent_ident)
        else:
            ident = kernel._parent_ident["shell"]
        parent = kernel.get_parent("shell")
    except Exception:
        return None
    if not getattr(kernel, "_allow_stdin", False):
        return None
    while True:  # stale replies, as ipykernel drops them
        try:
            socket.recv_multipart(zmq.NOBLOCK)
        except zmq.ZMQError:
            break
    session.send(socket, "input_request", {"prompt": prompt, "password": False}, parent, ident=ident)
    while True:
        try:
            if socket.poll(10):  # short, so that an interrupt (the judge's time limit) is seen
                _, reply = session.recv(socket)
                if reply is not None:
                    break
        except KeyboardInterrupt:
            raise KeyboardInterrupt("Interrupted by user") from None
        except zmq.ZMQError:
            continue
    try:
        return str(reply["content"]["value"])
    except Exception:
        return ""


class _KernelAgent:
    """Answers the judge's requests inside the student kernel.

    The judge starts ``serve()`` with one execute request per test cell, then exchanges
    messages over the kernel's stdin channel (input_request / input_reply), which also
    carries calls from student code back into the judge (callbacks) while a call runs.
    """

    def __init__(self, shell):
        self.shell = shell
        self.objects: dict[int, object] = {}
        self.ids: dict[int, int] = {}
        self.swaps: dict[int, dict] = {}
        self.next_swap = 1
        self.served: dict[str, object] = {}  # names the judge read, with the object each was bound to

    # handles
    def handle_for(self, obj):
        if isinstance(obj, _JudgeProxy):
            return ["h", "j", obj._nncourse_id, {}]
        key = id(obj)
        hid = self.ids.get(key)
        if hid is None:
            hid = len(self.objects) + 1
            self.objects[hid] = obj
            self.ids[key] = hid
        return ["h", "k", hid, describe(obj)]

    def resolve(self, side, hid, info):
        if side == "k":
            if hid not in self.objects:
                raise WireError("unknown kernel handle")
            return self.objects[hid]
        return _JudgeProxy(self, hid, info)

    def enc(self, value):
        return encode(value, self.handle_for)

    def dec(self, data):
        return decode(data, self.resolve)

    # transport
    def _raw_input(self, text: str) -> str:
        """One message to the judge and its answer, over the stdin channel (what input() uses)."""
        kernel = self.shell.kernel
        if _streams_idle():
            answer = _input_without_flush(kernel, text)
            if answer is not None:
                return answer
        return kernel.raw_input(text)

    def serve(self):
        outgoing = {"kind": "ready"}
        while True:
            incoming = loads(self._raw_input(dumps(outgoing)))
            if incoming.get("kind") == "done":
                self.served.clear()
                return
            outgoing = {"kind": "return", **self.dispatch(incoming)}
            if incoming.get("op") != "get":  # it may have run student code: say which names it rebound
                outgoing["rebound"] = self._rebound()

    def _rebound(self) -> list:
        """The names the judge read whose binding changed since (it keeps the others' handles)."""
        ns, changed = self.shell.user_ns, []
        for name, obj in list(self.served.items()):
            if name not in ns or ns[name] is not obj:
                changed.append(name)
                del self.served[name]
        return changed

    def call_judge(self, request: dict, arguments=None):
        outgoing = {"kind": "request", **request}
        while True:
            incoming = loads(self._raw_input(dumps(outgoing)))
            if incoming.get("kind") == "return":
                if "raise" in incoming:
                    info = incoming["raise"]
                    raise JudgeError(f"{info.get('type', 'Error')}: {info.get('message', '')}")
                if arguments is not None:
                    write_back(arguments, incoming.get("changed", []), self.dec)
                return self.dec(incoming["value"])
            outgoing = {"kind": "return", **self.dispatch(incoming)}

    # requests from the judge
    def dispatch(self, request: dict) -> dict:
        try:
            if request.get("op") == "call":
                result, changed = self._call(request)
                return {"value": self.enc(result), "changed": changed}
            return {"value": self.enc(self._run(request))}
        except BaseException as exc:  # a student's exception, KeyboardInterrupt from a timeout included
            import traceback

            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-8))
            return {"raise": {"type": type(exc).__name__, "message": str(exc)[:2000], "traceback": text[-4000:]}}

    def _call(self, request: dict):
        """Call a kernel object with the judge's arguments; also report arguments it changed in place."""
        target = self.dec(request["target"])
        args = [self.dec(a) for a in request.get("args", [])]
        kwargs = {k: self.dec(v) for k, v in request.get("kwargs", {}).items()}
        tracked = mutable_arguments(args, kwargs, self.enc)
        result = target(*args, **kwargs)
        return result, changed_arguments(tracked, self.enc)

    def _run(self, request: dict):
        op = request.get("op")
        ns = self.shell.user_ns
        if op == "get":
            name = request["name"]
            if name not in ns:
                return ["missing"]
            self.served[name] = ns[name]
            return ["found", ns[name]]
        if op == "getattr":
            return getattr(self.dec(request["target"]), request["name"])
        if op == "getitem":
            return self.dec(request["target"])[self.dec(request["key"])]
        if op == "len":
            return len(self.dec(request["target"]))
        if op == "list":
            return list(self.dec(request["target"]))
        if op == "bool":
            return bool(self.dec(request["target"]))
        if op == "float":
            return float(self.dec(request["target"]))
        if op == "int":
            return int(self.dec(request["target"]))
        if op == "array":
            np = _numpy()
            if np is None:
                raise TypeError("NumPy is not loaded in the kernel")
            return np.asarray(self.dec(request["target"]))
        if op == "repr":
            return repr(self.dec(request["target"]))[:10000]
        if op == "str":
            return str(self.dec(request["target"]))[:100000]
        if op == "isinstance":  # a student object against a student class: the student's own business
            return isinstance(self.dec(request["other"]), self.dec(request["target"]))
        if op == "eq":  # between two kernel objects only: the judge never asks about its own values
            return bool(self.dec(request["target"]) == self.dec(request["other"]))
        if op == "swap_in":
            saved = {}
            for name, data in request["names"].items():
                saved[name] = (name in ns, ns.get(name))
                ns[name] = self.dec(data)
            token = self.next_swap
            self.next_swap += 1
            self.swaps[token] = saved
            return token
        if op == "swap_out":
            for name, (present, old) in self.swaps.pop(request["token"], {}).items():
                if present:
                    ns[name] = old
                else:
                    ns.pop(name, None)
            return None
        if op == "kernel_call":  # nncourse.checks.in_kernel: a setup class or a student_side helper
            name = request["name"]
            if name.startswith("student_side."):
                import importlib

                helpers = importlib.import_module("nncourse.grading.student_side")
                if name.split(".", 1)[1] not in helpers.__all__:
                    raise ValueError(f"no helper {name!r}")
                target = getattr(helpers, name.split(".", 1)[1])
            else:
                target = ns[name]
            args = [self.dec(a) for a in request.get("args", [])]
            kwargs = {k: self.dec(v) for k, v in request.get("kwargs", {}).items()}
            return target(*args, **kwargs)
        if op == "run":  # the visible part of a test cell, so later cells see the names it binds
            try:
                exec(compile(request["code"], "<visible test>", "exec"), ns)
            except BaseException:
                pass
            return None
        raise ValueError(f"unknown request {op!r}")


class JudgeError(Exception):
    """A call back into the judge failed."""


class _JudgeProxy:
    """An object of the judge's, as student code sees it: calls and reads are messages."""

    __slots__ = ("_nncourse_agent", "_nncourse_id", "_nncourse_info")

    def __init__(self, agent, hid, info):
        object.__setattr__(self, "_nncourse_agent", agent)
        object.__setattr__(self, "_nncourse_id", hid)
        object.__setattr__(self, "_nncourse_info", info)

    def _ask(self, op, **fields):
        return self._nncourse_agent.call_judge({"op": op, "target": ["h", "j", self._nncourse_id, {}], **fields})

    def __call__(self, *args, **kwargs):
        agent = self._nncourse_agent
        return agent.call_judge({"op": "call", "target": ["h", "j", self._nncourse_id, {}],
                                 "args": [agent.enc(a) for a in args],
                                 "kwargs": {k: agent.enc(v) for k, v in kwargs.items()}}, arguments=(args, kwargs))

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self._ask("getattr", name=name)

    def __setattr__(self, name, value):
        raise AttributeError("objects passed by the tests are read-only")

    def __getitem__(self, key):
        return self._ask("getitem", key=self._nncourse_agent.enc(key))

    def __len__(self):
        return self._ask("len")

    def __iter__(self):
        return iter(self._ask("list"))

    def __repr__(self):
        return f"<{self._nncourse_info.get('type', 'object')} from the tests>"


def install(shell) -> _KernelAgent:
    """Put the agent into the kernel (the judge calls this first, before any cell runs)."""
    agent = _KernelAgent(shell)
    shell.user_ns["_nncourse_agent"] = agent
    shell.user_ns_hidden["_nncourse_agent"] = agent
    return agent
