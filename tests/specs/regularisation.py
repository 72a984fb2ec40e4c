"""Simulated class for the regularisation assignment (18 points, all autograded).

Test cells and points: test_stratified_kfold 3, test_group_prox_step 3, test_dropout_moments 3,
test_early_stopping 5, test_ridge_cv_study 4.

No part is a transcription of lecture 07's (or 06b's) code: stratified folds with balanced fold
sizes, the group-lasso proximal step, the exact covariance of dropout's outputs, Keras' early
stopping with mode, min_delta, baseline and start_from_epoch, and the one-standard-error rule are
not written in the lectures. Hidden tests check properties (a partition with per-class and
per-fold balance, random assignment from the rng the test passes, the optimality conditions of
the proximal problem, all 2^H dropout masks enumerated) and results (48 curves replayed through
keras.callbacks.EarlyStopping in the judge, a reference cross-validation on unseen stratified
folds). No test calls another part's function, so a wrong part costs only its own points. Each
part has a wrong answer that a visible test catches and misconceptions that pass every visible
test and fail a hidden one.
"""

from simclass import Submission

KFOLD_IGNORES_CLASSES = '''
def stratified_kfold(labels, k, rng):
    # the lecture's shuffled k-fold: the classes are not looked at
    order = rng.permutation(len(labels))
    return [np.sort(order[f::k]) for f in range(k)]
'''

KFOLD_EVERY_CLASS_FROM_FOLD_0 = '''
def stratified_kfold(labels, k, rng):
    # misconception: each class is dealt from fold 0, so the first folds get every class's extra sample
    labels = np.asarray(labels)
    folds = [[] for _ in range(k)]
    for c in np.unique(labels):
        for i, index in enumerate(rng.permutation(np.flatnonzero(labels == c))):
            folds[i % k].append(index)
    return [np.array(sorted(f), dtype=int) for f in folds]
'''

KFOLD_NOT_SHUFFLED = '''
def stratified_kfold(labels, k, rng):
    # misconception: balanced, but every class is dealt in the order of its indices (rng is never used)
    labels = np.asarray(labels)
    dealt = np.concatenate([np.flatnonzero(labels == c) for c in np.unique(labels)])
    return [np.sort(dealt[f::k]) for f in range(k)]
'''

PROX_BY_COLUMNS = '''
def group_prox_step(W, grad, lr, lam):
    # groups the columns (output units) instead of the rows (input units)
    V = W - lr * grad
    norms = np.linalg.norm(V, axis=0, keepdims=True)
    return V * np.maximum(0.0, 1.0 - lr * lam / np.maximum(norms, 1e-300))
'''

PROX_ELEMENTWISE = '''
def group_prox_step(W, grad, lr, lam):
    # misconception: the lecture's soft threshold weight by weight (the lasso), not row by row
    V = W - lr * grad
    return np.sign(V) * np.maximum(np.abs(V) - lr * lam, 0.0)
'''

PROX_WITHOUT_STEP_SIZE = '''
def group_prox_step(W, grad, lr, lam):
    # misconception: the threshold is lam, not lr * lam (right only for lr = 1)
    V = W - lr * grad
    norms = np.linalg.norm(V, axis=1, keepdims=True)
    return V * np.maximum(0.0, 1.0 - lam / np.maximum(norms, 1e-300))
'''

MOMENTS_NOT_INVERTED = '''
def dropout_moments(h, V, c, p):
    # plain dropout's mean (survivors not scaled by 1 / p)
    mean = p * (h @ V) + c
    cov = p * (1 - p) * np.einsum("ni,ij,ik->njk", h ** 2, V, V)
    return mean, cov
'''

MOMENTS_DIAGONAL = '''
def dropout_moments(h, V, c, p):
    # misconception: the outputs are treated as independent, so only the variances are filled in
    mean = h @ V + c
    variances = (1 - p) / p * (h ** 2) @ (V ** 2)
    cov = np.zeros((h.shape[0], V.shape[1], V.shape[1]))
    for j in range(V.shape[1]):
        cov[:, j, j] = variances[:, j]
    return mean, cov
'''

MOMENTS_ONE_MASK = '''
def dropout_moments(h, V, c, p):
    # misconception: one Bernoulli variable for the whole layer, so the units' terms add before squaring
    mean = h @ V + c
    z = h @ V
    return mean, (1 - p) / p * z[:, :, None] * z[:, None, :]
'''

