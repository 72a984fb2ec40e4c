"""Simulated class for the neural-ODE assignment (15 points, 13 autograded).

Test cells and points: test_residual_trajectory 2, test_observed_order 1, test_leapfrog 4,
test_relative_energy_error 1, test_energy_study 2, test_convergence_study 3; the written
answer `discussion` (2 points) is a manually graded Markdown cell, which adds 0 until a
grader scores it (see tests/specs/function_approximation.py), so every submission lists it
among its broken tests.

Hidden tests run the student's integrators where the student's code runs (`run` of the
setup cell, through `in_kernel`) and check properties: orders of accuracy, a bounded and
non-growing energy error, time reversibility, preserved phase-space area, agreement with
solve_ivp. The measurements of Parts 5 and 6 are accepted when they are right for the
reference integrators or for the student's own, so a wrong integrator costs its own part
only; a syntax error that leaves a function undefined also breaks the measurements that
call it (the student's own cells fail).
"""

from simclass import Submission

MANUAL = "discussion"

TIME_AT_THE_END_OF_THE_BLOCK = '''
def residual_trajectory(field, x0, t0, h, L):
    # misconception: block i evaluates the field at the end of its step, t0 + (i + 1) h
    x = np.array(x0, dtype=float)
    states = [x]
    for i in range(L):
        x = x + h * field(t0 + (i + 1) * h, x)
        states.append(x)
    return np.array(states)
'''

TIME_FROZEN = '''
def residual_trajectory(field, x0, t0, h, L):
    # misconception: every block uses the field at t0 (right for autonomous fields only)
    x = np.array(x0, dtype=float)
    states = [x]
    for _ in range(L):
        x = x + h * field(t0, x)
        states.append(x)
    return np.array(states)
'''

ORDER_UPSIDE_DOWN = '''
def observed_order(step_sizes, errors):
    # fits log h against log e: the slope is 1 / p
    return float(np.polyfit(np.log(errors), np.log(step_sizes), 1)[0])
'''

ORDER_FROM_THE_ENDPOINTS = '''
def observed_order(step_sizes, errors):
    # misconception: the slope between the first and the last point instead of the least-squares line
    h, e = np.asarray(step_sizes, dtype=float), np.asarray(errors, dtype=float)
    return float((np.log(e[-1]) - np.log(e[0])) / (np.log(h[-1]) - np.log(h[0])))
'''

EULER_IN_PHASE_SPACE = '''
def leapfrog(grad_V, q0, p0, h, steps, mass=1.0):
    # explicit Euler for q and p: the energy grows
    q, p = np.array(q0, dtype=float), np.array(p0, dtype=float)
    qs, ps = [q], [p]
    for _ in range(steps):
        q, p = q + h * p / mass, p - h * np.asarray(grad_V(q))
        qs.append(q)
        ps.append(p)
    return np.array(qs), np.array(ps)
'''

SYMPLECTIC_EULER = '''
def leapfrog(grad_V, q0, p0, h, steps, mass=1.0):
    # misconception: a full kick, then a full drift (symplectic Euler): bounded energy, but first order, not reversible
    q, p = np.array(q0, dtype=float), np.array(p0, dtype=float)
    qs, ps = [q], [p]
    for _ in range(steps):
        p = p - h * np.asarray(grad_V(q))
        q = q + h * p / mass
        qs.append(q)
        ps.append(p)
    return np.array(qs), np.array(ps)
'''

IGNORES_THE_MASS = '''
def leapfrog(grad_V, q0, p0, h, steps, mass=1.0):
    # misconception: dq/dt = p, as if the mass were always 1 (the visible tests use mass 1)
    q, p = np.array(q0, dtype=float), np.array(p0, dtype=float)
    qs, ps = [q], [p]
    for _ in range(steps):
        p = p - h / 2 * np.asarray(grad_V(q))
        q = q + h * p
        p = p - h / 2 * np.asarray(grad_V(q))
        qs.append(q)
        ps.append(p)
    return np.array(qs), np.array(ps)
'''

DIVIDES_BY_THE_CURRENT_ENERGY = '''
def relative_energy_error(H, q, p):
    energy = np.asarray(H(q, p), dtype=float)
    return np.abs(energy - energy[0]) / np.abs(energy)
'''

SIGNED_ENERGY_ERROR = '''
def relative_energy_error(H, q, p):
    # misconception: no absolute values (right while the energy grows from a positive start)
    energy = np.asarray(H(q, p), dtype=float)
    return (energy - energy[0]) / energy[0]
'''

ENERGY_STUDY_WRONG_STEP = '''
# measures with h = 0.05: the right shapes, but not the study asked for
euler_path = residual_trajectory(PROBLEMS["oscillator_field"](), np.array([1.0, 0.0]), 0.0, 0.05, 1000)
q_study, p_study = leapfrog(PROBLEMS["oscillator_grad"](), 1.0, 0.0, 0.05, 1000)
drift = {"euler": relative_energy_error(oscillator_energy, euler_path[:, 0], euler_path[:, 1]),
         "leapfrog": relative_energy_error(oscillator_energy, q_study, p_study)}
'''

