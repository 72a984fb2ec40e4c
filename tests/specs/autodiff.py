"""Simulated class for the automatic-differentiation assignment (20 points: 18 autograded, 2 graded by hand).

Test cells and points: test_dual 3, test_elementary_functions 2, test_jvp 3, test_backward 4,
test_record_tanh 1, test_record_matvec 2, test_gradient_costs 3; costs_answer 2 is a written
answer graded by hand, so autograding gives it 0 in every submission.

The parts are graded on their own as far as they can be: the elementary functions are tested on
single functions and their compositions (no arithmetic of Part 1), jvp on functions built from
+, - and * only (so a wrong quotient rule, power or Part 2 does not cost Part 3; a wrong product
rule does, as dual numbers cannot multiply without it), the tape's sweep on the operations the notebook
ships (not on Part 5's), the new operations through their own rules (not through the student's
sweep), and the cost measurement on counts, which a buggy `jvp` or `backward` still gets right.
A broken `Dual` class does cost Parts 2, 3 and 6 as well: they cannot run without dual numbers.
"""

from simclass import Submission

MANUAL = "costs_answer"

# ---- Part 1: a student's Dual in another style than the solution (it lifts plain numbers to Duals first)

STUDENT_DUAL = '''
class Dual:
    def __init__(self, primal, tangent=0.0):
        self.primal, self.tangent = float(primal), float(tangent)

    @staticmethod
    def wrap(x):
        return x if isinstance(x, Dual) else Dual(x)

    def __add__(self, other):
        other = Dual.wrap(other)
        return Dual(self.primal + other.primal, self.tangent + other.tangent)

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        other = Dual.wrap(other)
        return Dual(self.primal - other.primal, self.tangent - other.tangent)

    def __rsub__(self, other):
        return Dual.wrap(other) - self

    def __neg__(self):
        return Dual(-self.primal, -self.tangent)

    def __mul__(self, other):
        other = Dual.wrap(other)
        return Dual(self.primal * other.primal, self.tangent * other.primal + self.primal * other.tangent)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        other = Dual.wrap(other)
        return Dual(self.primal / other.primal,
                    (self.tangent * other.primal - self.primal * other.tangent) / other.primal ** 2)

    def __rtruediv__(self, other):
        return Dual.wrap(other) / self

    def __pow__(self, other):
        if isinstance(other, Dual):
            log_base = float(np.log(self.primal))
            power = self.primal ** other.primal
            return Dual(power, power * (other.tangent * log_base + other.primal * self.tangent / self.primal))
        if other == 0:
            return Dual(1.0)
        return Dual(self.primal ** other, other * self.primal ** (other - 1) * self.tangent)

    def __rpow__(self, other):
        return Dual(other ** self.primal, other ** self.primal * float(np.log(other)) * self.tangent)
'''


def _variant(base: str, old: str, new: str) -> str:
    assert base.count(old) == 1, old
    return base.replace(old, new)


QUOTIENT_SIGN = _variant(STUDENT_DUAL, "(self.tangent * other.primal - self.primal * other.tangent)",
                         "(self.tangent * other.primal + self.primal * other.tangent)")

# misconception: the derivative of a product is the product of the derivatives
PRODUCT_OF_TANGENTS = _variant(STUDENT_DUAL, "self.tangent * other.primal + self.primal * other.tangent)",
                               "self.tangent * other.tangent)")

RSUB_BACKWARDS = _variant(STUDENT_DUAL, "return Dual.wrap(other) - self", "return self - Dual.wrap(other)")

# misconception: x ** y with a Dual exponent treated as a constant exponent (drops the log term)
EXPONENT_AS_CONSTANT = _variant(STUDENT_DUAL, """            log_base = float(np.log(self.primal))
            power = self.primal ** other.primal
            return Dual(power, power * (other.tangent * log_base + other.primal * self.tangent / self.primal))
""", """            other = other.primal
""")

DUAL_SYNTAX_ERROR = _variant(STUDENT_DUAL, "def __neg__(self):", "def __neg__(self)")

# ---- Part 2

STUDENT_ELEMENTARY = '''
def _unary(x, value, slope):
    if isinstance(x, Dual):
        return Dual(value, slope * x.tangent)
    return float(value)


def _p(x):
    return x.primal if isinstance(x, Dual) else x


def exp(x):
    return _unary(x, np.exp(_p(x)), np.exp(_p(x)))


def log(x):
    return _unary(x, np.log(_p(x)), 1 / _p(x))


def sin(x):
    return _unary(x, np.sin(_p(x)), np.cos(_p(x)))


def cos(x):
    return _unary(x, np.cos(_p(x)), -np.sin(_p(x)))


def tanh(x):
    return _unary(x, np.tanh(_p(x)), 1 - np.tanh(_p(x)) ** 2)


def sqrt(x):
    return _unary(x, np.sqrt(_p(x)), 0.5 / np.sqrt(_p(x)))
'''

