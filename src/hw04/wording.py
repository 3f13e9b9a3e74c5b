"""Small phrases for the f-strings of the notebook's answers: a list of seeds, a
count of runs, a range of values, how runs ended, so that a count of none or of
all reads as a person writes it. The answers themselves are in the notebook.
"""

NUMBERS = {0: "none", 1: "one", 2: "two", 3: "three", 4: "all four"}
SOLVER_NAMES = {"lbfgs": "L-BFGS", "sgd": "SGD"}
ACTIVATIONS = {"relu": "ReLU", "logistic": "logistic sigmoid"}


def seed_list(seeds):
    """'seeds 3, 5 and 9', 'seed 4' or 'no seed'."""
    seeds = [str(s) for s in seeds]
    if len(seeds) < 2:
        return f"seed {seeds[0]}" if seeds else "no seed"
    return f"seeds {', '.join(seeds[:-1])} and {seeds[-1]}"


def some_runs(rows):
    """'all 3 runs', '1 run (seed 0)' or 'no run': ``rows`` are some of ``n`` runs,
    passed as ``(rows, n)``.
    """
    rows, n = rows
    if len(rows) == 0:
        return "no run"
    if len(rows) == n:
        return f"all {n} runs"
    return f"{len(rows)} run{'s' * (len(rows) > 1)} ({seed_list(rows['seed'])})"


def stops(rows, rule, max_iter):
    """Which runs the optimizer's ``rule`` stopped, which ``max_iter`` cut off, and
    in which of these the loss was still falling.
    """
    by_rule, cut = rows[rows["converged"]], rows[~rows["converged"]]
    falling = cut[cut["still_falling"]]
    still = f"; the loss of {seed_list(falling['seed'])} was still falling"
    still = still if len(falling) else ""
    if cut.empty:
        return f"{rule} stopped all {len(rows)} runs before max_iter = {max_iter}"
    if by_rule.empty:
        return f"max_iter = {max_iter} cut off all {len(rows)} runs{still}"
    return (
        f"{rule} stopped {some_runs((by_rule, len(rows)))}, max_iter = {max_iter} "
        f"cut off {some_runs((cut, len(rows)))}{still}"
    )


def failed_runs(rows):
    """The runs without zero training error, counted by the quadrants they fit; the
    counts add up to all of them.
    """
    failed = rows[~rows["zero_error"]]
    if failed.empty:
        return "no run fails"
    parts = []
    for k, group in failed.groupby("quadrants_fitted", sort=True):
        verb = "fits" if len(group) == 1 else "fit"
        what = "none" if k == 0 else f"{NUMBERS[k]} quadrant{'s' * (k > 1)}"
        parts.append((k, f"{len(group)} {verb} {what} ({seed_list(group['seed'])})"))
    parts = [text for _, text in sorted(parts, reverse=True)]
    lead = "all fail" if len(failed) == len(rows) else f"the other {len(failed)} fail"
    if len(failed) == 1:
        lead = "the one run fails" if len(rows) == 1 else "the other run fails"
    if len(parts) == 1:  # one kind of failure: no count to repeat
        only = parts[0].split(" ", 2)[2]  # '2 fit two quadrants (...)' -> 'two ...'
        every = "all " if len(failed) > 1 else ""
        return f"{lead}, {every}fitting {only}"
    return f"{lead}: {', '.join(parts[:-1])} and {parts[-1]}"


def exceptions(rows, unit):
    """'The exception is seed 4 (...), which ...': each run of ``rows`` and how it
    ended, or '' for no run.
    """
    told = []
    for _, run in rows.iterrows():
        how = "stopped by the rule after" if run["converged"] else "was cut off at"
        falling = ", its loss still falling" if run["still_falling"] else ""
        told.append(
            f"seed {run['seed']} ({run['predicts']}; error {run['train_error']:.3f}, "
            f"loss {run['final_loss']:.3f}), which {how} {run['n_iter']} {unit}"
            f"{falling}"
        )
    if not told:
        return ""
    lead = "The exception is" if len(told) == 1 else "The exceptions are"
    return f"{lead} {'; '.join(told)}."


def as_far(k, n, rate):
    """'6 or fewer of 16' below ``n * rate``, '12 or more of 16' above it."""
    return f"{k:g} or {'fewer' if k <= n * rate else 'more'} of {n:g}"


def span(low, high, fmt=".3f"):
    """'0.250-0.334', or one value where both read the same in ``fmt``."""
    low, high = f"{low:{fmt}}", f"{high:{fmt}}"
    return low if low == high else f"{low}-{high}"


def compared(a, b, names, fmt="g"):
    """'logistic 7 against ReLU 4': two values, the larger first; or 'a tie at 6'."""
    if a == b:
        return f"a tie at {a:{fmt}}"
    (high, first), (low, second) = sorted(zip((a, b), names), reverse=True)
    return f"{first} {high:{fmt}} against {second} {low:{fmt}}"


def of(k, n):
    """'none', 'all 6' or '2 of 6': a count of some of ``n`` runs."""
    return "none" if k == 0 else f"all {n}" if k == n else f"{k} of {n}"


def all_but(seeds):
    """'every seed but 3 and 15', or 'every seed' for no ``seeds``."""
    listed = seed_list(seeds).split(" ", 1)[1]
    return f"every seed but {listed}" if len(seeds) else "every seed"


