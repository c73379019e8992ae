"""The command lines: every flag documents itself and its default; commands that only read never touch committed
results, from whatever folder they run in."""
import hashlib, importlib, re, subprocess, sys
from pathlib import Path
import pytest
from diffreg.results import project_root

ROOT = project_root(Path(__file__).parent)
CLIS = ['train', 'tiny_llama', 'pipeline', 'report', 'bench', 'ask']


def tree_hash(*dirs):
    "One hash of every committed result file under `dirs` (names and bytes)."
    h = hashlib.sha256()
    for d in dirs:
        for p in sorted((ROOT / d).rglob('*')):
            if p.is_file(): h.update(str(p.relative_to(ROOT)).encode()); h.update(p.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize('name', CLIS)
def test_every_flag_has_help_with_its_default(name):
    p = importlib.import_module(f'diffreg.{name}').cli()
    opts = [a for a in p._actions if a.dest != 'help']
    assert all(a.help for a in opts), [a.dest for a in opts if not a.help]
    positional = [a for a in opts if not a.option_strings and a.nargs in (None, '+')]   # a required choice states no default
    assert len(re.findall(r'\(default:\s', p.format_help())) == len(opts) - len(positional), p.format_help()


def run(*args, cwd):
    return subprocess.run([sys.executable, '-m', *args], capture_output=True, text=True, cwd=cwd)


def test_read_only_commands_leave_results_alone(tmp_path):
    before = tree_hash('tables', 'figures', 'html')
    r = run('diffreg.report', '--help', cwd=tmp_path)
    assert r.returncode == 0 and '--write' in r.stdout
    r = run('diffreg.report', cwd=tmp_path)                                             # prints the report, writes nothing
    assert r.returncode == 0 and r.stdout.startswith('# diffreg: results beside the paper') and 'Table 1, base 128' in r.stdout
    r = run('diffreg.pipeline', '--html-only', '--scale', 'smoke', cwd=tmp_path)
    assert r.returncode == 2 and 'smoke results are not promoted' in r.stderr, r.stderr
    r = run('diffreg.pipeline', '99_missing.ipynb', '03_lookup_tables.ipynb', '--scale', 'smoke', cwd=tmp_path)
    assert r.returncode == 2 and 'nothing was run; cannot run 99_missing.ipynb (no such notebook)' in r.stderr, r.stderr
    assert tree_hash('tables', 'figures', 'html') == before
    assert list(tmp_path.iterdir()) == []                                               # nothing written where the command ran