# a missing chain-rule factor: the derivative at the primal, not times the incoming tangent
NO_CHAIN_FACTOR = _variant(STUDENT_ELEMENTARY, "return Dual(value, slope * x.tangent)", "return Dual(value, slope)")

TANH_SLOPE_NOT_SQUARED = _variant(STUDENT_ELEMENTARY, "1 - np.tanh(_p(x)) ** 2", "1 - np.tanh(_p(x))")

# misconception: only dual numbers are ever passed in, so plain numbers crash
DUALS_ONLY = _variant(STUDENT_ELEMENTARY, "    return float(value)\n", "    return Dual(value, slope * x.tangent)\n")

# ---- Part 3

STUDENT_JVP = '''
def jvp(f, x, v):
    out = f([Dual(xi, vi) for xi, vi in zip(x, v)])
    if isinstance(out, (list, tuple)):
        return np.array([y.tangent if isinstance(y, Dual) else 0.0 for y in out])
    return out.tangent if isinstance(out, Dual) else 0.0
'''

# misconception: every input seeded with tangent 1, whatever v
SEEDS_ONES = _variant(STUDENT_JVP, "Dual(xi, vi) for xi, vi in zip(x, v)", "Dual(xi, 1.0) for xi, vi in zip(x, v)")

# assumes every output is a Dual, so a constant output crashes
CONSTANT_OUTPUT_CRASHES = _variant(STUDENT_JVP, "y.tangent if isinstance(y, Dual) else 0.0 for y in out",
                                   "y.tangent for y in out")

# ---- Part 4

STUDENT_BACKWARD = '''
def backward(tape, output, seed=None):
    adjoints = {output: np.ones(tape.values[output].shape) if seed is None else np.asarray(seed, dtype=float)}
    for k, (inputs, rule) in reversed(list(enumerate(tape.entries[:output + 1]))):
        if rule is None or k not in adjoints:
            continue
        for i, g in zip(inputs, rule(adjoints[k])):
            adjoints[i] = adjoints[i] + g if i in adjoints else np.asarray(g, dtype=float)
    return [adjoints.get(k, np.zeros(v.shape)) for k, v in enumerate(tape.values)]
'''

# the sweep in the wrong order: from the first node to the output
WRONG_ORDER = _variant(STUDENT_BACKWARD, "reversed(list(enumerate(tape.entries[:output + 1])))",
                       "list(enumerate(tape.entries[:output + 1]))")

# an input read by several nodes keeps only the last share instead of the sum
OVERWRITES_SHARES = _variant(STUDENT_BACKWARD, "adjoints[i] = adjoints[i] + g if i in adjoints else np.asarray(g, dtype=float)",
                             "adjoints[i] = np.asarray(g, dtype=float)")

IGNORES_SEED = _variant(STUDENT_BACKWARD, "np.ones(tape.values[output].shape) if seed is None else np.asarray(seed, dtype=float)",
                        "np.ones(tape.values[output].shape)")

# ---- Part 5

TANH_IGNORES_ADJOINT = '''
def record_tanh(tape, a):
    y = np.tanh(tape.values[a])
    return tape.record(y, (a,), lambda g: (1 - y ** 2,))
'''

# misconception: 1 - x**2 with the input instead of 1 - tanh(x)**2
TANH_OF_INPUT = '''
def record_tanh(tape, a):
    x = tape.values[a]
    return tape.record(np.tanh(x), (a,), lambda g: (g * (1 - x ** 2),))
'''

MATVEC_TRANSPOSED_W = '''
def record_matvec(tape, W, x):
    A, v = tape.values[W], tape.values[x]
    return tape.record(A @ v, (W, x), lambda g: (np.outer(v, g), A.T @ g))
'''

MATVEC_NO_TRANSPOSE = '''
def record_matvec(tape, W, x):
    A, v = tape.values[W], tape.values[x]
    return tape.record(A @ v, (W, x), lambda g: (np.outer(g, v), A @ g))
'''

# ---- Part 6

STUDENT_COSTS = '''
def gradient_costs(sizes):
    out = {"n": [], "forward_passes": [], "reverse_passes": [], "tape_floats": []}
    for n in sizes:
        x = np.ones(n) * 0.3
        f = CallCounter(wave)
        grad = [jvp(f, x, np.eye(n)[i]) for i in range(n)]
        program, sweep_counter = CallCounter(wave_program), CallCounter(backward)
        tape = Tape()
        node = tape.input(x)
        sweep_counter(tape, program(tape, node))
        out["n"].append(n)
        out["forward_passes"].append(f.calls)
        out["reverse_passes"].append(program.calls + sweep_counter.calls)
        out["tape_floats"].append(int(sum(np.size(v) for v in tape.values)))
    return out
'''