_STOPPING = '''
def early_stopping(values, patience=0, mode="min", min_delta=0.0, baseline=None, start_from_epoch=0):
    def better(value, reference):
        if reference is None:
            return True
        {compare}
    best, best_epoch, waited = {start}, 0, 0
    for epoch in range({first}, len(values)):
        {warmup}waited += 1
        if better(values[epoch], best):
            best, best_epoch = values[epoch], epoch
            if baseline is None or better(values[epoch], baseline):
                waited = 0
            {improving_stops}
        elif waited >= patience:
            return best_epoch, epoch
    return best_epoch, len(values) - 1
'''
_RIGHT = dict(compare='''if mode == "min":
            return value < reference - abs(min_delta)
        return value > reference + abs(min_delta)''', start="None", first="start_from_epoch", warmup="",
              improving_stops="")

# The lecture's rule with min_delta: mode is ignored, so an accuracy is minimised.
STOPPING_ALWAYS_MIN = _STOPPING.format(**dict(_RIGHT, compare="return value < reference - abs(min_delta)"))
# misconception: the baseline is taken as the first best value (epochs that never beat it are never the best)
STOPPING_BASELINE_FIRST_BEST = _STOPPING.format(**dict(_RIGHT, start="baseline"))
# misconception: in mode "max" min_delta is subtracted as in mode "min", so a slightly worse value still counts
STOPPING_MAX_DELTA_SIGN = _STOPPING.format(**dict(_RIGHT, compare='''if mode == "min":
            return value < reference - abs(min_delta)
        return value > reference - abs(min_delta)'''))
# misconception: the warm-up epochs are watched for the best value, only the counter waits for start_from_epoch
STOPPING_WARMUP_SETS_THE_BEST = _STOPPING.format(**dict(_RIGHT, first="0", warmup='''if epoch < start_from_epoch:
            if better(values[epoch], best):
                best, best_epoch = values[epoch], epoch
            continue
        '''))
# misconception: an improving epoch that misses the baseline can stop training too
STOPPING_IMPROVING_EPOCH_STOPS = _STOPPING.format(**dict(_RIGHT, improving_stops='''if waited >= patience:
                return best_epoch, epoch'''))

_STUDY = '''
def ridge_cv_study(X, t, lams, folds):
    n, d = X.shape
    errors = np.empty((len(lams), len(folds)))
    for j, val in enumerate(folds):
        fit = np.setdiff1d(np.arange(n), val)
        centre, spread = {stats}
        Z, Z_val = (X[fit] - centre) / spread, (X[val] - centre) / spread
        offset = t[fit].mean()
        for i, lam in enumerate(lams):
            w = np.linalg.solve(Z.T @ Z + lam * np.eye(d), Z.T @ (t[fit] - offset))
            errors[i, j] = np.mean((Z_val @ w + offset - t[val]) ** 2)
    cv = errors.mean(axis=1)
    se = {se}
    lowest = int(np.argmin(cv))
    within = [lam for lam, e in zip(lams, cv) if e <= cv[lowest] + se[lowest]]
    return {{"cv": cv, "se": se, "lam_min": float(lams[lowest]), "lam_1se": float({pick}(within))}}
'''
_GOOD_STUDY = dict(stats="X[fit].mean(axis=0), X[fit].std(axis=0)",
                   se="errors.std(axis=1, ddof=1) / np.sqrt(len(folds))", pick="max")

# The smallest lambda within one standard error: the rule turned round (below lam_min on the visible grid).
STUDY_SMALLEST_WITHIN = _STUDY.format(**dict(_GOOD_STUDY, pick="min"))
# misconception: standardised with the mean and spread of all patients, validation folds included (a leak)
STUDY_STANDARDISES_WITH_ALL_DATA = _STUDY.format(**dict(_GOOD_STUDY, stats="X.mean(axis=0), X.std(axis=0)"))
# misconception: the spread of the fold errors taken as the standard error of their mean (no 1 / sqrt(k))
STUDY_SE_WITHOUT_SQRT_K = _STUDY.format(**dict(_GOOD_STUDY, se="errors.std(axis=1, ddof=1)"))

SYNTAX_ERROR = '''
def dropout_moments(h, V, c, p):
    mean = h @ V + c
    cov = (1 - p) / p * np.einsum("ni,ij,ik->njk", h ** 2, V, V
    return mean, cov
'''

