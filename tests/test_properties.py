"""Property tests (hypothesis) for the numeric core: encodings, circuits and lookup tables."""
import os
import torch
from hypothesis import given, settings, strategies as st
from diffreg.encodings import to_unit, from_unit, to_binary, from_binary, unit_to_binary, binary_to_unit
from diffreg.circuits import CIRCUITS
from diffreg.lookup import LookupTable
from diffreg.ops import OPS

N_EX = int(os.environ.get('HYPOTHESIS_EXAMPLES', 200))


@settings(max_examples=N_EX, deadline=None)
@given(bits=st.integers(1, 12), data=st.data())
def test_binary_unit_round_trip(bits, data):
    xs = data.draw(st.lists(st.integers(0, 2**bits - 1), min_size=1, max_size=8))
    x = torch.tensor(xs)
    assert torch.equal(from_binary(to_binary(x, bits)), x)
    assert torch.equal(binary_to_unit(to_binary(x, bits)), to_unit(x, 2**bits))
    assert torch.equal(unit_to_binary(to_unit(x, 2**bits), bits), to_binary(x, bits))


@settings(max_examples=N_EX, deadline=None)
@given(n=st.integers(2, 300), seed=st.integers(0, 2**31 - 1))
def test_soft_conversions_stay_distributions(n, seed):
    g = torch.Generator().manual_seed(seed)
    p = torch.randn(3, n, generator=g).mul(3).softmax(-1)
    b = unit_to_binary(p)
    assert ((b >= 0) & (b <= 1 + 1e-6)).all()
    q = binary_to_unit(b, n=n)
    assert q.shape == (3, n) and torch.allclose(q.sum(-1), torch.ones(3), atol=1e-5)
    assert (from_unit(to_unit(from_unit(p), n)) == from_unit(p)).all()


@settings(max_examples=N_EX, deadline=None)
@given(bits=st.integers(1, 40), op=st.sampled_from(sorted(CIRCUITS)), data=st.data())
def test_circuits_match_integers(bits, op, data):
    xs = data.draw(st.lists(st.integers(0, 2**bits - 1), min_size=1, max_size=6))
    ys = data.draw(st.lists(st.integers(0, 2**bits - 1), min_size=len(xs), max_size=len(xs)))
    got = from_binary(CIRCUITS[op](to_binary(torch.tensor(xs), bits), to_binary(torch.tensor(ys), bits)))
    assert got.tolist() == [OPS[op].fn(x, y, 2**bits) for x, y in zip(xs, ys)]


@settings(max_examples=N_EX, deadline=None)
@given(n=st.integers(2, 40), op=st.sampled_from(sorted(OPS)), i=st.integers(0, 10**6), j=st.integers(0, 10**6))
def test_one_hot_lookup_reads_the_registry(n, op, i, j):
    i, j = i % n, j % n
    lut = LookupTable([op], n)
    want = int(OPS[op].fn(torch.tensor(i), torch.tensor(j), n))
    for method in ('structured', 'dense'):
        out = lut(torch.ones(1), to_unit(torch.tensor(i), n), to_unit(torch.tensor(j), n), method=method)
        assert torch.allclose(out, to_unit(torch.tensor(want), n), atol=1e-6), (method, out)


@settings(max_examples=max(20, N_EX // 4), deadline=None)
@given(n=st.integers(2, 48), seed=st.integers(0, 2**31 - 1))
def test_structured_equals_dense_on_soft_inputs(n, seed):
    g = torch.Generator().manual_seed(seed)
    lut = LookupTable(n=n)
    fp, a, b = (torch.randn(4, k, generator=g).mul(2).softmax(-1) for k in (len(lut), n, n))
    assert torch.allclose(lut(fp, a, b), lut(fp, a, b, method='dense'), atol=1e-6)
