"""Run every notebook through nbdev's own runner (respecting `tst_flags`), one pytest case per notebook.

This gives CI a pytest summary line for the notebook tests. (Do not `from fastcore.test import *` here:
pytest would collect `test_eq` and friends as tests.)"""
from pathlib import Path
import pytest
from nbdev.config import get_config
from nbdev import test as nbdev_test

CFG = get_config(Path(__file__).parent)
NOTEBOOKS = sorted(p for p in CFG.nbs_path.glob('*.ipynb') if not p.name.startswith('_'))
FLAGS = CFG.tst_flags.split() if isinstance(CFG.tst_flags, str) else list(CFG.tst_flags)


def test_notebooks_found():
    assert len(NOTEBOOKS) >= 3, f"no notebooks found under {CFG.nbs_path}"


def test_slow_and_gpu_cells_are_skipped_by_default():
    assert {'slow', 'gpu'} <= set(FLAGS)


@pytest.mark.parametrize('nb', NOTEBOOKS, ids=lambda p: p.name)
def test_notebook(nb):
    ok, secs = nbdev_test.test_nb(nb, skip_flags=FLAGS, basepath=CFG.config_path)
    assert ok, f"{nb.name} failed (see the traceback above)"
