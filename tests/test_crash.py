"""Fault injection for `python -m diffreg.train`: a run killed with SIGKILL (during training, or in the middle of
saving a checkpoint) and resumed with `--resume` ends with the same `model.safetensors`, byte for byte, as a run that
was never interrupted; the previous checkpoint survives a save that dies or runs out of disk.

The model is a random 2-layer Llama with SmolLM2's tokenizer, saved to a folder once (7 s). CI runs one kill during
training and one kill during a save; `RUN_SLOW=1` adds more kill points and a full disk."""
import hashlib, os, random, signal, subprocess, sys, time
from pathlib import Path
import pytest

SLOW = os.environ.get('RUN_SLOW') == '1'
ARGS = ['--task', 'calc128', '--scale', 'cpu', '--parser', 'attention', '--n-train', '200', '--n-eval', '2', '--bs', '2',
        '--epochs', '2', '--save-every', '15', '--eval-every', '40']
ENV = {**os.environ, 'OMP_NUM_THREADS': '1', 'TOKENIZERS_PARALLELISM': 'false'}


def sha(p): return hashlib.sha256(Path(p).read_bytes()).hexdigest()


def train_cmd(model, out, *extra, inject=None):
    "The CLI, optionally with fault-injection code run first (it may patch diffreg.train)."
    pre = f"import diffreg.train as T\n{inject}\n" if inject else "import diffreg.train as T\n"
    code = pre + f"raise SystemExit(T.main({[*ARGS, '--model', str(model), '--out', str(out), *extra]!r}))"
    return [sys.executable, '-c', code]


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    "A tiny random Llama folder, and the final weights' hash of an uninterrupted run on it."
    d = tmp_path_factory.mktemp('crash')
    subprocess.run([sys.executable, '-c', f"""
import torch
from transformers import AutoTokenizer, LlamaForCausalLM
from diffreg.augmented_llama import resolve_model
from diffreg.augment import tiny_llama_config
r = resolve_model()
tok = AutoTokenizer.from_pretrained(r['path'], gguf_file=r['gguf_file'], local_files_only=True)
torch.manual_seed(0)
LlamaForCausalLM(tiny_llama_config(vocab_size=len(tok), hidden=32, layers=2, intermediate=64)).save_pretrained({str(d / 'model')!r})
tok.save_pretrained({str(d / 'model')!r})
"""], check=True, env=ENV)
    subprocess.run(train_cmd(d / 'model', d / 'whole'), check=True, env=ENV, capture_output=True)
    return d, sha(d / 'whole' / 'model.safetensors')


def resume_and_compare(d, out, want):
    r = subprocess.run(train_cmd(d / 'model', out, '--resume'), env=ENV, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert sha(out / 'model.safetensors') == want
    assert [p.name for p in (out / 'checkpoints').iterdir()] == ['step-000200']      # debris and old checkpoints gone
    log = (out / 'log.csv').read_text().splitlines()
    assert len(log) == 1 + 6, log                                                    # steps 40, 80, 100, 120, 160, 200: one row each


def kill_during_training(tiny, tmp_path, seed):
    d, want = tiny
    out = tmp_path / f'killed{seed}'
    p = subprocess.Popen(train_cmd(d / 'model', out), env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while not (out / 'LATEST').exists():                                             # at least one checkpoint
        assert p.poll() is None and time.time() - t0 < 120, 'the run ended before its first checkpoint'
        time.sleep(0.05)
    time.sleep(random.Random(seed).uniform(0, 2.0))                                  # then a random moment
    assert p.poll() is None, 'the run finished before it could be killed'
    p.send_signal(signal.SIGKILL); p.wait()
    assert not (out / 'model.safetensors').exists()
    resume_and_compare(d, out, want)


def test_sigkill_during_training_then_resume_is_bit_identical(tiny, tmp_path):
    kill_during_training(tiny, tmp_path, seed=0)


@pytest.mark.slow
@pytest.mark.skipif(not SLOW, reason="slow: set RUN_SLOW=1")
@pytest.mark.parametrize('seed', [1, 2, 3])
def test_sigkill_at_more_moments(tiny, tmp_path, seed):
    kill_during_training(tiny, tmp_path, seed)


# Fault points inside `RunFolder.save` of the 3rd checkpoint (step 45): while hashing its files (written, not yet renamed),
# after the rename but before LATEST names it, and a full disk while writing it.
KILL = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"
FAULTS = {
    'kill_while_hashing': ("_h = T._sha256\nn = [0]\ndef _sha(p):\n    n[0] += 1\n    if n[0] == 13: " + KILL.replace('\n', '; ') +
                           "\n    return _h(p)\nT._sha256 = _sha", 'step-000030'),
    'kill_before_latest': ("_w = T.atomic_write\nn = [0]\ndef _aw(p, t):\n    if p.name == 'LATEST':\n        n[0] += 1\n        if n[0] == 3: " +
                           KILL.replace('\n', '; ') + "\n    return _w(p, t)\nT.atomic_write = _aw", 'step-000030'),
    'disk_full': ("_h = T._sha256\nn = [0]\ndef _sha(p):\n    n[0] += 1\n    if n[0] == 13: raise OSError(28, 'No space left on device')"
                  "\n    return _h(p)\nT._sha256 = _sha", 'step-000030'),
}


def fault_during_save(tiny, tmp_path, fault):
    d, want = tiny
    inject, survivor = FAULTS[fault]
    out = tmp_path / fault
    r = subprocess.run(train_cmd(d / 'model', out, inject=inject), env=ENV, capture_output=True, text=True)
    assert r.returncode != 0
    assert (out / 'LATEST').read_text().strip() == survivor                            # the previous checkpoint is in force
    assert not (out / 'model.safetensors').exists()
    assert (out / 'log.csv').read_text() == ''                                       # the step-40 row is not in a saved state yet
    resume_and_compare(d, out, want)


def test_sigkill_during_checkpoint_save_keeps_previous(tiny, tmp_path):
    fault_during_save(tiny, tmp_path, 'kill_while_hashing')


@pytest.mark.slow
@pytest.mark.skipif(not SLOW, reason="slow: set RUN_SLOW=1")
@pytest.mark.parametrize('fault', ['kill_before_latest', 'disk_full'])
def test_other_faults_during_save(tiny, tmp_path, fault):
    fault_during_save(tiny, tmp_path, fault)


def test_second_run_refused_and_errors_are_clear(tiny, tmp_path):
    d, _ = tiny
    r = subprocess.run(train_cmd(d / 'model', d / 'whole'), env=ENV, capture_output=True, text=True)
    assert r.returncode == 2 and 'already holds a run' in r.stderr and 'Traceback' not in r.stderr, r.stderr[-2000:]
    bad = tmp_path / 'bad'
    import shutil; shutil.copytree(d / 'whole', bad)
    (bad / 'run.json').unlink()                       # an interrupted run: a finished one is reused from run.json
    ck = bad / 'checkpoints' / (bad / 'LATEST').read_text().strip() / 'optimizer.bin'
    ck.write_bytes(ck.read_bytes()[:100])                                             # a truncated checkpoint
    r = subprocess.run(train_cmd(d / 'model', bad, '--resume'), env=ENV, capture_output=True, text=True)
    assert r.returncode == 2 and 'is truncated or corrupt: optimizer.bin has 100 bytes' in r.stderr and 'Traceback' not in r.stderr, r.stderr[-2000:]
