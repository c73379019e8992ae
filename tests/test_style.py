"""Style rules of the generated package that ruff's pyflakes rules (`make lint`) do not cover."""
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / 'diffreg'
MAX = 120


def overlong(text:str) -> list:
    "`(line number, length)` of each line over MAX, but nbdev's own wrapped `__all__` (its first line may reach 130)."
    return [(i, len(l)) for i, l in enumerate(text.splitlines(), 1) if len(l) > MAX and not l.startswith('__all__ = [')]


def test_overlong_finds_long_lines():
    assert overlong('x = 1\n' + 'y' * 121 + '\n__all__ = [' + "'a', " * 30) == [(2, 121)]


def test_no_line_over_120_characters():
    bad = {p.name: overlong(p.read_text()) for p in sorted(PKG.glob('*.py')) if p.name != '_modidx.py'}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, f"lines over {MAX} characters (edit the notebooks, then nbdev-export): {bad}"
