"""The compiler against its oracle, Python itself (values mod n): random programs of the subset (hypothesis seeds for
`random_source`: loops, branches, calls, recursion, list cells) agree in hard and symbolic mode, and in soft mode on a
sample; and a corpus of programs written apart from the compiler's development (`UNSEEN`) agrees on random inputs.

A few hundred random programs run in `make test`; `RUN_SLOW=1` runs 10,000."""
import os, random
import pytest
from hypothesis import given, settings, reject, HealthCheck, strategies as st
from diffreg import compile_python, CompileError, StackOverflowError
from diffreg.compiler import python_reference, random_source

CI_CASES = int(os.environ.get('COMPILER_CASES', 200))
SLOW = os.environ.get('RUN_SLOW') == '1'
N, CELLS = 256, 6


def agree(seed, soft_every=25):
    "Compile `random_source(seed)`; its result and list cells equal the oracle's in every mode, on 2 inputs."
    src = random_source(seed, cells=CELLS)
    try: f = compile_python(src, n=N, registers=16, memory=32)
    except CompileError as e:
        if 'lines but the machine' in str(e): reject()      # a random program longer than n lines: not a failure
        raise
    ref, rng = python_reference(src, N), random.Random(seed)
    for trial in range(2):
        a, b, xs = rng.randrange(N), rng.randrange(N), [rng.randrange(N) for _ in range(CELLS)]
        want = ref(a, b, memory=xs)
        modes = ('symbolic', 'hard') + (('soft',) if seed % soft_every == 0 and trial == 0 else ())
        for mode in modes:
            got = f(a, b, memory=xs, mode=mode)
            assert (got.result, got.memory[:CELLS]) == want, (mode, a, b, xs, src, f.assembly)


@settings(max_examples=CI_CASES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.integers(0, 2**31))
def test_random_programs_agree_with_python(seed): agree(seed)


@pytest.mark.skipif(not SLOW, reason="slow: set RUN_SLOW=1")
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.integers(0, 2**31))
def test_random_programs_agree_with_python_10k(seed): agree(seed, soft_every=100)


# Programs written for this test only, in styles the generator does not produce: entry, its int arguments' ranges,
# list length (None: no list).
UNSEEN = {
'collatz': ("""
def collatz(x):
    steps = 0
    while x != 1 and steps < 60:
        if x % 2 == 0:
            x = x // 2
        else:
            x = 3 * x + 1
        steps += 1
    return steps
""", [(1, 100)], None),
'isqrt': ("""
def isqrt(v):
    lo, hi = 0, v + 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if mid * mid <= v and mid < 16:
            lo = mid
        else:
            hi = mid
    return lo
""", [(0, 128)], None),
'primes': ("""
def count_primes(limit):
    count = 0
    for p in range(2, limit):
        is_prime = 1
        d = 2
        while d * d <= p:
            if p % d == 0:
                is_prime = 0
                break
            d += 1
        count += is_prime
    return count
""", [(0, 60)], None),
'powmod': ("""
M = 97
def power(base, e):
    if e == 0:
        return 1
    half = power(base, e // 2)
    sq = half * half % M
    if e % 2 == 1:
        return sq * base % M
    return sq
""", [(0, 97), (0, 50)], None),
'even_odd': ("""
def is_even(k):
    if k == 0:
        return 1
    return is_odd(k - 1)
def is_odd(k):
    if k == 0:
        return 0
    return is_even(k - 1)
""", [(0, 12)], None),
'ackermann': ("""
def ack(m, k):
    if m == 0:
        return k + 1
    if k == 0:
        return ack(m - 1, 1)
    return ack(m - 1, ack(m, k - 1))
""", [(0, 3), (0, 3)], None),
'bubble': ("""
def bubble(xs: list, k):
    swapped = 1
    while swapped:
        swapped = 0
        for i in range(1, k):
            if xs[i - 1] > xs[i]:
                xs[i - 1], xs[i] = xs[i], xs[i - 1]
                swapped = 1
""", [(7, 8)], 7),
'selection': ("""
def selection(xs: list, k):
    for i in range(k):
        best = i
        for j in range(i + 1, k):
            if xs[j] < xs[best]:
                best = j
        xs[i], xs[best] = xs[best], xs[i]
    return xs[0]
""", [(6, 7)], 6),
'binsearch': ("""
def find(xs: list, k, target):
    lo, hi = 0, k
    while lo < hi:
        mid = (lo + hi) // 2
        if xs[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    return lo
""", [(8, 9), (0, 128)], 'sorted8'),
'rotate': ("""
def rotate(xs: list, k, times):
    for t in range(times):
        first = xs[0]
        for i in range(1, k):
            xs[i - 1] = xs[i]
        xs[k - 1] = first
""", [(1, 9), (0, 4)], 8),
'prefix': ("""
def prefix_sums(xs: list, k):
    total = 0
    for i in range(k):
        total = total + xs[i]
        xs[i] = total
    return total
""", [(0, 9)], 8),
'digits': ("""
def digit_sum(v, base):
    s = 0
    while v > 0:
        s += v % base
        v //= base
    return s
""", [(0, 128), (2, 11)], None),
'countdown': ("""
def evens_down(k):
    s = 0
    for i in range(k, 0, -2):
        s = s * 3 + i
    return s
""", [(0, 20)], None),
'mixed': ("""
LIMIT = 5
def score(a, b):
    t = clamp(a) + clamp(b)
    return t or 1 and not a
def clamp(v):
    return max(0, min(v, LIMIT))
""", [(0, 128), (0, 128)], None),
}


@pytest.mark.parametrize('name', sorted(UNSEEN))
def test_unseen_programs_agree_with_python(name):
    src, ranges, cells = UNSEEN[name]
    n = 128
    f, ref, rng = compile_python(src, n=n, memory=64), python_reference(src, n), random.Random(name)
    for trial in range(12):
        args = [rng.randrange(lo, hi) for lo, hi in ranges]
        xs = (sorted(rng.randrange(n) for _ in range(8)) if cells == 'sorted8' else
              [rng.randrange(n) for _ in range(cells)] if cells else None)
        want = ref(*args, memory=xs)
        for mode in ('symbolic', 'hard'):
            got = f(*args, memory=xs, mode=mode)
            assert (got.result, got.memory[:len(xs or [])]) == want, (name, mode, args, xs)


def test_deep_recursion_overflows_clearly():
    f = compile_python(UNSEEN['even_odd'][0], n=128, memory=16)
    assert f(10).result == 1
    with pytest.raises(StackOverflowError, match='the call stack outgrew the 16 cells'): f(40)
