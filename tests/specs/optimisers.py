"""Simulated class for the optimisers assignment (21 points, 19 autograded).

Test cells and points: test_momentum_step 2, test_nesterov_step 2, test_adagrad_step 2,
test_rmsprop_step 2, test_adam_step 2, test_run_adam 3, test_nadam_step 3,
test_quadratic_study 3; the written answer `conclusion` (2 points) is a manually graded
Markdown cell that adds 0 until a grader scores it, so every submission lists it among its
broken tests.

Hidden tests compare 12- to 25-step trajectories with keras.optimizers (Nadam included) in
float64; the test of run_adam swaps in a reference adam_step, and those of quadratic_study
reference momentum_step, adam_step and run_adam, so a wrong step function costs only its
own points (unless a visible test calls it).
"""

from simclass import Submission

EMA_MOMENTUM = '''
def momentum_step(theta, grad, velocity, lr, beta):
    # an exponential moving average of gradients instead of Keras' velocity
    velocity = beta * velocity + (1 - beta) * grad
    return theta - lr * velocity, velocity
'''

NESTEROV_WITHOUT_LOOKAHEAD = '''
def nesterov_step(theta, grad, velocity, lr, beta):
    velocity = beta * velocity - lr * grad
    return theta + velocity, velocity
'''

ADAGRAD_EPSILON_OUTSIDE = '''
def adagrad_step(theta, grad, accumulator, lr, epsilon=1e-7):
    accumulator = accumulator + grad ** 2
    return theta - lr * grad / (np.sqrt(accumulator) + epsilon), accumulator
'''

RMSPROP_SWAPPED_RHO = '''
def rmsprop_step(theta, grad, velocity, lr, rho=0.9, epsilon=1e-7):
    velocity = (1 - rho) * velocity + rho * grad ** 2
    return theta - lr * grad / np.sqrt(velocity + epsilon), velocity
'''

ADAM_NO_BIAS_CORRECTION = '''
def adam_step(theta, grad, m, v, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad ** 2
    return theta - lr * m / (np.sqrt(v) + epsilon), m, v
'''

ADAM_CORRECTS_M_ONLY = '''
def adam_step(theta, grad, m, v, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    # misconception: the bias correction of v is forgotten
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad ** 2
    return theta - lr / (1 - beta_1 ** t) * m / (np.sqrt(v) + epsilon), m, v
'''

ADAM_TEXTBOOK_EPSILON = '''
def adam_step(theta, grad, m, v, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    # the paper's form: epsilon added to sqrt(v_hat), not to sqrt(v) as Keras does
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad ** 2
    m_hat, v_hat = m / (1 - beta_1 ** t), v / (1 - beta_2 ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + epsilon), m, v
'''

RUN_ADAM_T_NEVER_ADVANCES = '''
def run_adam(grad_fn, theta0, steps, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    theta = np.array(theta0, dtype=float)
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    path = [theta]
    for _ in range(steps):
        theta, m, v = adam_step(theta, grad_fn(theta), m, v, 1, lr, beta_1, beta_2, epsilon)
        path.append(theta)
    return np.array(path)
'''

RUN_ADAM_T_FROM_ZERO = '''
def run_adam(grad_fn, theta0, steps, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    # misconception: counts the steps from t = 0, so the first bias correction divides by zero
    theta = np.array(theta0, dtype=float)
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    path = [theta]
    for t in range(steps):
        theta, m, v = adam_step(theta, grad_fn(theta), m, v, t, lr, beta_1, beta_2, epsilon)
        path.append(theta)
    return np.array(path)
'''

NADAM_CONSTANT_MOMENTUM = '''
def nadam_step(theta, grad, m, v, u_product, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    # no momentum schedule: mu_t = beta_1 for every t
    u_product = u_product * beta_1
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad ** 2
    m_hat = beta_1 * m / (1 - u_product * beta_1) + (1 - beta_1) * grad / (1 - u_product)
    return theta - lr * m_hat / (np.sqrt(v / (1 - beta_2 ** t)) + epsilon), m, v, u_product
'''

NADAM_WITHOUT_LOOKAHEAD = '''
def nadam_step(theta, grad, m, v, u_product, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    # misconception: the schedule and its product, but Adam's first moment without Nesterov's look-ahead
    mu = beta_1 * (1 - 0.5 * 0.96 ** t)
    u_product = u_product * mu
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad ** 2
    return theta - lr * (m / (1 - u_product)) / (np.sqrt(v / (1 - beta_2 ** t)) + epsilon), m, v, u_product
'''

