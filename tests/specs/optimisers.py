"""Simulated class for the optimisers assignment (13 points).

Test cells and points: test_momentum_step 2, test_nesterov_step 2, test_adagrad_step 2,
test_rmsprop_step 2, test_adam_step 2, test_run_adam 3. Hidden tests compare 12- to
25-step trajectories with keras.optimizers in float64; the test of run_adam swaps in a
reference adam_step, so a wrong adam_step costs only its own points.
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

SYNTAX_ERROR = '''
def adam_step(theta, grad, m, v, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad ** 2
    return theta - lr * m / (np.sqrt(v) + epsilon, m, v
'''

ALL_TESTS = {"test_momentum_step", "test_nesterov_step", "test_adagrad_step", "test_rmsprop_step",
             "test_adam_step", "test_run_adam"}

SUBMISSIONS = [
    Submission("full_solution"),
    Submission("blank_release", blank=True, broken_tests=frozenset(ALL_TESTS)),
    Submission("wrong_momentum_step", {"momentum_step": EMA_MOMENTUM}, frozenset({"test_momentum_step"})),
    Submission("wrong_nesterov_step", {"nesterov_step": NESTEROV_WITHOUT_LOOKAHEAD}, frozenset({"test_nesterov_step"})),
    Submission("wrong_adagrad_step", {"adagrad_step": ADAGRAD_EPSILON_OUTSIDE}, frozenset({"test_adagrad_step"})),
    Submission("wrong_rmsprop_step", {"rmsprop_step": RMSPROP_SWAPPED_RHO}, frozenset({"test_rmsprop_step"})),
    # Without bias correction run_adam's visible test still passes (it only needs progress towards 0).
    Submission("wrong_adam_step", {"adam_step": ADAM_NO_BIAS_CORRECTION}, frozenset({"test_adam_step"})),
    Submission("wrong_run_adam", {"run_adam": RUN_ADAM_T_NEVER_ADVANCES}, frozenset({"test_run_adam"})),
    # A syntax error leaves adam_step undefined: its own test fails, and so does run_adam's visible test,
    # which calls run_adam and through it the student's adam_step.
    Submission("syntax_error", {"adam_step": SYNTAX_ERROR}, frozenset({"test_adam_step", "test_run_adam"})),
    Submission("misconception_adam_corrects_m_only", {"adam_step": ADAM_CORRECTS_M_ONLY},
               frozenset({"test_adam_step"})),
    Submission("misconception_adam_t_from_zero", {"run_adam": RUN_ADAM_T_FROM_ZERO}, frozenset({"test_run_adam"})),
    Submission("misconception_adam_textbook_epsilon", {"adam_step": ADAM_TEXTBOOK_EPSILON},
               frozenset({"test_adam_step"})),
]
