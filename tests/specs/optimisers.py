"""Simulated class for the optimisers assignment (18 points, 16 autograded).

Test cells and points: test_amsgrad_step 2, test_adamax_step 3, test_lion_step 2,
test_adadelta_step 3, test_nadam_step 3, test_quadratic_study 3; the written answer
`conclusion` (2 points) is a manually graded Markdown cell that adds 0 until a grader scores
it, so every submission lists it among its broken tests.

No part is a transcription of lecture 06's code: AMSGrad, Adamax, Lion, Adadelta and Nadam
are optimisers the lectures do not write. Hidden tests compare 15- to 25-step trajectories
with keras.optimizers (Adam with amsgrad=True, Adamax, Lion, Adadelta, Nadam) in float64,
on unseen shapes and hyper-parameters; the test of quadratic_study swaps in reference
versions of the given momentum_step, adam_step and run_adam. No part calls another, so a
wrong answer costs only its own points. Each part has a wrong answer that a visible test
catches and misconceptions that pass every visible test and fail a hidden one.
"""

from simclass import Submission

AMSGRAD_PLAIN_ADAM = '''
def amsgrad_step(theta, grad, m, v, v_max, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    # Adam's step: the maximum is kept but never used (a visible test gives a large v_max)
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad ** 2
    alpha = lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    return theta - alpha * m / (np.sqrt(v) + epsilon), m, v, np.maximum(v_max, v)
'''

AMSGRAD_CORRECTED_MAXIMUM = '''
def amsgrad_step(theta, grad, m, v, v_max, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    # misconception: the maximum of the bias-corrected v_hat, not of Keras' uncorrected v
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad ** 2
    v_max = np.maximum(v_max, v / (1 - beta_2 ** t))
    return theta - lr / (1 - beta_1 ** t) * m / (np.sqrt(v_max) + epsilon), m, v, v_max
'''

AMSGRAD_MAXIMUM_FED_BACK = '''
def amsgrad_step(theta, grad, m, v, v_max, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    # misconception: the maximum replaces v, so the moving average continues from the maximum
    m = beta_1 * m + (1 - beta_1) * grad
    v = np.maximum(v_max, beta_2 * v + (1 - beta_2) * grad ** 2)
    alpha = lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    return theta - alpha * m / (np.sqrt(v) + epsilon), m, v, v
'''

ADAMAX_CORRECTS_U = '''
def adamax_step(theta, grad, m, u, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    # Adam's habit carried over: u bias-corrected like v (the first step is then far too small)
    m = beta_1 * m + (1 - beta_1) * grad
    u = np.maximum(beta_2 * u, np.abs(grad))
    return theta - lr / (1 - beta_1 ** t) * m / (u / (1 - beta_2 ** t) + epsilon), m, u
'''

ADAMAX_WITHOUT_EPSILON = '''
def adamax_step(theta, grad, m, u, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    # misconception: the paper's Algorithm 2, which has no epsilon (the hidden tests use large ones)
    m = beta_1 * m + (1 - beta_1) * grad
    u = np.maximum(beta_2 * u, np.abs(grad))
    return theta - lr / (1 - beta_1 ** t) * m / u, m, u
'''

ADAMAX_U_NEVER_DECAYS = '''
def adamax_step(theta, grad, m, u, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    # misconception: the limit taken without the decay, u = the largest gradient ever seen
    m = beta_1 * m + (1 - beta_1) * grad
    u = np.maximum(u, np.abs(grad))
    return theta - lr / (1 - beta_1 ** t) * m / (u + epsilon), m, u
'''

LION_WITHOUT_SIGN = '''
def lion_step(theta, grad, m, lr, beta_1=0.9, beta_2=0.99):
    # the blend itself as the step: no sign, so the steps are not of the size lr
    step = beta_1 * m + (1 - beta_1) * grad
    return theta - lr * step, beta_2 * m + (1 - beta_2) * grad
'''

LION_MOMENTUM_FIRST = '''
def lion_step(theta, grad, m, lr, beta_1=0.9, beta_2=0.99):
    # misconception: the momentum is updated before the step, and the blend uses the new one
    m = beta_2 * m + (1 - beta_2) * grad
    return theta - lr * np.sign(beta_1 * m + (1 - beta_1) * grad), m
'''

LION_ONE_COEFFICIENT = '''
def lion_step(theta, grad, m, lr, beta_1=0.9, beta_2=0.99):
    # misconception: signed momentum with beta_1 for both jobs (beta_2 unused)
    m = beta_1 * m + (1 - beta_1) * grad
    return theta - lr * np.sign(m), m
'''

ADADELTA_UPHILL = '''
def adadelta_step(theta, grad, grad_avg, update_avg, lr, rho=0.95, epsilon=1e-7):
    # the sign of the update is lost: the parameters move up the gradient
    grad_avg = rho * grad_avg + (1 - rho) * grad ** 2
    update = np.sqrt(update_avg + epsilon) / np.sqrt(grad_avg + epsilon) * grad
    update_avg = rho * update_avg + (1 - rho) * update ** 2
    return theta + lr * update, grad_avg, update_avg
'''