def stayed_at_start(start, among, unit):
    """Which of the runs ``among`` stayed at their start (``start``), with the range
    of their constant probability, loss, training error and iterations; '' when
    ``among`` is empty.
    """
    if len(among) == 0:
        return ""
    lead = f"Of these, {some_runs((start, len(among)))}"
    if len(start) == 0:
        return f"{lead} stayed at its start."
    p = span(start["rest_p_low"].min(), start["rest_p_high"].max(), ".2f")
    loss = span(start["final_loss"].min(), start["final_loss"].max())
    error = span(start["train_error"].min(), start["train_error"].max())
    n_iter = span(start["n_iter"].min(), start["n_iter"].max(), "d")
    return (
        f"{lead} stayed at their start: p = {p} everywhere, loss {loss},\n"
        f"training error {error}, after {n_iter} {unit}."
    )


def gaps(table):
    """'+0.16 and +0.33 with 2 units; ...': each condition's L-BFGS and SGD gaps."""
    return "; ".join(
        f"{g['L-BFGS']:+.2f} and {g['SGD']:+.2f} with {condition}"
        for condition, g in table.iterrows()
    )


def solved_by_relu_only(runs):
    """'seeds 5 and 12 with L-BFGS and seed 3 with SGD': per solver, the seeds whose
    ReLU run reaches 0 training error and whose logistic run does not."""
    zero = runs.pivot(index="seed", columns="setting", values="zero_error")
    only = {s: zero[f"{s}-relu"] & ~zero[f"{s}-logistic"] for s in SOLVER_NAMES}
    return " and ".join(
        f"{seed_list(zero.index[only[s]])} with {label}"
        for s, label in SOLVER_NAMES.items()
    )


def _by_solver(facts, settings, column):
    """``{solver: {activation: value}}`` of a column of the facts table."""
    by = {}
    for name, est in settings.items():
        by.setdefault(est.solver, {})[est.activation] = facts.loc[name, column]
    return by


def per_solver(facts, settings, column):
    """'with L-BFGS, logistic 7 against ReLU 4; with SGD, a tie at 6': a column of
    the facts table compared between the activations, solver by solver."""
    return "; ".join(
        f"with {SOLVER_NAMES[solver]}, "
        f"{compared(pair['relu'], pair['logistic'], ('ReLU', 'logistic'))}"
        for solver, pair in _by_solver(facts, settings, column).items()
    )


def easier(zero_error):
    """Which activation has more runs with zero error (``{'relu': k, 'logistic':
    k}``).
    """
    if zero_error["relu"] == zero_error["logistic"]:
        return "Neither activation seems easier to optimize"
    best = max(ACTIVATIONS, key=lambda a: zero_error[a])
    return f"The {ACTIVATIONS[best]} seems easier to optimize"


def most_iterations(facts, settings):
    """Which activation requires the most iterations by median, or which one with
    each solver where the solvers disagree."""
    most = {
        solver: ACTIVATIONS[max(pair, key=pair.get)]
        if pair["relu"] != pair["logistic"]
        else "neither"
        for solver, pair in _by_solver(facts, settings, "median_iterations").items()
    }
    if len(set(most.values())) == 1 and "neither" not in most.values():
        return f"The {next(iter(most.values()))} requires the most iterations"
    per = "; ".join(f"with {SOLVER_NAMES[s]}, {a}" for s, a in most.items())
    return f"Which requires the most iterations depends on the solver ({per})"


def beyond_chance(gaps):
    """Which gaps of :func:`hw04.tables.activation_gaps` are beyond chance (p below
    0.05), and the p-values of the others.
    """
    within = [
        f"{solver} with {condition} (p = {row[f'{solver} p']:g})"
        for condition, row in gaps.iterrows()
        for solver in ("L-BFGS", "SGD")
        if row[f"{solver} p"] >= 0.05
    ]
    total = 2 * len(gaps)
    lead = (
        f"Fisher's exact test puts {total - len(within)} of the {total} gaps beyond "
        "chance (p < 0.05)"
    )
    return f"{lead}; within\nchance: {', '.join(within)}." if within else f"{lead}."


def yes_or_no(always):
    """5 (c)'s verdict: whether the logistic was easier in every comparison made,
    which still cannot show *always*.
    """
    return "Yes, in the conditions tried." if always else "No."


def experiments_skipped(params, by_fit, runs):
    """Why the experiments of 5 (c) did not run: ``appendix = False``, or the SGD
    settings ``by_fit`` that sklearn's own fit trained here, with the minutes
    their appendix runs would take by it (from their ``fit_seconds`` in ``runs``).
    """
    if not params.appendix:
        return "The experiments did not run (appendix = False)."
    seconds = runs.loc[runs["setting"].isin(by_fit), "fit_seconds"].sum()
    minutes = seconds * 4 * params.appendix_seeds / len(params.seeds) / 60
    return (
        f"The experiments did not run: the exact engine did not train "
        f"{', '.join(by_fit)} here, and sklearn's fit of their appendix runs would "
        f'take about {minutes:.0f} minutes; set engine = "sklearn" to run them anyway.'
    )


def time_near_a_plateau(facts, unit, relu=None):
    """The median share of iterations near a plateau, of the runs that solve and
    of the failed runs, from a setting's row of :func:`hw04.tables.setting_facts`
    (and of the runs that solve of its ReLU counterpart ``relu``); a group without
    runs is left out.
    """
    zero, failed = facts["near_plateau_zero"], facts["near_plateau_failed"]
    near = f"of their {unit} near a plateau"
    if zero != zero:  # NaN: no run solves
        return f"The failed runs spend a median {failed:g} % {near}."
    text = f"The runs that solve spend a median {zero:g} % {near}"
    if relu is not None and relu["near_plateau_zero"] == relu["near_plateau_zero"]:
        text += f" (the ReLU runs that solve, {relu['near_plateau_zero']:g} %)"
    if failed == failed:
        text += f",\nthe failed runs {failed:g} %"
    return text + "."
