"""The notebook's written answers, rendered from the runs of the same execution.

Each function takes the tidy runs table (see ``hw04_runs.runs_table``) and
returns an ``IPython.display.Markdown`` whose every number is computed from
it, so the answers stay true when the notebook is rerun with other seeds or
other data. Sentences that explain *why* are chosen by what the numbers show.
"""

from IPython.display import Markdown

import hw04_runs as runs

UNITS = {"lbfgs": "iterations", "sgd": "epochs"}


def listing(items, limit=12):
    """'5, 6, 9 and 12'; past ``limit`` items, '... (N in all)'."""
    items = [str(i) for i in items]
    if not items:
        return "none"
    if len(items) > limit:
        return ", ".join(items[:limit]) + f", ... ({len(items)} in all)"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _span(lo_hi, fmt=".3f"):
    lo, hi = lo_hi
    return f"{lo:{fmt}}" if f"{lo:{fmt}}" == f"{hi:{fmt}}" else f"{lo:{fmt}}-{hi:{fmt}}"


def _group_text(group):
    k, cut = len(group["seeds"]), group["n_cut_off"]
    runs_word = "run" if k == 1 else "runs"
    where = (
        f"on the plateau *{group['plateau']}*"
        if group["plateau"]
        else "on no plateau we know"
    )
    if cut == 0:
        state = "converged there"
    elif cut == k:
        state = (
            "stopped by max_iter while still moving"
            if k == 1
            else ("all stopped by max_iter while still moving")
        )
    else:
        state = f"{cut} of them stopped by max_iter"
    return (
        f"{k} {runs_word} {where}: training error {_span(group['train_error'])}, "
        f"loss {_span(group['final_loss'])} (seeds {listing(group['seeds'], 16)}; "
        f"{state})"
    )


def outcome_text(summary):
    """How many runs reach zero training error, and where the others end."""
    n, zero = summary["n_runs"], summary["zero_seeds"]
    text = (
        f"**{len(zero)} of {n} runs ({summary['frac_zero']:.0%})** reach zero "
        f"training error (seeds {listing(zero)})"
    )
    if zero:
        text += f"; their mean test error is {summary['test_error_zero']:.3f}"
    text += "."
    if summary["others"]:
        items = "\n".join(f"- {_group_text(g)}" for g in summary["others"])
        text += f" The other {n - len(zero)} end like this:\n\n{items}"
    return text


def speed_text(summary, unit):
    """How many iterations (or epochs) the runs take."""
    return (
        f"**Speed.** Runs take {summary['iter_mean']:.0f} {unit} on average "
        f"(standard deviation {summary['iter_std']:.0f}, from {summary['iter_min']} "
        f"to {summary['iter_max']}); {summary['n_converged']} of {summary['n_runs']} "
        "meet their convergence rule before max_iter."
    )


def outcomes(table, setting, updates_per_epoch=None):
    """Answer (b) of Problems 1-4 for ``setting``.

    ``updates_per_epoch`` (SGD only) adds how many weight updates a run makes.
    """
    s = runs.summarize(table, setting)
    solver = setting.split("-")[0]
    parts = [outcome_text(s), speed_text(s, UNITS[solver])]
    failed = s["n_runs"] - len(s["zero_seeds"])
    if solver == "lbfgs" and failed:
        stuck_converged = sum(len(g["seeds"]) - g["n_cut_off"] for g in s["others"])
        parts.append(
            f"Of the {failed} runs without zero error, {stuck_converged} report "
            "convergence all the same: L-BFGS stops where the gradient vanishes, and "
            "on a plateau it vanishes too, so *converged* does not mean *solved*."
        )
    if solver == "sgd" and updates_per_epoch:
        parts.append(
            f"An epoch is {updates_per_epoch} minibatch updates, so the average run "
            f"makes about {s['iter_mean'] * updates_per_epoch:,.0f} weight updates."
        )
    return Markdown("\n\n".join(parts))


