"""The papermill pipeline end to end, on one small notebook at smoke scale, into a temporary folder."""
import json, shutil, subprocess, sys
from pathlib import Path
import pytest
from diffreg.pipeline import run_pipeline, experiment_notebooks, NotebookFailed
from diffreg.results import project_root

ROOT = project_root(Path(__file__).parent)


def test_lookup_notebook_regenerates_its_figure(tmp_path):
    nb = ROOT / 'nbs' / '03_lookup_tables.ipynb'
    assert nb in experiment_notebooks(ROOT / 'nbs')
    times = run_pipeline('smoke', [nb], runs=tmp_path, promote=True, root=tmp_path, log=lambda s: None)
    assert [n for n, _ in times] == [nb.name]
    assert (tmp_path / 'smoke' / nb.name).exists()                      # the executed notebook
    assert (tmp_path / 'figures' / 'lookup_mod5.png').stat().st_size > 1000  # promoted into the (temporary) root


def test_failure_names_notebook_and_cell(tmp_path):
    bad = tmp_path / 'nbs' / '99_broken.ipynb'
    bad.parent.mkdir()
    cell = lambda src, tags=(): dict(cell_type='code', id=f'c{abs(hash(src)) % 10**8}', metadata=dict(tags=list(tags)), source=src, outputs=[], execution_count=None)
    bad.write_text(json.dumps(dict(nbformat=4, nbformat_minor=5, metadata=dict(kernelspec=dict(name='python3', display_name='Python 3', language='python')),
                                   cells=[cell("scale = 'smoke'", ['parameters']), cell('x = 1'), cell("raise ValueError('boom')")])))
    with pytest.raises(NotebookFailed, match=r"99_broken.ipynb failed in cell \d+.*ValueError: boom"):
        run_pipeline('smoke', [bad], runs=tmp_path / 'runs', root=tmp_path, log=lambda s: None)
    assert not (tmp_path / 'figures').exists()                            # nothing promoted


def test_cli_rejects_unknown_scale():
    r = subprocess.run([sys.executable, '-m', 'diffreg.pipeline', '--scale', 'huge'], capture_output=True, text=True)
    assert r.returncode != 0 and 'invalid choice' in r.stderr


def test_same_seed_same_tables(tmp_path):
    "Determinism: the smoke pipeline twice on one small notebook gives byte-identical tables."
    nb = ROOT / 'nbs' / '15_swap.ipynb'
    staged = []
    for k in ('a', 'b'):
        run_pipeline('smoke', [nb], runs=tmp_path / k, promote=False, root=ROOT, log=lambda s: None)
        staged.append(tmp_path / k / 'smoke' / 'results' / 'tables')
    files = sorted(p.name for p in staged[0].iterdir())
    assert files and files == sorted(p.name for p in staged[1].iterdir())
    def content(p):                       # a summary's wall time is a measurement, not a result
        if not p.name.endswith('.summary.json'): return p.read_bytes()
        return [{k: v for k, v in r.items() if k != 'wall'} for r in json.loads(p.read_text())]
    for f in files: assert content(staged[0] / f) == content(staged[1] / f), f


@pytest.mark.parametrize('nb', experiment_notebooks(ROOT / 'nbs'), ids=lambda p: p.name)
def test_papermill_reads_every_parameter(nb):
    "papermill must parse every assignment of the `parameters` cell (an '=' in a comment makes it skip the line)."
    import ast, papermill as pm
    cell = next(c for c in json.loads(nb.read_text())['cells'] if 'parameters' in c.get('metadata', {}).get('tags', []))
    names = [t.id for s in ast.parse(''.join(cell['source'])).body if isinstance(s, ast.Assign) for t in s.targets]
    assert list(pm.inspect_notebook(str(nb))) == names


def test_params_reach_every_notebook(tmp_path):
    "`params` (`-p NAME VALUE`) are injected beside the scale; the executed notebook shows them."
    nb = tmp_path / 'nbs' / '98_params.ipynb'
    nb.parent.mkdir()
    cell = lambda src, tags=(): dict(cell_type='code', id=f'c{abs(hash(src)) % 10**8}', metadata=dict(tags=list(tags)), source=src, outputs=[], execution_count=None)
    nb.write_text(json.dumps(dict(nbformat=4, nbformat_minor=5, metadata=dict(kernelspec=dict(name='python3', display_name='Python 3', language='python')),
                                  cells=[cell("scale = 'smoke'\nresume = False", ['parameters']), cell("assert resume is True and scale == 'smoke'")])))
    run_pipeline('smoke', [nb], runs=tmp_path / 'runs', root=tmp_path, log=lambda s: None, params=dict(resume=True))
    assert json.loads((tmp_path / 'runs' / 'smoke' / 'status.json').read_text())['params'] == dict(resume=True)