_STUDY = '''
reference = solve_ivp(PROBLEMS["pendulum_field"](), (0.0, 4.0), np.array([1.0, 0.0]), method="DOP853",
                      {tolerances}).y[:, -1]
step_sizes = {steps}
errors = {{"euler": [], "leapfrog": []}}
for h in step_sizes:
    n_steps = int(round(4.0 / h))
    x_end = residual_trajectory(PROBLEMS["pendulum_field"](), np.array([1.0, 0.0]), 0.0, h, n_steps)[-1]
    q, p = leapfrog(PROBLEMS["pendulum_grad"](), 1.0, 0.0, h, n_steps)
    errors["euler"].append(float(np.linalg.norm(x_end - reference)))
    errors["leapfrog"].append(float(np.hypot(q[-1] - reference[0], p[-1] - reference[1])))
orders = {{name: observed_order(step_sizes, values) for name, values in errors.items()}}
'''

# Euler shows order 1.21 at these step sizes: the pendulum is not yet in the asymptotic regime.
STEPS_TOO_LARGE = "# steps too large for the asymptotic regime" + _STUDY.format(
    tolerances="rtol=1e-12, atol=1e-12", steps="[0.5, 0.25, 0.125]")
# misconception: solve_ivp's default tolerances (rtol=1e-3) give a reference off by 3e-3, more than leapfrog's errors.
LOOSE_REFERENCE = "# the reference uses solve_ivp's default tolerances" + _STUDY.format(
    tolerances="rtol=1e-3, atol=1e-6", steps="[0.1, 0.05, 0.025, 0.0125]")

SYNTAX_ERROR = '''
def leapfrog(grad_V, q0, p0, h, steps, mass=1.0):
    q, p = np.array(q0, dtype=float), np.array(p0, dtype=float)
    force = -np.asarray(grad_V(q)
    return q, p
'''

ALL_TESTS = {"test_residual_trajectory", "test_observed_order", "test_leapfrog", "test_relative_energy_error",
             "test_energy_study", "test_convergence_study", MANUAL}


def _broken(*tests):
    return frozenset({MANUAL, *tests})


SUBMISSIONS = [
    Submission("full_solution", broken_tests=_broken()),
    Submission("blank_release", blank=True, broken_tests=frozenset(ALL_TESTS)),
    # The studies use autonomous fields, where the time of a block does not matter: only Part 1 is lost.
    Submission("wrong_residual_trajectory", {"residual_trajectory": TIME_FROZEN}, _broken("test_residual_trajectory")),
    # The student's orders are 1 / p, but they are the student's observed_order of the data: Part 6 keeps its points.
    Submission("wrong_observed_order", {"observed_order": ORDER_UPSIDE_DOWN}, _broken("test_observed_order")),
    # Part 5 and Part 6 measure the student's Euler-in-phase-space correctly: only Part 3 is lost.
    Submission("wrong_leapfrog", {"leapfrog": EULER_IN_PHASE_SPACE}, _broken("test_leapfrog")),
    Submission("wrong_relative_energy_error", {"relative_energy_error": DIVIDES_BY_THE_CURRENT_ENERGY},
               _broken("test_relative_energy_error")),
    Submission("wrong_energy_study", {"energy_study": ENERGY_STUDY_WRONG_STEP}, _broken("test_energy_study")),
    Submission("wrong_convergence_study", {"convergence_study": STEPS_TOO_LARGE}, _broken("test_convergence_study")),
    # leapfrog stays undefined: its test fails, and so do the two studies, whose cells call it.
    Submission("syntax_error", {"leapfrog": SYNTAX_ERROR},
               _broken("test_leapfrog", "test_energy_study", "test_convergence_study")),
    Submission("misconception_time_at_block_end", {"residual_trajectory": TIME_AT_THE_END_OF_THE_BLOCK},
               _broken("test_residual_trajectory")),
    Submission("misconception_order_from_endpoints", {"observed_order": ORDER_FROM_THE_ENDPOINTS},
               _broken("test_observed_order")),
    Submission("misconception_symplectic_euler", {"leapfrog": SYMPLECTIC_EULER}, _broken("test_leapfrog")),
    Submission("misconception_ignores_mass", {"leapfrog": IGNORES_THE_MASS}, _broken("test_leapfrog")),
    Submission("misconception_signed_energy_error", {"relative_energy_error": SIGNED_ENERGY_ERROR},
               _broken("test_relative_energy_error")),
    Submission("misconception_loose_reference", {"convergence_study": LOOSE_REFERENCE},
               _broken("test_convergence_study")),
]
