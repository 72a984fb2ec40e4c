"""A static policy for answer cells: code that reaches into the interpreter is not run.

Tests decide a verdict by whether a test cell raised. Student code running in the same
kernel could change that verdict without earning it: input transformers, custom
exception handlers, a replaced ``showtraceback``, patched builtins, NumPy or assertion
helpers, exits and kills. None of that is needed to answer an assignment, so answer
cells are read (never run) before grading and any cell that touches the interpreter
is replaced by a stub that fails its tests, with the reason shown in the feedback.

A flagged cell can only lose points: the same submission without the attack scores
at least as much.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from IPython.core.inputtransformer2 import TransformerManager

# Modules an answer may import; everything else (os, sys, ctypes, importlib, ...) is refused.
ALLOWED_MODULES = frozenset({
    "numpy", "math", "cmath", "scipy", "keras", "tensorflow", "matplotlib", "functools", "itertools",
    "collections", "typing", "dataclasses", "random", "statistics", "numbers", "fractions", "decimal",
    "time", "copy", "operator", "heapq", "bisect", "string", "re", "tqdm", "nncourse.data", "nncourse.plotting",
})
# Names whose use is a way into the interpreter or out of the sandboxed kernel.
FORBIDDEN_NAMES = frozenset({
    "get_ipython", "__builtins__", "__import__", "exec", "eval", "compile", "globals", "locals", "vars",
    "getattr", "setattr", "delattr", "open", "exit", "quit", "breakpoint", "input", "memoryview",
    "__loader__", "__spec__", "sys", "os", "builtins", "In", "Out", "_ih", "_oh", "_i", "_ii", "_iii",
})
# Attributes that lead to processes, frames, IPython hooks or module tables.
FORBIDDEN_ATTRIBUTES = frozenset({
    "os", "sys", "builtins", "subprocess", "ctypes", "system", "popen", "_exit", "kill", "killpg", "abort",
    "modules", "f_globals", "f_locals", "f_back", "gi_frame", "tb_frame", "set_custom_exc",
    "input_transformers_post", "input_transformers_cleanup", "input_transformer_manager", "showtraceback",
    "showsyntaxerror", "ast_transformers", "events", "run_cell", "run_cell_magic", "system_piped", "excepthook",
})
ALLOWED_DUNDERS = frozenset({"__init__", "__call__", "__name__", "__len__", "__repr__", "__str__"})
# Line magics that are harmless in an answer (IPython rewrites them into get_ipython() calls).
ALLOWED_MAGICS = frozenset({"matplotlib", "time", "timeit"})


@dataclass(frozen=True)
class Violation:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


def _top_module(name: str) -> str:
    return name.split(".")[0]


def _module_allowed(name: str) -> bool:
    return name in ALLOWED_MODULES or _top_module(name) in ALLOWED_MODULES - {"nncourse"}


def _is_allowed_magic(node: ast.Call) -> bool:
    """get_ipython().run_line_magic('timeit', ...) for an allowed magic."""
    f = node.func
    return (isinstance(f, ast.Attribute) and f.attr == "run_line_magic" and isinstance(f.value, ast.Call)
            and isinstance(f.value.func, ast.Name) and f.value.func.id == "get_ipython" and node.args
            and isinstance(node.args[0], ast.Constant) and node.args[0].value in ALLOWED_MAGICS)


class _Checker(ast.NodeVisitor):
    def __init__(self, protected: set[str]):
        self.protected = protected  # names bound by the instructor's cells and imported modules
        self.violations: list[Violation] = []
        self._allowed_magic_calls: set[int] = set()
        self._depth = 0  # > 0 inside a function or lambda, where assignments are local

    def flag(self, node: ast.AST, reason: str) -> None:
        self.violations.append(Violation(getattr(node, "lineno", 0), reason))

    def visit_Import(self, node):
        for alias in node.names:
            if not _module_allowed(alias.name):
                self.flag(node, f"imports '{alias.name}', which answers may not use")
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        if node.level or not node.module or not _module_allowed(node.module):
            self.flag(node, f"imports from '{node.module or '.'}', which answers may not use")
        self.generic_visit(node)

    def visit_Call(self, node):
        if _is_allowed_magic(node):
            self._allowed_magic_calls.add(id(node.func.value))
        if isinstance(node.func, ast.Name) and node.func.id == "type" and len(node.args) == 3:
            self.flag(node, "builds a class with type(name, bases, namespace)")
        self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in FORBIDDEN_NAMES:
            parent_call = getattr(node, "_parent_call", None)
            if not (node.id == "get_ipython" and parent_call is not None and id(parent_call) in self._allowed_magic_calls):
                self.flag(node, f"uses '{node.id}', which reaches into the interpreter")
        if isinstance(node.ctx, (ast.Store, ast.Del)) and node.id in self.protected and node.id != "_" \
                and (self._depth == 0 or node.id in self._globals):
            self.flag(node, f"rebinds '{node.id}', which the assignment's own cells define")

    def visit_Attribute(self, node):
        attr = node.attr
        if attr.startswith("__") and attr.endswith("__") and attr not in ALLOWED_DUNDERS:
            self.flag(node, f"uses the special attribute '{attr}'")
        elif attr in FORBIDDEN_ATTRIBUTES:
            self.flag(node, f"uses the attribute '{attr}', which reaches into the interpreter or the system")
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            base = node
            while isinstance(base, (ast.Attribute, ast.Subscript)):
                base = base.value
            if isinstance(base, ast.Name) and base.id in self.protected:
                self.flag(node, f"changes '{base.id}.{attr}', which belongs to a module or to the tests")
        self.generic_visit(node)

    def visit_Subscript(self, node):
        if isinstance(node.ctx, (ast.Store, ast.Del)) and isinstance(node.value, ast.Name) \
                and node.value.id in self.protected:
            self.flag(node, f"changes items of '{node.value.id}', which the assignment's own cells define")
        self.generic_visit(node)

    _globals: set[str] = set()

    def visit_Global(self, node):
        self._globals = self._globals | set(node.names)
        for name in node.names:
            if name in self.protected:
                self.flag(node, f"declares '{name}' global to replace it")

    def _visit_def(self, node):
        if node.name.startswith("__") and node.name.endswith("__") and node.name not in ALLOWED_DUNDERS:
            self.flag(node, f"defines the special method '{node.name}'")
        if node.name in self.protected and self._depth == 0:
            self.flag(node, f"redefines '{node.name}', which the assignment's own cells define")
        self._depth += not isinstance(node, ast.ClassDef)
        self.generic_visit(node)
        self._depth -= not isinstance(node, ast.ClassDef)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _visit_def

    def visit_Lambda(self, node):
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1


def _annotate_parents(tree: ast.AST) -> None:
    for parent in ast.walk(tree):
        if isinstance(parent, ast.Call):
            for child in ast.iter_child_nodes(parent):
                if isinstance(child, ast.Name):
                    child._parent_call = parent  # type: ignore[attr-defined]


def to_python(source: str) -> str:
    """IPython syntax (magics, ``!shell``) rewritten as the Python the kernel would run."""
    return TransformerManager().transform_cell(source)


def bound_names(source: str) -> set[str]:
    """Module-level names a (trusted) cell binds, imports included."""
    try:
        tree = ast.parse(to_python(source))
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in tree.body:
        for sub in ast.walk(node) if isinstance(node, (ast.Import, ast.ImportFrom, ast.Assign, ast.AugAssign,
                                                           ast.AnnAssign, ast.For, ast.With)) else [node]:
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                names.add(sub.id)
            elif isinstance(sub, ast.alias):
                names.add((sub.asname or sub.name).split(".")[0])
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def imported_names(source: str) -> set[str]:
    """Names an answer cell binds by importing (module aliases are protected too)."""
    try:
        tree = ast.parse(to_python(source))
    except SyntaxError:
        return set()
    return {(a.asname or a.name).split(".")[0] for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
            for a in n.names}


def check_answer(source: str, protected: set[str]) -> list[Violation]:
    """Policy violations of one answer cell. A syntax error is not a violation (it just fails)."""
    try:
        tree = ast.parse(to_python(source))
    except SyntaxError:
        return []
    _annotate_parents(tree)
    checker = _Checker(set(protected) | imported_names(source))
    # Calls first, so allowed magics are known before their get_ipython name is visited.
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_allowed_magic(node):
            checker._allowed_magic_calls.add(id(node.func.value))
    checker.visit(tree)
    return sorted(set(checker.violations), key=lambda v: (v.line, v.reason))


def check_notebook(nb) -> dict[str, list[Violation]]:
    """grade_id -> violations, for every answer cell of a notebook whose other cells are the instructor's."""
    protected: set[str] = set()
    answers = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            answers.append(cell)
        else:
            protected |= bound_names(cell.source)
    for cell in answers:
        protected |= imported_names(cell.source)
    found = {}
    for cell in answers:
        violations = check_answer(cell.source, protected)
        if violations:
            found[cell.metadata["nbgrader"].get("grade_id", "?")] = violations
    return found