# misconception: one forward pass along the direction of all ones gives "the gradient"
ONE_DIRECTION = _variant(STUDENT_COSTS, "grad = [jvp(f, x, np.eye(n)[i]) for i in range(n)]", "grad = jvp(f, x, np.ones(n))")

# misconception: reverse mode, like forward mode, needs a recording and a sweep per input
SWEEP_PER_INPUT = _variant(STUDENT_COSTS, '''        tape = Tape()
        node = tape.input(x)
        sweep_counter(tape, program(tape, node))
''', '''        for i in range(n):
            tape = Tape()
            node = tape.input(x)
            sweep_counter(tape, program(tape, node))
''')

ALL_TESTS = {"test_dual", "test_elementary_functions", "test_jvp", "test_backward", "test_record_tanh",
             "test_record_matvec", "test_gradient_costs", MANUAL}


def _broken(*tests):
    return frozenset({MANUAL, *tests})


SUBMISSIONS = [
    Submission("full_solution", broken_tests=_broken()),
    Submission("blank_release", blank=True, broken_tests=frozenset(ALL_TESTS)),
    # Honest code in other styles keeps full marks.
    Submission("other_style", {"dual": STUDENT_DUAL, "elementary_functions": STUDENT_ELEMENTARY, "jvp": STUDENT_JVP,
                               "backward": STUDENT_BACKWARD, "gradient_costs": STUDENT_COSTS}, _broken()),
    Submission("wrong_dual_quotient_sign", {"dual": QUOTIENT_SIGN}, _broken("test_dual")),
    Submission("wrong_dual_rsub", {"dual": RSUB_BACKWARDS}, _broken("test_dual")),
    # jvp's test functions multiply, so a wrong product rule costs Part 3 too.
    Submission("misconception_product_of_tangents", {"dual": PRODUCT_OF_TANGENTS}, _broken("test_dual", "test_jvp")),
    Submission("misconception_exponent_as_constant", {"dual": EXPONENT_AS_CONSTANT}, _broken("test_dual")),
    Submission("wrong_elementary_no_chain_factor", {"elementary_functions": NO_CHAIN_FACTOR},
               _broken("test_elementary_functions")),
    Submission("wrong_elementary_tanh_slope", {"elementary_functions": TANH_SLOPE_NOT_SQUARED},
               _broken("test_elementary_functions")),
    # exp of a plain number crashes; the other parts only ever pass dual numbers, so they keep their points.
    Submission("misconception_duals_only", {"elementary_functions": DUALS_ONLY}, _broken("test_elementary_functions")),
    Submission("wrong_jvp_seeds_ones", {"jvp": SEEDS_ONES}, _broken("test_jvp")),
    Submission("wrong_jvp_constant_output", {"jvp": CONSTANT_OUTPUT_CRASHES}, _broken("test_jvp")),
    Submission("wrong_backward_order", {"backward": WRONG_ORDER}, _broken("test_backward")),
    Submission("wrong_backward_overwrites", {"backward": OVERWRITES_SHARES}, _broken("test_backward")),
    Submission("wrong_backward_ignores_seed", {"backward": IGNORES_SEED}, _broken("test_backward")),
    Submission("wrong_tanh_ignores_adjoint", {"record_tanh": TANH_IGNORES_ADJOINT}, _broken("test_record_tanh")),
    Submission("misconception_tanh_of_input", {"record_tanh": TANH_OF_INPUT}, _broken("test_record_tanh")),
    Submission("wrong_matvec_transposed_w", {"record_matvec": MATVEC_TRANSPOSED_W}, _broken("test_record_matvec")),
    Submission("wrong_matvec_no_transpose", {"record_matvec": MATVEC_NO_TRANSPOSE}, _broken("test_record_matvec")),
    Submission("misconception_one_direction", {"gradient_costs": ONE_DIRECTION}, _broken("test_gradient_costs")),
    Submission("misconception_sweep_per_input", {"gradient_costs": SWEEP_PER_INPUT}, _broken("test_gradient_costs")),
    # A measurement with a buggy jvp and backward of the student's own still counts.
    Submission("costs_with_buggy_parts", {"jvp": SEEDS_ONES, "backward": WRONG_ORDER},
               _broken("test_jvp", "test_backward")),
    # Without a Dual class, Parts 1, 2, 3 and 6 cannot run; the tape's parts keep their points.
    Submission("syntax_error", {"dual": DUAL_SYNTAX_ERROR},
               _broken("test_dual", "test_elementary_functions", "test_jvp", "test_gradient_costs")),
]
