"""Property tests (hypothesis): random valid programs (loops, jumps, calls) on random inputs run identically in the
soft machine (one-hot inputs), hard mode and the symbolic reference: final memory, registers, halting and step count.

A few hundred cases run in CI; `RUN_SLOW=1` runs the 10,000-case version."""
import os
import pytest
import torch
from hypothesis import given, settings, HealthCheck, strategies as st
from diffreg import Machine, run_symbolic
from diffreg.machine import NotHaltedError
from diffreg import assemble
from diffreg.assembler import Program, Line
from diffreg.isa import ISA, instr

CI_CASES = int(os.environ.get('MACHINE_CASES', 300))
SLOW = os.environ.get('RUN_SLOW') == '1'


@st.composite
def programs(draw):
    "A random program with its machine size and a batch of inputs; jump targets may leave the program (it halts)."
    n = draw(st.sampled_from([8, 16, 32]))
    r = draw(st.integers(2, 6))
    m = draw(st.integers(1, 4))
    L = draw(st.integers(1, min(12, n)))
    lines = []
    for _ in range(L):
        spec = draw(st.sampled_from(ISA))
        reg = st.integers(0, r - 1)
        imm = st.integers(0, min(n - 1, L + 1)) if spec.kind in ('jump', 'call') else st.integers(0, n - 1)
        lines.append(Line(spec.name, draw(reg), draw(reg), draw(reg), draw(reg), draw(imm)))
    B = draw(st.integers(1, 3))
    mem = torch.tensor(draw(st.lists(st.lists(st.integers(0, n - 1), min_size=m, max_size=m), min_size=B, max_size=B)))
    regs = torch.tensor(draw(st.lists(st.lists(st.integers(0, n - 1), min_size=r, max_size=r), min_size=B, max_size=B)))
    return Program.from_lines(lines, n, r), n, r, m, mem, regs


def check(case, max_steps=40):
    prog, n, r, m, mem, regs = case
    ref = run_symbolic(prog, mem, regs, max_steps=max_steps)
    mach = Machine(n, r, m, device='cpu')
    hard = mach.run(prog, mem, regs, hard=True, max_steps=max_steps)
    soft = mach.run(prog, mem, regs, max_steps=max_steps)
    for k in ('memory', 'registers', 'pc', 'halted', 'steps'):
        assert torch.equal(getattr(hard, k).cpu(), ref[k]), (k, prog.to_source())
    assert torch.equal(soft.finished, ref['halted']), prog.to_source()
    if not bool(ref['halted'].all()):                  # reading an unfinished run must be asked for
        with pytest.raises(NotHaltedError): soft.values()
        with pytest.raises(NotHaltedError): hard.values()
    vals = soft.values(partial=True)
    assert torch.equal(vals['memory'], ref['memory']), prog.to_source()
    assert torch.equal(vals['registers'], ref['registers']), prog.to_source()
    assert torch.allclose(soft.halted, ref['halted'].float(), atol=1e-4), prog.to_source()
    assert torch.allclose(soft.steps, ref['steps'].float(), atol=1e-2), prog.to_source()


