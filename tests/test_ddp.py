"""Two processes (DDP over gloo, launched by accelerate) train as one process does with the same global batch.

`accelerate launch --multi_gpu --num_processes 2 -m diffreg.train ...` on a machine without a GPU: torchrun starts two
processes and `train`'s `Accelerator(cpu=True)` joins them in a gloo group (`accelerate launch --cpu` starts a single
process unless given an MPI hostfile). A tiny random Llama, smoke data, per-process batch 2 against one process with
batch 4: the same sentences in every optimiser step.

Tolerance. Before any update (step 1) the two runs compute the same loss and gradient up to float32 summation order:
relative 1e-6. Afterwards AdamW divides each coordinate's step by its own gradient scale, so a coordinate whose true
gradient is ~0 takes a full-size step whose sign is decided by rounding; the weights then differ by O(lr) and the
losses by about lr x steps in relative terms (measured at the smoke lr 1e-5 for the LM and the head: 5e-5 to
1.1e-4 after 4 steps; with the head at 1e-3, the CLI's default for pointer: 7e-4; at lr 1e-4: 1.1e-3). We allow
relative 1e-3 from step 2 on: a wrong gradient (a process's loss not averaged, a half batch counted twice) is off by tens of percent.
"""
import os, shutil, subprocess, sys
from pathlib import Path
import pandas as pd
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.fixture(scope='module')
def tiny_folder(tmp_path_factory):
    "A tiny random Llama with SmolLM2's tokenizer, saved as a model folder `--model` takes."
    from transformers import AutoTokenizer, LlamaForCausalLM
    from diffreg.augment import tiny_llama_config
    from diffreg.augmented_llama import resolve_model
    r = resolve_model()
    tok = AutoTokenizer.from_pretrained(r['path'], gguf_file=r['gguf_file'], local_files_only=True)
    tok.pad_token = tok.eos_token
    torch.manual_seed(0)
    d = tmp_path_factory.mktemp('tiny')
    LlamaForCausalLM(tiny_llama_config(vocab_size=len(tok), hidden=32, layers=2, intermediate=64)).save_pretrained(d)
    tok.save_pretrained(d)
    return d


def train(out, model, task, parser, processes, bs, extra=()):
    args = ['-m', 'diffreg.train', '--task', task, '--scale', 'smoke', '--model', str(model), '--out', str(out),
            '--n-train', '16', '--n-eval', '4', '--epochs', '1', '--bs', str(bs), *extra]
    # the head at the smoke lr too (the CLI's default head lr is the parser's HEAD_LR, 100x larger): the drift below
    # was measured at one rate for all
    args += ['--parser', parser, '--head-lr', '1e-5'] if parser not in ('text', 'tool') else ['--baseline', parser]
    launcher = ([str(BIN / 'accelerate'), 'launch', '--multi_gpu', '--num_processes', str(processes), '--num_machines',
                 '1', '--mixed_precision', 'no', '--dynamo_backend', 'no', '--main_process_port', '29517']
                if processes > 1 else [sys.executable])
    env = dict(os.environ, OMP_NUM_THREADS='1', CUDA_VISIBLE_DEVICES='')
    r = subprocess.run(launcher + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return pd.read_csv(Path(out) / 'steps.csv')


@pytest.mark.parametrize('task,parser', [('calc128', 'pointer'), ('select', 'pointer+span'), ('sort8', 'text')])
def test_two_processes_train_as_one(tiny_folder, tmp_path, task, parser):
    one = train(tmp_path / 'one', tiny_folder, task, parser, 1, 4)
    two = train(tmp_path / 'two', tiny_folder, task, parser, 2, 2)
    assert one.step.tolist() == two.step.tolist() == [1, 2, 3, 4]             # 16 sentences, global batch 4
    first = lambda d, c: float(d[c].iloc[0])
    assert abs(first(one, 'loss') - first(two, 'loss')) <= 1e-6 * abs(first(one, 'loss'))
    assert abs(first(one, 'grad_norm') - first(two, 'grad_norm')) <= 1e-6 * first(one, 'grad_norm')
    rel = ((one.loss - two.loss).abs() / one.loss.abs()).max()
    assert rel <= 1e-3, pd.concat([one.loss, two.loss], axis=1)
    if parser != 'text':                                                       # a run folder is a saved model
        from diffreg.augmented_llama import AugmentedLlama
        assert AugmentedLlama.from_pretrained(tmp_path / 'two').head.settings['parser'] == parser
    shutil.rmtree(tmp_path)