ADADELTA_WITHOUT_LEARNING_RATE = '''
def adadelta_step(theta, grad, grad_avg, update_avg, lr, rho=0.95, epsilon=1e-7):
    # misconception: the paper's update, which has no learning rate (right only for lr = 1)
    grad_avg = rho * grad_avg + (1 - rho) * grad ** 2
    update = -np.sqrt(update_avg + epsilon) / np.sqrt(grad_avg + epsilon) * grad
    update_avg = rho * update_avg + (1 - rho) * update ** 2
    return theta + update, grad_avg, update_avg
'''

ADADELTA_ACCUMULATES_SCALED_UPDATE = '''
def adadelta_step(theta, grad, grad_avg, update_avg, lr, rho=0.95, epsilon=1e-7):
    # misconception: the average of the parameter change lr * update, not of Keras' unscaled update
    grad_avg = rho * grad_avg + (1 - rho) * grad ** 2
    change = -lr * np.sqrt(update_avg + epsilon) / np.sqrt(grad_avg + epsilon) * grad
    update_avg = rho * update_avg + (1 - rho) * change ** 2
    return theta + change, grad_avg, update_avg
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
def lion_step(theta, grad, m, lr, beta_1=0.9, beta_2=0.99):
    direction = np.sign(beta_1 * m + (1 - beta_1) * grad
    return theta - lr * direction, beta_2 * m + (1 - beta_2) * grad
'''

MANUAL = "conclusion"
ALL_TESTS = {"test_amsgrad_step", "test_adamax_step", "test_lion_step", "test_adadelta_step", "test_nadam_step",
             "test_quadratic_study", MANUAL}


def _broken(*tests):
    return frozenset({MANUAL, *tests})

SUBMISSIONS = [
    Submission("full_solution", broken_tests=_broken()),
    Submission("blank_release", blank=True, broken_tests=frozenset(ALL_TESTS)),
    # Wrong answers that a visible test catches.
    Submission("wrong_amsgrad_step", {"amsgrad_step": AMSGRAD_PLAIN_ADAM}, _broken("test_amsgrad_step")),
    Submission("wrong_adamax_step", {"adamax_step": ADAMAX_CORRECTS_U}, _broken("test_adamax_step")),
    Submission("wrong_lion_step", {"lion_step": LION_WITHOUT_SIGN}, _broken("test_lion_step")),
    Submission("wrong_adadelta_step", {"adadelta_step": ADADELTA_UPHILL}, _broken("test_adadelta_step")),
    Submission("wrong_nadam_step", {"nadam_step": NADAM_CONSTANT_MOMENTUM}, _broken("test_nadam_step")),
    Submission("wrong_quadratic_study", {"quadratic_study": STUDY_WRONG_RATE}, _broken("test_quadratic_study")),
    # A syntax error leaves lion_step undefined: only its own test fails (no other part calls it).
    Submission("syntax_error", {"lion_step": SYNTAX_ERROR}, _broken("test_lion_step")),
    # Misconceptions that pass every visible test and fail a hidden trajectory against keras.optimizers.
    Submission("misconception_amsgrad_corrected_maximum", {"amsgrad_step": AMSGRAD_CORRECTED_MAXIMUM},
               _broken("test_amsgrad_step")),
    Submission("misconception_amsgrad_maximum_fed_back", {"amsgrad_step": AMSGRAD_MAXIMUM_FED_BACK},
               _broken("test_amsgrad_step")),
    Submission("misconception_adamax_without_epsilon", {"adamax_step": ADAMAX_WITHOUT_EPSILON},
               _broken("test_adamax_step")),
    Submission("misconception_adamax_u_never_decays", {"adamax_step": ADAMAX_U_NEVER_DECAYS},
               _broken("test_adamax_step")),
    Submission("misconception_lion_momentum_first", {"lion_step": LION_MOMENTUM_FIRST}, _broken("test_lion_step")),
    Submission("misconception_lion_one_coefficient", {"lion_step": LION_ONE_COEFFICIENT}, _broken("test_lion_step")),
    Submission("misconception_adadelta_without_learning_rate", {"adadelta_step": ADADELTA_WITHOUT_LEARNING_RATE},
               _broken("test_adadelta_step")),
    Submission("misconception_adadelta_accumulates_scaled_update", {"adadelta_step": ADADELTA_ACCUMULATES_SCALED_UPDATE},
               _broken("test_adadelta_step")),
    Submission("misconception_nadam_without_lookahead", {"nadam_step": NADAM_WITHOUT_LOOKAHEAD},
               _broken("test_nadam_step")),
    Submission("misconception_study_ignores_the_angle", {"quadratic_study": STUDY_IGNORES_THE_ANGLE},
               _broken("test_quadratic_study")),
]