@settings(max_examples=CI_CASES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_soft_hard_symbolic_agree(case):
    check(case)


@pytest.mark.slow
@pytest.mark.skipif(not SLOW, reason="slow: set RUN_SLOW=1")
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_soft_hard_symbolic_agree_10k(case):
    check(case)


def test_alus_agree_on_random_programs():
    "The three ALUs give the same soft result on one-hot inputs (n = 32, every ALU op present)."
    g = torch.Generator().manual_seed(0)
    alu_ops = [i for i in ISA if i.kind == 'alu']
    lines = [Line(i.name, *torch.randint(0, 4, (4,), generator=g).tolist(), imm=0) for i in alu_ops] + [Line('halt')]
    prog = Program.from_lines(lines, 32, 4)
    regs = torch.randint(0, 32, (8, 4), generator=g)
    outs = {alu: Machine(32, 4, 2, alu=alu, device='cpu').run(prog, torch.zeros(8, 2, dtype=torch.long), regs) for alu in ('structured', 'dense', 'circuit')}
    ref = run_symbolic(prog, torch.zeros(8, 2, dtype=torch.long), regs)
    for alu, s in outs.items():
        assert torch.equal(s.values()['registers'], ref['registers']), alu
        assert torch.allclose(s.registers, outs['dense'].registers, atol=1e-5), alu


@settings(max_examples=CI_CASES // 2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_hard_control_follows_hard_mode(case):
    "Hard control, soft data: the soft machine driven by a hard run's counter ends where hard mode ends."
    prog, n, r, m, mem, regs = case
    mach = Machine(n, r, m, device='cpu')
    hard = mach.run(prog, mem, regs, hard=True, trace=True, max_steps=40)
    soft = mach.run(prog, mem, regs, max_steps=40, control=hard.trace['pc'])
    vals = soft.values(partial=True)
    assert torch.equal(vals['memory'], hard.memory) and torch.equal(vals['registers'], hard.registers), prog.to_source()
    assert torch.equal(soft.finished, hard.halted), prog.to_source()
    assert torch.allclose(soft.steps, hard.steps.float(), atol=1e-3), prog.to_source()


@settings(max_examples=CI_CASES, deadline=None)
@given(programs())
def test_to_source_round_trip(case):
    "Disassembling and re-assembling gives the same program: every field an instruction uses, and the same runs."
    prog, n, r, m, mem, regs = case
    again = assemble(prog.to_source(), n, r)
    for a, b in zip(prog.hard_lines(), again.hard_lines()):
        assert a.op == b.op and all(getattr(a, f) == getattr(b, f) for f in instr(a.op).syntax), prog.to_source()
    x, y = run_symbolic(prog, mem, regs, max_steps=40), run_symbolic(again, mem, regs, max_steps=40)
    assert all(torch.equal(x[k], y[k]) for k in x), prog.to_source()


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 16), st.integers(1, 6), st.integers(1, 4), st.data())
def test_load(n, count, batch, data):
    "`Machine.load`: zeros everywhere but the fixed values and the soft distributions, which stay differentiable."
    idx = data.draw(st.lists(st.integers(0, count - 1), unique=True, max_size=count))
    k = data.draw(st.integers(0, len(idx)))
    fixed = {i: data.draw(st.integers(0, n - 1)) for i in idx[:k]}
    logits = torch.randn(len(idx) - k, batch, n, requires_grad=True)
    soft = {i: logits[j].softmax(-1) for j, i in enumerate(idx[k:])}
    X = Machine(n, max(count, 1), 1, device='cpu').load(count, batch, soft=soft, fixed=fixed)
    assert X.shape == (batch, count, n) and torch.allclose(X.sum(-1), torch.ones(batch, count))
    for i in range(count):
        if i in soft: assert torch.equal(X[:, i], soft[i])
        else: assert torch.equal(X[:, i].argmax(-1), torch.full((batch,), fixed.get(i, 0))) and bool((X[:, i].max(-1).values == 1).all())
    if soft:
        (X * torch.randn_like(X)).sum().backward()
        assert logits.grad is not None and logits.grad.abs().sum() > 0


@settings(max_examples=CI_CASES // 2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.integers(0, 2**31 - 1))
def test_fast_hard_control_equals_reference(case, seed):
    "The fast hard-control path equals the reference step under the same control, on soft data: values and gradients."
    prog, n, r, m, mem, regs = case
    mach = Machine(n, r, m, device='cpu')
    g = torch.Generator().manual_seed(seed)
    soften = lambda x: (torch.nn.functional.one_hot(x, n) * 4 + torch.randn(*x.shape, n, generator=g)).requires_grad_()
    lm, lr = soften(mem), soften(regs)
    ctl = mach.run(prog, mem, regs, hard=True, trace=True, max_steps=40).trace['pc']
    w = torch.randn(mem.shape[0], m, n, generator=g), torch.randn(regs.shape[0], r, n, generator=g)
    out = []
    for fast in (False, True):
        lm.grad = lr.grad = None
        s = mach.run(prog, lm.softmax(-1), lr.softmax(-1), max_steps=40, control=ctl, fast=fast)
        ((s.memory * w[0]).sum() + (s.registers * w[1]).sum()).backward()
        out.append((s, lm.grad.clone(), lr.grad.clone()))
    (ref, gm, gr), (fst, fm, fr) = out
    for a, b in ((fst.memory, ref.memory), (fst.registers, ref.registers), (fm, gm), (fr, gr)):
        assert torch.allclose(a, b, atol=1e-5), (prog.to_source(), float((a - b).abs().max()))
    assert torch.allclose(fst.halted, ref.halted, atol=1e-5) and torch.allclose(fst.steps, ref.steps.detach(), atol=1e-3)
