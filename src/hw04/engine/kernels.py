"""Compiled steps of the lockstep SGD engine, for all seeds at once, in sklearn's bits.

numba compiles the steps between two products into loops over the seeds, each doing
per element what numpy and scipy do for sklearn, in their order: the same IEEE sums
and products, the C library's ``exp`` and ``log`` (as ``expit`` and ``xlogy``), and
numpy's summation orders. Without numba, :data:`AVAILABLE` is False.
"""

import math

import numpy as np

try:
    import numba
except ImportError:  # the engine then uses its numpy steps
    numba = None

AVAILABLE = numba is not None

# tanh is left to numpy, whose SIMD tanh need not round like the C library's.
ACTIVATION_CODES = {"identity": 0, "relu": 1, "logistic": 2}


def _jit(func):
    if numba is None:
        return func
    return numba.njit(cache=True, nogil=True, error_model="numpy")(func)


@_jit
def _pairwise_block(a, start, n):
    """numpy's ``pairwise_sum`` of ``a[start:start + n]`` for ``n <= 128``."""
    if n < 8:
        res = 0.0
        for i in range(start, start + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[start], a[start + 1], a[start + 2], a[start + 3]
    r4, r5, r6, r7 = a[start + 4], a[start + 5], a[start + 6], a[start + 7]
    i = 8
    while i < n - n % 8:
        j = start + i
        r0 += a[j]
        r1 += a[j + 1]
        r2 += a[j + 2]
        r3 += a[j + 3]
        r4 += a[j + 4]
        r5 += a[j + 5]
        r6 += a[j + 6]
        r7 += a[j + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[start + i]
        i += 1
    return res


@_jit
def _pairwise_sum(a, n):
    """``np.add.reduce(a[:n])`` along a contiguous axis: numpy's ``pairwise_sum``
    (halves, the first a multiple of 8, down to 128 elements), with an explicit
    stack since numba's cache cannot hold a recursive function."""
    if n <= 128:
        return 0.0 + _pairwise_block(a, 0, n)
    # Post-order walk of numpy's halving tree: (start, length, halves done).
    starts = np.empty(64, np.int64)
    lengths = np.empty(64, np.int64)
    stage = np.zeros(64, np.int64)
    sums = np.empty(64)
    top = 0
    value = 0.0
    starts[0], lengths[0] = 0, n
    while True:
        m = lengths[top]
        half = m // 2
        half -= half % 8
        if m <= 128:
            value = _pairwise_block(a, starts[top], m)
        elif stage[top] == 0:
            stage[top] = 1
            top += 1
            starts[top], lengths[top], stage[top] = starts[top - 1], half, 0
            continue
        elif stage[top] == 1:
            stage[top] = 2
            top += 1
            starts[top] = starts[top - 1] + half
            lengths[top], stage[top] = m - half, 0
            continue
        else:
            value = sums[top] + value
        if top == 0:
            return 0.0 + value
        top -= 1
        if stage[top] == 1:
            sums[top] = value


@_jit
def _column_sums(d_SBW, out_S1W):
    """``np.add.reduce(d_SBW, axis=1, keepdims=True, out=out_S1W)``: one column
    pairwise (it is contiguous), several row after row."""
    S, B, W = d_SBW.shape
    if W == 1:
        for s in range(S):
            out_S1W[s, 0, 0] = _pairwise_sum(d_SBW[s, :, 0], B)
        return
    for s in range(S):
        for w in range(W):
            acc = 0.0
            for b in range(B):
                acc += d_SBW[s, b, w]
            out_S1W[s, 0, w] = acc


@_jit
def _activate(z, code):
    if code == 1:
        return z if not z <= 0.0 else 0.0  # np.maximum(z, 0): NaN stays, -0.0 -> 0.0
    if code == 2:
        return 1.0 / (1.0 + math.exp(-z))  # scipy's expit
    return z


@_jit
def bias_activation(z_SBW, b_S1W, code):
    """``z += b`` then the hidden activation, in place."""
    S, B, W = z_SBW.shape
    for s in range(S):
        for b in range(B):
            for w in range(W):
                z_SBW[s, b, w] = _activate(z_SBW[s, b, w] + b_S1W[s, 0, w], code)


@_jit
def output_error(p_SBW, b_S1W, y_SBW, delta_SBW, grad_b_S1W):
    """Output layer: ``p += b``, ``expit(p)``, ``delta = p - y``, its column sums."""
    S, B, W = p_SBW.shape
    for s in range(S):
        for b in range(B):
            for w in range(W):
                p = _activate(p_SBW[s, b, w] + b_S1W[s, 0, w], 2)  # expit
                p_SBW[s, b, w] = p
                delta_SBW[s, b, w] = p - y_SBW[s, b, w]
    _column_sums(delta_SBW, grad_b_S1W)


@_jit
def _derivative(delta, z, code):
    """``delta`` times the activation's derivative at output ``z``, as sklearn's
    in-place derivatives compute it (relu: ``delta[z == 0] = 0``)."""
    if code == 1:
        return 0.0 if z == 0.0 else delta
    if code == 2:
        delta = delta * z
        return delta * (1.0 - z)
    return delta


@_jit
def derivative_sums(z_SBW, delta_SBW, grad_b_S1W, code):
    """The activation's derivative applied to ``delta`` in place, then column sums."""
    S, B, W = z_SBW.shape
    for s in range(S):
        for b in range(B):
            for w in range(W):
                delta_SBW[s, b, w] = _derivative(
                    delta_SBW[s, b, w], z_SBW[s, b, w], code
                )
    _column_sums(delta_SBW, grad_b_S1W)


@_jit
def sgd_update(
    params_SP, grad_SP, velocity_SP, lr_S, hist, bounds, k, alpha, n_b, momentum,
    nesterov,
):  # fmt: skip
    """Record batch ``k``'s coefficients in ``hist`` (one ``(S, K, fan_in *
    fan_out)`` block per layer), then sklearn's SGD step in place."""
    S, P = params_SP.shape
    n_coef = bounds[-1]
    K = hist.size // (S * n_coef)
    for s in range(S):
        for i in range(bounds.size - 1):
            lo, width = bounds[i], bounds[i + 1] - bounds[i]
            row = S * K * lo + (s * K + k) * width - lo
            for j in range(lo, lo + width):
                w = params_SP[s, j]
                hist[row + j] = w
                grad_SP[s, j] = grad_SP[s, j] + alpha * w
    for s in range(S):
        lr = lr_S[s]
        for j in range(P):
            step = lr * (grad_SP[s, j] / n_b)
            v = momentum * velocity_SP[s, j] - step
            velocity_SP[s, j] = v
            if nesterov:
                params_SP[s, j] = params_SP[s, j] + (momentum * v - step)
            else:
                params_SP[s, j] = params_SP[s, j] + v


@_jit
def epoch_losses(prob_SN1, Y_SN1, l2_SK, sizes_K, alpha, apart, out_S):
    """Each seed's epoch loss from its minibatches, as sklearn sums it (with
    ``apart``, each label's terms summed apart, as before scikit-learn 1.7)."""
    S, N = prob_SN1.shape[0], prob_SN1.shape[1]
    K = sizes_K.shape[0]
    eps = np.finfo(np.float64).eps
    terms, others = np.empty(N), np.zeros(N)
    for s in range(S):
        start, total = 0, 0.0
        for k in range(K):
            size = sizes_K[k]
            for i in range(size):
                p = prob_SN1[s, start + i, 0]
                p = min(max(p, eps), 1.0 - eps) if not math.isnan(p) else p
                one = Y_SN1[s, start + i, 0] != 0.0
                q = p if one else 1.0 - p
                # xlogy(1, q); the other label's term is +0
                terms[i] = math.log(q) if one or not apart else 0.0
                if apart:
                    others[i] = 0.0 if one else math.log(q)
            summed = _pairwise_sum(terms, size)
            if apart:
                summed = summed + _pairwise_sum(others, size)
            loss = -(summed / size)
            loss += (0.5 * alpha) * l2_SK[s, k] / size
            total = loss * size if k == 0 else total + loss * size
            start += size
        out_S[s] = total / N


def n_compiled():
    """How many kernel signatures this process compiled rather than loaded."""
    if not AVAILABLE:
        return 0
    dispatchers = [f for f in globals().values() if hasattr(f, "stats")]
    return sum(sum(f.stats.cache_misses.values()) for f in dispatchers)