def sgd_vs_lbfgs(table, activation, updates_per_epoch):
    """Answer 3(c) or 4(c): what differs most between SGD and L-BFGS, and why."""
    sg = runs.summarize(table, f"sgd-{activation}")
    lb = runs.summarize(table, f"lbfgs-{activation}")
    updates = sg["iter_mean"] * updates_per_epoch
    cut_sg, cut_lb = sg["n_runs"] - sg["n_converged"], lb["n_runs"] - lb["n_converged"]
    if sg["frac_zero"] > lb["frac_zero"]:
        more = "more often than"
    elif sg["frac_zero"] < lb["frac_zero"]:
        more = "less often than"
    else:
        more = "as often as"
    same = sorted(set(sg["zero_seeds"]) & set(lb["zero_seeds"]))
    cost = (
        f"**What differs most is the cost of getting there.** L-BFGS needs "
        f"{lb['iter_mean']:.0f} iterations on average, each at least one pass over the "
        f"data; SGD needs {sg['iter_mean']:.0f} epochs, about {updates:,.0f} small "
        f"steps, and {cut_sg} of {sg['n_runs']} SGD runs are still going when "
        f"max_iter stops them (L-BFGS: {cut_lb} of {lb['n_runs']}). *Why:* L-BFGS "
        "takes the exact gradient of the whole training set and a curvature estimate, "
        "so each step goes far in a good direction, and it stops once the gradient is "
        f"flat. SGD follows the noisy gradient of a minibatch ({updates_per_epoch} "
        "per epoch) with a step size that "
        "shrinks only after the loss has stalled for a while; it creeps along the "
        "flat stretches of the loss, and a tolerance of 1e-8 keeps it going."
    )
    ends = (
        f"**The outcomes differ less.** SGD reaches zero training error {more} "
        f"L-BFGS ({len(sg['zero_seeds'])} of {sg['n_runs']} runs against "
        f"{len(lb['zero_seeds'])} of {lb['n_runs']}), and the successful seeds "
        f"overlap in {len(same)} (SGD: {listing(sg['zero_seeds'])}; L-BFGS: "
        f"{listing(lb['zero_seeds'])}). The same initial weights can end in "
        "different places, because the path, not just the start, decides which "
        "basin a run falls into."
    )
    if abs(sg["frac_zero"] - lb["frac_zero"]) > 0.4:
        ends = ends.replace("The outcomes differ less.", "The outcomes differ too.")
    return Markdown(cost + "\n\n" + ends)


def easier_activation(table):
    """Answer 5(b): which activation is easier to optimize, which needs most work."""
    zero = table.assign(zero=table["train_error"] == 0)
    by_act = zero.groupby("activation")["zero"].agg(["sum", "count"])
    by_setting = zero.groupby(["solver", "activation"])["zero"].sum()
    means = table.groupby(["solver", "activation"])["n_iter"].mean()
    rates = {a: by_act.loc[a, "sum"] / by_act.loc[a, "count"] for a in by_act.index}
    if len(set(rates.values())) == 1:
        verdict = "**Neither activation comes out ahead** on these runs"
    else:
        best = max(rates, key=rates.get)
        verdict = f"**{best.capitalize()} looks easier to optimize** on these runs"
    per_solver = "; ".join(
        f"{sv}: ReLU {by_setting[sv, 'relu']}, logistic {by_setting[sv, 'logistic']}"
        for sv in ("lbfgs", "sgd")
    )
    slow = []
    for sv in ("lbfgs", "sgd"):
        act = means[sv].idxmax()
        slow.append(
            f"with {sv}, **{act}** needs the most {UNITS[sv]} "
            f"({means[sv, act]:.0f} on average, against {means[sv].min():.0f})"
        )
    why = ""
    if all(means[sv].idxmax() == "logistic" for sv in ("lbfgs", "sgd")):
        why = (
            " Logistic units never switch off: the loss keeps a small slope for a "
            "long time and the optimizer follows it, while a ReLU run settles sooner, "
            "right or wrong, once a unit goes silent on part of the data."
        )
    return Markdown(
        f"{verdict}: pooled over both solvers, ReLU runs reach zero training error "
        f"{by_act.loc['relu', 'sum']} of {by_act.loc['relu', 'count']} times and "
        f"logistic runs {by_act.loc['logistic', 'sum']} of "
        f"{by_act.loc['logistic', 'count']} times (per solver, {per_solver}). "
        "The loss curves show how the others fail: they flatten on the plateaus named "
        f"in 1(b)-4(b) instead of falling to zero.\n\n**Iterations:** "
        + "; ".join(slow)
        + "."
        + why
    )