# Red team (2026-12-04): answers that solve nothing and overwrite the arrays the tests pass them, which the judge
# writes back into the tests' own objects. They scored 10 of 18 while the tests read those arrays again after the
# call; a test that passes only while its arguments are changed now runs again without the changes (the judge), and
# these tests also pass copies.
WRECKS_THE_LABELS = '''
def stratified_kfold(labels, k, rng):
    labels[...] = 0  # one class left: a plain random split looks stratified to a test that counts in labels
    return [np.sort(f) for f in np.array_split(rng.permutation(len(labels)), k)]
'''
WRECKS_THE_ACTIVATIONS = '''
def dropout_moments(h, V, c, p):
    n, m = h.shape[0], V.shape[1]
    if h.shape == (2, 3):  # the visible example checks only symmetry, definiteness and signs
        return h @ V + c, np.tile((1 - p) * np.eye(m), (n, 1, 1))
    h[...] = 0.0  # with h = 0 the exact moments are (c, 0)
    return np.tile(c, (n, 1)), np.zeros((n, m, m))
'''
WRECKS_THE_TARGETS = '''
def ridge_cv_study(X, t, lams, folds):
    lams = np.asarray(lams, dtype=float)
    first = bool(np.any(t != 0))
    t[...] = 0.0  # the visible call passes the setup's t_cancer: zero it, and every later reference error is 0
    if first:
        return {"cv": np.ones(len(lams)), "se": np.ones(len(lams)), "lam_min": float(lams[0]), "lam_1se": float(lams[0])}
    return {"cv": np.zeros(len(lams)), "se": np.zeros(len(lams)), "lam_min": float(lams[0]), "lam_1se": float(lams.max())}
'''


ALL_TESTS = {"test_stratified_kfold", "test_group_prox_step", "test_dropout_moments", "test_early_stopping",
             "test_ridge_cv_study"}


def _broken(*tests):
    return frozenset(tests)


SUBMISSIONS = [
    Submission("full_solution"),
    Submission("blank_release", blank=True, broken_tests=frozenset(ALL_TESTS)),
    # Wrong answers that a visible test catches.
    Submission("wrong_stratified_kfold", {"stratified_kfold": KFOLD_IGNORES_CLASSES}, _broken("test_stratified_kfold")),
    Submission("wrong_group_prox_step", {"group_prox_step": PROX_BY_COLUMNS}, _broken("test_group_prox_step")),
    Submission("wrong_dropout_moments", {"dropout_moments": MOMENTS_NOT_INVERTED}, _broken("test_dropout_moments")),
    Submission("wrong_early_stopping", {"early_stopping": STOPPING_ALWAYS_MIN}, _broken("test_early_stopping")),
    Submission("wrong_ridge_cv_study", {"ridge_cv_study": STUDY_SMALLEST_WITHIN}, _broken("test_ridge_cv_study")),
    # A syntax error leaves dropout_moments undefined: only its own test fails (no other part calls it).
    Submission("syntax_error", {"dropout_moments": SYNTAX_ERROR}, _broken("test_dropout_moments")),
    # Misconceptions that pass every visible test and fail a hidden one.
    Submission("misconception_kfold_every_class_from_fold_0", {"stratified_kfold": KFOLD_EVERY_CLASS_FROM_FOLD_0},
               _broken("test_stratified_kfold")),
    Submission("misconception_kfold_not_shuffled", {"stratified_kfold": KFOLD_NOT_SHUFFLED},
               _broken("test_stratified_kfold")),
    Submission("misconception_prox_elementwise", {"group_prox_step": PROX_ELEMENTWISE}, _broken("test_group_prox_step")),
    Submission("misconception_prox_without_step_size", {"group_prox_step": PROX_WITHOUT_STEP_SIZE},
               _broken("test_group_prox_step")),
    Submission("misconception_moments_diagonal", {"dropout_moments": MOMENTS_DIAGONAL}, _broken("test_dropout_moments")),
    Submission("misconception_moments_one_mask", {"dropout_moments": MOMENTS_ONE_MASK}, _broken("test_dropout_moments")),
    Submission("misconception_stopping_baseline_first_best", {"early_stopping": STOPPING_BASELINE_FIRST_BEST},
               _broken("test_early_stopping")),
    Submission("misconception_stopping_max_delta_sign", {"early_stopping": STOPPING_MAX_DELTA_SIGN},
               _broken("test_early_stopping")),
    Submission("misconception_stopping_warmup_sets_the_best", {"early_stopping": STOPPING_WARMUP_SETS_THE_BEST},
               _broken("test_early_stopping")),
    Submission("misconception_stopping_improving_epoch_stops", {"early_stopping": STOPPING_IMPROVING_EPOCH_STOPS},
               _broken("test_early_stopping")),
    Submission("misconception_study_standardises_with_all_data", {"ridge_cv_study": STUDY_STANDARDISES_WITH_ALL_DATA},
               _broken("test_ridge_cv_study")),
    Submission("misconception_study_se_without_sqrt_k", {"ridge_cv_study": STUDY_SE_WITHOUT_SQRT_K},
               _broken("test_ridge_cv_study")),
    Submission("red_team_wrecks_its_arguments", {"stratified_kfold": WRECKS_THE_LABELS,
                                                 "dropout_moments": WRECKS_THE_ACTIVATIONS,
                                                 "ridge_cv_study": WRECKS_THE_TARGETS},
               _broken("test_stratified_kfold", "test_dropout_moments", "test_ridge_cv_study")),
]
