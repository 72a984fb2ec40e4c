"""Simulated class for the regularisation assignment (18 points).

Test cells and points: test_train_val_test_indices 3, test_l2_penalty 1, test_l2_gradient 1,
test_dropout 3, test_early_stopping 4, test_build_and_train 6. No test calls another part's
function, so one wrong part costs only its own points; the Keras part is seeded and deterministic.
"""

from simclass import Submission

SPLIT_WITHOUT_SHUFFLE = '''
def train_val_test_indices(n, rng):
    # forgets to shuffle: sorted data would give a biased split
    order = np.arange(n)
    n_val, n_test = n // 5, n // 10
    n_train = n - n_val - n_test
    return order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:]
'''

SPLIT_ROUNDS_THE_SIZES = '''
def train_val_test_indices(n, rng):
    # misconception: rounds 20 % and 10 % instead of the stated n // 5 and n // 10 (right for n = 50, wrong for n = 33)
    order = rng.permutation(n)
    n_val, n_test = round(0.2 * n), round(0.1 * n)
    return order[n_val + n_test:], order[:n_val], order[n_val:n_val + n_test]
'''

PENALTY_WITH_BIASES = '''
def l2_penalty(params, lam):
    # penalises the biases too
    return float(lam / 2 * sum(np.sum(value ** 2) for value in params.values()))
'''

GRADIENT_WITHOUT_HALF = '''
def l2_gradient(params, lam):
    # differentiates lam * |W|^2 instead of (lam / 2) * |W|^2
    return {name: 2 * lam * value if name.startswith("W") else np.zeros_like(value) for name, value in params.items()}
'''

DROPOUT_WITHOUT_SCALING = '''
def dropout(x, p, rng, training=True):
    # misconception: forgets to divide the survivors by p, so the expected activation shrinks
    if not training:
        return x
    keep = rng.random(x.shape) < p
    return x * keep
'''

DROPOUT_KEEPS_WITH_1_MINUS_P = '''
def dropout(x, p, rng, training=True):
    # treats p as the drop probability
    if not training:
        return x
    keep = rng.random(x.shape) >= p
    return x * keep / (1 - p)
'''

STOPPING_TIES_IMPROVE = '''
def early_stopping(val_losses, patience):
    # misconception: a tie counts as an improvement
    best, waited = 0, 0
    for epoch in range(1, len(val_losses)):
        if val_losses[epoch] <= val_losses[best]:
            best, waited = epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return best, epoch
    return best, len(val_losses) - 1
'''

STRAIGHT_LINE = '''
def build_and_train(x_train, t_train, x_val, t_val):
    # too little capacity: a straight line cannot follow a sine
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    model.fit(np.tile(x_train, 300)[:, None], np.tile(t_train, 300), epochs=1, batch_size=30, verbose=0)
    return model
'''

DROPOUT_WITH_ITS_OWN_SEED = '''
def dropout(x, p, rng, training=True):
    # misconception: a generator of its own, so every call draws the same mask whatever rng is passed
    if not training:
        return x
    keep = np.random.default_rng(0).random(x.shape) < p
    return x * keep / p
'''

SYNTAX_ERROR = '''
def dropout(x, p, rng, training=True):
    keep = rng.random(x.shape) < p
    return x * keep / p)
'''

ALL_TESTS = {"test_train_val_test_indices", "test_l2_penalty", "test_l2_gradient", "test_dropout",
             "test_early_stopping", "test_build_and_train"}

SUBMISSIONS = [
    Submission("full_solution"),
    Submission("blank_release", blank=True, broken_tests=frozenset(ALL_TESTS)),
    Submission("wrong_train_val_test_indices", {"train_val_test_indices": SPLIT_WITHOUT_SHUFFLE},
               frozenset({"test_train_val_test_indices"})),
    Submission("wrong_l2_penalty", {"l2_penalty": PENALTY_WITH_BIASES}, frozenset({"test_l2_penalty"})),
    Submission("wrong_l2_gradient", {"l2_gradient": GRADIENT_WITHOUT_HALF}, frozenset({"test_l2_gradient"})),
    Submission("wrong_dropout", {"dropout": DROPOUT_KEEPS_WITH_1_MINUS_P}, frozenset({"test_dropout"})),
    Submission("wrong_early_stopping", {"early_stopping": STOPPING_TIES_IMPROVE}, frozenset({"test_early_stopping"})),
    Submission("wrong_build_and_train", {"build_and_train": STRAIGHT_LINE}, frozenset({"test_build_and_train"})),
    # A syntax error leaves only dropout undefined, and no other test calls dropout.
    Submission("syntax_error", {"dropout": SYNTAX_ERROR}, frozenset({"test_dropout"})),
    Submission("misconception_dropout_without_scaling", {"dropout": DROPOUT_WITHOUT_SCALING},
               frozenset({"test_dropout"})),
    Submission("misconception_split_rounds_sizes", {"train_val_test_indices": SPLIT_ROUNDS_THE_SIZES},
               frozenset({"test_train_val_test_indices"})),
    Submission("misconception_dropout_own_seed", {"dropout": DROPOUT_WITH_ITS_OWN_SEED}, frozenset({"test_dropout"})),
]
