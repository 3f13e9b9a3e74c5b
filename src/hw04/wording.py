"""Small phrases for the f-strings of the notebook's answers.

The answers themselves are written in the notebook; these only say a list of
seeds, a number of runs or a range of values the same way everywhere.
"""


def seed_list(seeds):
    """'seeds 3, 5 and 9', 'seed 4' or 'no seed'.

    Examples
    --------
    >>> seed_list([3, 5, 9]), seed_list([4]), seed_list([])
    ('seeds 3, 5 and 9', 'seed 4', 'no seed')
    """
    seeds = [str(s) for s in seeds]
    if len(seeds) < 2:
        return f"seed {seeds[0]}" if seeds else "no seed"
    return f"seeds {', '.join(seeds[:-1])} and {seeds[-1]}"


def runs_of(k):
    """'1 run' or 'k runs'.

    Examples
    --------
    >>> runs_of(1), runs_of(12)
    ('1 run', '12 runs')
    """
    return f"{k} run" if k == 1 else f"{k} runs"


def span(low, high, fmt=".3f"):
    """'0.250-0.334', or one value where both read the same in ``fmt``.

    Examples
    --------
    >>> span(0.25, 0.334), span(0.2501, 0.2499), span(19, 43, "d")
    ('0.250-0.334', '0.250', '19-43')
    """
    low, high = f"{low:{fmt}}", f"{high:{fmt}}"
    return low if low == high else f"{low}-{high}"


def small(x):
    """A small number as a reader writes it: '1e-8', '0.0001', '0.1'.

    Examples
    --------
    >>> small(1e-8), small(1e-4), small(0.1)
    ('1e-8', '0.0001', '0.1')
    """
    if x >= 1e-4:
        return f"{x:g}"
    mantissa, exponent = f"{x:e}".split("e")
    return f"{float(mantissa):g}e{int(exponent)}"