def convincing(table, appendix_on, appendix_seeds):
    """Answer 5(c): is 5(b) convincing, and which three experiments would settle it."""
    rows, intervals = [], {}
    for setting in dict.fromkeys(table["setting"]):
        s = runs.summarize(table, setting)
        k, n = len(s["zero_seeds"]), s["n_runs"]
        low, high = intervals[setting] = runs.wilson_interval(k, n)
        rows.append(f"| {setting} | {k} / {n} | {k / n:.2f} | {low:.2f}-{high:.2f} |")
    n_seeds = table.groupby("setting").size().max()
    # Per solver: do the ReLU and logistic intervals overlap?
    overlap = all(
        intervals[f"{sv}-relu"][0] <= intervals[f"{sv}-logistic"][1]
        and intervals[f"{sv}-logistic"][0] <= intervals[f"{sv}-relu"][1]
        for sv in ("lbfgs", "sgd")
    )
    if overlap:
        verdict = (
            f"**Not convincing yet.** With {n_seeds} seeds per setting a success rate "
            "is known only roughly; the 95 % Wilson intervals are wide, and for both "
            "solvers the ReLU and logistic intervals overlap:"
        )
    else:
        verdict = (
            f"**Partly.** With {n_seeds} seeds per setting the 95 % Wilson intervals "
            "are wide, though for at least one solver the ReLU and logistic intervals "
            "do not overlap:"
        )
    follow = (
        "The appendix runs all three and answers from their numbers."
        if appendix_on
        else "Set `appendix = True` in the parameters cell to run them."
    )
    return Markdown(
        f"{verdict}\n\n"
        "| setting | zero training error | rate | 95 % interval |\n"
        "|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
        "Three experiments would settle it. **(1) Many seeds:** "
        f"{max(appendix_seeds, 256)} or more per setting, so that each interval "
        "shrinks to a few points. **(2) Width:** the "
        "same with 4 and 8 hidden units, to see whether the gap only exists when two "
        "units are barely enough. **(3) Harder data:** the same on noisier XOR data, "
        f"to see whether the ranking holds beyond this one data set. {follow}"
    )


def _winners(rate_by_solver_activation):
    """Per solver, the activation with the higher rate (None for a tie)."""
    out = {}
    for solver in ("lbfgs", "sgd"):
        r = rate_by_solver_activation[solver]
        out[solver] = r.idxmax() if r.nunique() > 1 else None
    return out


def _ranking_text(rates, condition):
    """Per solver: which activation solves more often, and whether CIs are apart."""
    parts, apart_any = [], False
    for solver in ("lbfgs", "sgd"):
        r = rates[(rates["condition"] == condition) & (rates["solver"] == solver)]
        r = r.set_index("activation")
        best, other = r["rate"].idxmax(), r["rate"].idxmin()
        if r.loc[best, "rate"] == r.loc[other, "rate"]:
            parts.append(f"{solver}: a tie at {r.loc[best, 'rate']:.2f}")
            continue
        apart = r.loc[best, "ci_low"] > r.loc[other, "ci_high"]
        apart_any |= bool(apart)
        parts.append(
            f"{solver}: **{best}** {r.loc[best, 'rate']:.2f} against {other} "
            f"{r.loc[other, 'rate']:.2f} ("
            + ("intervals apart" if apart else "intervals overlap")
            + ")"
        )
    return "; ".join(parts), apart_any