_STUDY = '''
def quadratic_study(kappa, angle, steps):
    c, s = np.cos(angle), np.sin(angle)
    rotation = np.array([[c, -s], [s, c]])
    A = {matrix}
    loss = lambda th: 0.5 * th @ A @ th
    start = np.array([1.0, 1.0])
    theta = start.copy()
    for _ in range(steps):
        theta = theta - {gd_rate} * A @ theta
    results = {{"gd": float(loss(theta) / loss(start))}}
    root = np.sqrt(kappa)
    theta, velocity = start.copy(), np.zeros(2)
    for _ in range(steps):
        theta, velocity = momentum_step(theta, A @ theta, velocity, 4 / (root + 1) ** 2, ((root - 1) / (root + 1)) ** 2)
    results["momentum"] = float(loss(theta) / loss(start))
    theta = run_adam(lambda th: A @ th, start, steps, 0.01)[-1]
    results["adam"] = float(loss(theta) / loss(start))
    return results
'''

# Gradient descent with the learning rate 1 / (1 + kappa) instead of 1 / kappa: the visible test's value is wrong.
STUDY_WRONG_RATE = _STUDY.format(matrix="rotation @ np.diag([1.0, kappa]) @ rotation.T", gd_rate="1 / (1 + kappa)")
# misconception: the rotation is left out, A = diag(1, kappa) (right for the visible test's angle 0)
STUDY_IGNORES_THE_ANGLE = _STUDY.format(matrix="np.diag([1.0, kappa])", gd_rate="1 / kappa")

SYNTAX_ERROR = '''
def adam_step(theta, grad, m, v, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad ** 2
    return theta - lr * m / (np.sqrt(v) + epsilon, m, v
'''

MANUAL = "conclusion"
ALL_TESTS = {"test_momentum_step", "test_nesterov_step", "test_adagrad_step", "test_rmsprop_step",
             "test_adam_step", "test_run_adam", "test_nadam_step", "test_quadratic_study", MANUAL}


def _broken(*tests):
    return frozenset({MANUAL, *tests})

SUBMISSIONS = [
    Submission("full_solution", broken_tests=_broken()),
    Submission("blank_release", blank=True, broken_tests=frozenset(ALL_TESTS)),
    Submission("wrong_momentum_step", {"momentum_step": EMA_MOMENTUM}, _broken("test_momentum_step")),
    Submission("wrong_nesterov_step", {"nesterov_step": NESTEROV_WITHOUT_LOOKAHEAD}, _broken("test_nesterov_step")),
    Submission("wrong_adagrad_step", {"adagrad_step": ADAGRAD_EPSILON_OUTSIDE}, _broken("test_adagrad_step")),
    Submission("wrong_rmsprop_step", {"rmsprop_step": RMSPROP_SWAPPED_RHO}, _broken("test_rmsprop_step")),
    # Without bias correction run_adam's visible test still passes (it only needs progress towards 0).
    Submission("wrong_adam_step", {"adam_step": ADAM_NO_BIAS_CORRECTION}, _broken("test_adam_step")),
    Submission("wrong_run_adam", {"run_adam": RUN_ADAM_T_NEVER_ADVANCES}, _broken("test_run_adam")),
    # A syntax error leaves adam_step undefined: its own test fails, and so do the visible tests of run_adam and
    # quadratic_study, which call the student's run_adam and through it the student's adam_step.
    Submission("syntax_error", {"adam_step": SYNTAX_ERROR}, _broken("test_adam_step", "test_run_adam",
                                                                    "test_quadratic_study")),
    Submission("wrong_nadam_step", {"nadam_step": NADAM_CONSTANT_MOMENTUM}, _broken("test_nadam_step")),
    Submission("wrong_quadratic_study", {"quadratic_study": STUDY_WRONG_RATE}, _broken("test_quadratic_study")),
    Submission("misconception_adam_corrects_m_only", {"adam_step": ADAM_CORRECTS_M_ONLY},
               _broken("test_adam_step")),
    Submission("misconception_adam_t_from_zero", {"run_adam": RUN_ADAM_T_FROM_ZERO}, _broken("test_run_adam")),
    Submission("misconception_adam_textbook_epsilon", {"adam_step": ADAM_TEXTBOOK_EPSILON},
               _broken("test_adam_step")),
    Submission("misconception_nadam_without_lookahead", {"nadam_step": NADAM_WITHOUT_LOOKAHEAD},
               _broken("test_nadam_step")),
    Submission("misconception_study_ignores_the_angle", {"quadratic_study": STUDY_IGNORES_THE_ANGLE},
               _broken("test_quadratic_study")),
]
