"""Simulated class for the Keras-workflow assignment (16 points: 14 autograded, 2 graded by hand).

Test cells and points: test_stratified_split 3, test_standardize 2, test_build_model 3, test_train 3,
test_fit_digits 3; comparison_answer 2 is a written answer graded by hand, so autograding gives it 0 in
every submission.

The parts are graded on their own as far as a workflow allows: Part 4 trains the notebook's own
`softmax_regression`, not the student's Part 3, and Part 5 runs the student's `fit_digits` with the
reference `standardize` swapped in, so a slip in Part 2 costs only Part 2. Part 5 does use the student's
`build_model` and `train` (the model must be built and trained where the student's code runs): a
`build_model` that cannot run, or builds an affine network (about 0.91 on the held-out digits with the
solution's settings), costs Part 5 as well, while one that outputs probabilities, or a `train` that keeps
the last weights or watches the training loss, still reaches the accuracy bound.
"""

from simclass import Submission

MANUAL = "comparison_answer"

# ---- Honest code in another style than the solution

STUDENT_SPLIT = '''
def stratified_split(labels, fractions, rng):
    # largest remainders per class; each sample gets the number of its part
    labels = np.asarray(labels)
    where = np.empty(len(labels), dtype=int)
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        rng.shuffle(idx)
        exact = np.asarray(fractions) * len(idx)
        counts = np.floor(exact).astype(int)
        counts[np.argsort(counts - exact)[:len(idx) - counts.sum()]] += 1
        where[idx] = np.repeat(np.arange(3), counts)
    return tuple(np.flatnonzero(where == k) for k in range(3))
'''

STUDENT_STANDARDIZE = '''
def standardize(X, train_idx):
    rows = X[train_idx]
    mean = rows.mean(0)
    scale = np.sqrt(((rows - mean) ** 2).mean(0))
    scale[scale == 0] = 1.0
    return (X - mean) / scale, mean, scale
'''

STUDENT_BUILD = '''
def build_model(n_inputs, n_classes, hidden, learning_rate):
    x = inputs = keras.Input((n_inputs,))
    for units in hidden:
        x = keras.layers.ReLU()(keras.layers.Dense(units)(x))
    model = keras.Model(inputs, keras.layers.Dense(n_classes)(x))
    model.compile(keras.optimizers.Adam(learning_rate), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model
'''

STUDENT_TRAIN = '''
def train(model, X_train, y_train, X_val, y_val, max_epochs, patience, batch_size):
    stop = keras.callbacks.EarlyStopping("val_loss", patience=patience, restore_best_weights=True)
    return model.fit(X_train, y_train, batch_size, max_epochs, verbose=0, callbacks=[stop],
                     validation_data=(X_val, y_val)).history
'''

STUDENT_FIT_DIGITS = '''
def fit_digits(X_train, y_train, X_val, y_val):
    mean = X_train.mean(axis=0)
    scale = np.where(X_train.std(axis=0) > 0, X_train.std(axis=0), 1.0)
    model = build_model(64, 10, [48], 0.02)
    train(model, ((X_train - mean) / scale).astype("float32"), y_train, ((X_val - mean) / scale).astype("float32"),
          y_val, 20, 2, 200)
    return model, mean, scale
'''

# ---- Part 1

# misconception: a random split of the right sizes is "random enough" (class shares vary by several samples)
NOT_STRATIFIED = '''
def stratified_split(labels, fractions, rng):
    n = len(labels)
    order = rng.permutation(n)
    a = int(round(fractions[0] * n))
    b = a + int(round(fractions[1] * n))
    return order[:a], order[a:b], order[b:]
'''

# misconception: int() for the validation and test counts, the rest to training (training gets up to 2 too many)
TRUNCATED_COUNTS = '''
def stratified_split(labels, fractions, rng):
    labels = np.asarray(labels)
    train, val, test = [], [], []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        n_val, n_test = int(fractions[1] * len(members)), int(fractions[2] * len(members))
        val.append(members[:n_val])
        test.append(members[n_val:n_val + n_test])
        train.append(members[n_val + n_test:])
    return np.concatenate(train), np.concatenate(val), np.concatenate(test)
'''

# misconception: reproducible means "seed a generator of my own" (every seed then gives the same split)
OWN_GENERATOR = '''
def stratified_split(labels, fractions, rng):
    rng = np.random.default_rng(0)
    labels = np.asarray(labels)
    parts = [[], [], []]
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        bounds = np.rint(np.cumsum(fractions)[:-1] * len(members)).astype(int)
        for part, chunk in zip(parts, np.split(members, bounds)):
            part.append(chunk)
    return tuple(np.concatenate(part) for part in parts)
'''

# ---- Part 2

# misconception: the statistics of all rows (validation and test data leak into training)
ALL_ROWS = '''
def standardize(X, train_idx):
    X = np.asarray(X, dtype=float)
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    scale = np.where(std > 0, std, 1.0)
    return (X - mean) / scale, mean, scale
'''

# a blank pixel divides 0 by 0
DIVIDES_BY_ZERO = '''
def standardize(X, train_idx):
    rows = np.asarray(X, dtype=float)[train_idx]
    mean, scale = rows.mean(axis=0), rows.std(axis=0)
    return (X - mean) / scale, mean, scale
'''

# ---- Part 3