def appendix_answer(rates, table, first_condition, noisy_condition):
    """Answer 5(c) from the appendix's success rates.

    ``first_condition`` names the experiment with the main runs' settings (many
    seeds); the main runs in ``table`` are compared with it.
    """
    base = rates[rates["condition"] == first_condition].set_index("setting")
    threshold = base["threshold"].iloc[0]
    main = table.assign(ok=table["train_error"] <= threshold)
    counts = main.groupby("setting")["ok"].agg(["sum", "count"])
    # Both ways: the small sample's rate against the large sample's interval,
    # and the large sample's rate against the small sample's own wide interval.
    in_many, in_few = [], []
    for s in base.index:
        k, n = counts.loc[s, "sum"], counts.loc[s, "count"]
        low, high = runs.wilson_interval(k, n)
        if base.loc[s, "ci_low"] <= k / n <= base.loc[s, "ci_high"]:
            in_many.append(s)
        if low <= base.loc[s, "rate"] <= high:
            in_few.append(s)
    n_main, n_many = int(counts["count"].max()), int(base["n_runs"].max())
    small = _winners(main.groupby(["solver", "activation"])["ok"].mean())
    large = _winners(base.set_index(["solver", "activation"])["rate"])
    agree = [sv for sv in small if small[sv] == large[sv]]
    many, apart_first = _ranking_text(rates, first_condition)
    noisy, _ = _ranking_text(rates, noisy_condition)
    conditions = list(dict.fromkeys(rates["condition"]))
    settings = list(dict.fromkeys(rates["setting"]))
    grid = rates.pivot_table(index="condition", columns="setting", values="rate")
    width_rows = "\n".join(
        f"| {c} | " + " | ".join(f"{grid.loc[c, s]:.2f}" for s in settings) + " |"
        for c in conditions
    )
    widths = [c for c in conditions if c != noisy_condition]
    grows = all(grid.loc[widths[-1], s] >= grid.loc[widths[0], s] for s in settings)
    widest = grid.loc[widths[-1], settings]
    close = widest.max() - widest.min() <= 0.05
    text = (
        f"**(1) Many seeds.** With {n_many} seeds per setting, per solver: {many}. "
        f"The {n_main}-seed rate of the main runs lies inside the {n_many}-seed "
        f"interval for {len(in_many)} of {len(base)} settings"
        + (f" ({listing(in_many)})" if in_many else "")
        + f", and the {n_many}-seed rate lies inside the {n_main}-seed interval for "
        f"{len(in_few)} of {len(base)}. The {n_main}-seed runs pick the same "
        f"activation as the {n_many}-seed runs for {len(agree)} of 2 solvers"
        + (f" ({listing(agree)})." if agree else ".")
        + "\n\n**(2) Width** and **(3) harder data**: share of runs that solve the "
        "training set (error within 1 point of the best run of the experiment):\n\n"
        + "| experiment | "
        + " | ".join(settings)
        + " |\n|---|"
        + "---|" * len(settings)
        + "\n"
        + width_rows
        + "\n\n"
        + (
            "Wider networks solve XOR at least as often in every setting, so most "
            "failures with 2 units come from having no spare unit"
            + (
                f"; with {widths[-1]} the settings are within "
                f"{widest.max() - widest.min():.2f} of each other. "
                if close
                else ". "
            )
            if grows
            else "Width does not help every setting; see the table. "
        )
        + f"On the harder data ({noisy_condition}), per solver: {noisy}.\n\n"
        + "**Verdict.** "
        + (
            f"With {n_many} seeds the intervals are apart, so the winner above is "
            "a real difference for these settings and data, not luck of the seeds; "
            f"the {n_main}-seed answer of 5(b) should be judged against it."
            if apart_first
            else f"Even with {n_many} seeds the intervals overlap: neither activation "
            "is clearly easier to optimize here."
        )
    )
    return Markdown(text)


def engine_check(checks, engine):
    """One sentence on the exactness check of the batched SGD engine."""
    if checks.empty:
        return Markdown(
            f"The `{engine}` engine trained every run with sklearn's own `fit`; "
            "there is nothing to check."
        )
    same = checks[checks["identical"]]
    table = (
        "\n\n| setting | seed | epochs | identical | differs |\n|---|---|---|---|---|\n"
        + "\n".join(
            f"| {r.setting} | {r.seed} | {r.n_iter} | {'yes' if r.identical else 'no'} "
            f"| {r.differs or '-'} |"
            for r in checks.itertuples()
        )
    )
    runs_text = listing(
        [
            f"seed {r.seed} of {r.setting} ({r.n_iter} epochs)"
            for r in checks.itertuples()
        ]
    )
    if len(same) == len(checks):
        return Markdown(
            f"Refitted {runs_text} with sklearn's own `fit`: weights, intercepts, loss "
            "curve, epochs, `t_`, `best_loss_` and the converged flag are identical "
            "**bit for bit** to the batched engine's." + table
        )
    bad = checks[~checks["identical"]]
    return Markdown(
        f"Refitted {runs_text} with sklearn's own `fit`. On this machine "
        + listing([f"{r.setting} differed in {r.differs}" for r in bad.itertuples()])
        + "; those settings were trained again with sklearn's engine, so every "
        "number below comes from sklearn's own `fit`." + table
    )