# misconception: Dense layers are nonlinear by themselves (no activation: the network is affine)
NO_ACTIVATION = '''
def build_model(n_inputs, n_classes, hidden, learning_rate):
    model = keras.Sequential([keras.Input(shape=(n_inputs,))])
    for width in hidden:
        model.add(keras.layers.Dense(width))
    model.add(keras.layers.Dense(n_classes))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model
'''

# misconception: a classifier ends with a softmax (lecture 08, section 3): probabilities, not the logits asked for
SOFTMAX_OUTPUT = '''
def build_model(n_inputs, n_classes, hidden, learning_rate):
    layers = [keras.Input(shape=(n_inputs,))] + [keras.layers.Dense(w, activation="relu") for w in hidden]
    model = keras.Sequential(layers + [keras.layers.Dense(n_classes, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
'''

BUILD_SYNTAX_ERROR = '''
def build_model(n_inputs, n_classes, hidden, learning_rate):
    model = keras.Sequential([keras.Input(shape=(n_inputs,))]
    for width in hidden:
        model.add(keras.layers.Dense(width, activation="relu"))
    return model
'''

# ---- Part 4

# misconception: EarlyStopping alone hands back the best model (without restore_best_weights it keeps the last)
NO_RESTORE = '''
def train(model, X_train, y_train, X_val, y_val, max_epochs, patience, batch_size):
    stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience)
    history = model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=max_epochs, batch_size=batch_size,
                        callbacks=[stopping], verbose=0)
    return history.history
'''

# misconception: stop when the training loss stops falling (it keeps falling while the model overfits)
MONITORS_TRAINING_LOSS = '''
def train(model, X_train, y_train, X_val, y_val, max_epochs, patience, batch_size):
    stopping = keras.callbacks.EarlyStopping(monitor="loss", patience=patience, restore_best_weights=True)
    history = model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=max_epochs, batch_size=batch_size,
                        callbacks=[stopping], verbose=0)
    return history.history
'''

# ---- Part 5

# misconception: the statistics are returned, but the network is trained on the raw pixel counts
TRAINED_ON_RAW = '''
def fit_digits(X_train, y_train, X_val, y_val):
    _, mean, scale = standardize(X_train, np.arange(len(X_train)))
    model = build_model(64, 10, [64], 3e-2)
    train(model, X_train.astype("float32"), y_train, X_val.astype("float32"), y_val, 20, 2, 256)
    return model, mean, scale
'''

UNDERTRAINED = '''
def fit_digits(X_train, y_train, X_val, y_val):
    Z, mean, scale = standardize(np.concatenate([X_train, X_val]), np.arange(len(X_train)))
    Z = Z.astype("float32")
    model = build_model(64, 10, [8], 1e-4)
    train(model, Z[:len(X_train)], y_train, Z[len(X_train):], y_val, 2, 1, 256)
    return model, mean, scale
'''

ALL_TESTS = {"test_stratified_split", "test_standardize", "test_build_model", "test_train", "test_fit_digits",
             MANUAL}


def _broken(*tests):
    return frozenset({MANUAL, *tests})


SUBMISSIONS = [
    Submission("full_solution", broken_tests=_broken()),
    Submission("blank_release", blank=True, broken_tests=frozenset(ALL_TESTS)),
    Submission("other_style", {"stratified_split": STUDENT_SPLIT, "standardize": STUDENT_STANDARDIZE,
                               "build_model": STUDENT_BUILD, "train": STUDENT_TRAIN,
                               "fit_digits": STUDENT_FIT_DIGITS}, _broken()),
    Submission("misconception_split_not_stratified", {"stratified_split": NOT_STRATIFIED},
               _broken("test_stratified_split")),
    Submission("misconception_split_truncated_counts", {"stratified_split": TRUNCATED_COUNTS},
               _broken("test_stratified_split")),
    Submission("misconception_split_own_generator", {"stratified_split": OWN_GENERATOR},
               _broken("test_stratified_split")),
    Submission("misconception_standardize_all_rows", {"standardize": ALL_ROWS}, _broken("test_standardize")),
    # Part 5 is graded with the reference standardize swapped in, so it keeps its points.
    Submission("wrong_standardize_divides_by_zero", {"standardize": DIVIDES_BY_ZERO}, _broken("test_standardize")),
    # Trained as the solution's fit_digits trains it, the affine network stops at about 0.91 on the held-out digits.
    Submission("misconception_build_no_activation", {"build_model": NO_ACTIVATION},
               _broken("test_build_model", "test_fit_digits")),
    Submission("misconception_build_softmax_output", {"build_model": SOFTMAX_OUTPUT}, _broken("test_build_model")),
    Submission("misconception_train_no_restore", {"train": NO_RESTORE}, _broken("test_train")),
    Submission("misconception_train_monitors_training_loss", {"train": MONITORS_TRAINING_LOSS}, _broken("test_train")),
    Submission("misconception_fit_digits_trained_on_raw", {"fit_digits": TRAINED_ON_RAW}, _broken("test_fit_digits")),
    Submission("wrong_fit_digits_undertrained", {"fit_digits": UNDERTRAINED}, _broken("test_fit_digits")),
    # Without build_model, Part 5 cannot build a network either; Part 4 trains the notebook's own model.
    Submission("syntax_error", {"build_model": BUILD_SYNTAX_ERROR}, _broken("test_build_model", "test_fit_digits")),
]
