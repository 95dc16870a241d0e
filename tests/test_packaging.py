"""What an installed khabar relies on: declared dependencies, package data, and the default data paths.

The wheel itself is built, installed and run in ``test_wheel.py``.
"""

from __future__ import annotations

import ast
import re
import shutil
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from annotation import locations
from annotation.scheme import SCHEME_ENV, load_scheme, scheme_file

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "annotation", ROOT / "eval", ROOT / "tests", ROOT / "benchmarks", ROOT / "dev.py"]
FIRST_PARTY = {"annotation", "eval", "tests"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_distributions() -> set[str]:
    """Every distribution named in pyproject.toml: the dependencies and every extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    return {normalise(re.match(r"[A-Za-z0-9._-]+", req.strip()).group()) for req in requirements}


def imported_top_level_names() -> dict[str, list[str]]:
    """Top-level name of every absolute import in the project's Python files -> the files importing it."""
    files = [p for source in SOURCES for p in (sorted(source.rglob("*.py")) if source.is_dir() else [source])]
    local = FIRST_PARTY | {p.stem for p in files}  # sibling modules of tests/ and benchmarks/
    names: dict[str, list[str]] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found = [node.module]
            else:
                continue
            for name in found:
                top = name.split(".")[0]
                if top not in local and top not in sys.stdlib_module_names:
                    names.setdefault(top, []).append(str(path.relative_to(ROOT)))
    return names


def test_every_imported_package_is_declared() -> None:
    declared = declared_distributions()
    providers = packages_distributions()
    names = imported_top_level_names()
    assert {"yaml", "click", "numpy", "pytest"} <= set(names), "the import scan found too little"
    problems = []
    for name, where in sorted(names.items()):
        dists = {normalise(d) for d in providers.get(name, [])}
        if not dists:
            problems.append(f"{name} (imported by {where[0]}) is not installed")
        elif not dists & declared:
            problems.append(f"{name} (imported by {where[0]}) comes from {sorted(dists)}, not declared")
    assert not problems, "pyproject.toml must declare every imported package:\n" + "\n".join(problems)


def test_packaged_scheme_and_guidelines_are_the_data_folder() -> None:
    for name in ("scheme.json", "guidelines.md"):
        shipped = locations.packaged(name)
        assert shipped.read_bytes() == (ROOT / "data" / name).read_bytes()
        assert locations.shown(shipped) == str((ROOT / "data" / name).resolve())


def test_one_rule_for_the_scheme_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, khabar) -> None:
    monkeypatch.delenv(SCHEME_ENV, raising=False)
    assert load_scheme().source == str((ROOT / "data" / "scheme.json").resolve())
    other = tmp_path / "other-scheme.json"
    shutil.copy(ROOT / "data" / "scheme.json", other)
    monkeypatch.setenv(SCHEME_ENV, str(other))
    assert scheme_file() == other.resolve()
    assert load_scheme().source == str(other.resolve())
    version = khabar("--version")
    assert version.exit_code == 0 and f"from {other.resolve()}" in version.output
    valid = khabar("validate", ROOT / "data" / "gold")
    assert valid.exit_code == 0 and valid.output.rstrip().endswith(f"from {other.resolve()}")
    monkeypatch.setenv(SCHEME_ENV, str(tmp_path / "missing.json"))
    broken = khabar("--version")
    assert broken.exit_code == 1 and "missing.json: scheme file not found" in broken.stderr


@pytest.fixture
def no_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run as an installed wheel would, from an empty folder: no checkout to fall back on."""
    monkeypatch.setattr(locations, "checkout_data", lambda: None)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("args", "option"), [
    (["validate"], "give a GOLD path"),
    (["stats"], "give a GOLD path"),
    (["bench"], "give --gold"),
    (["gold", "build"], "give --articles"),
    (["gold", "build", "--articles", "a.jsonl"], "give --sources"),
])
def test_checkout_defaults_outside_a_checkout_name_the_option(no_checkout: Path, khabar, args: list[str],
                                                              option: str) -> None:
    result = khabar(*args)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]  # one line, no traceback
    assert result.stderr.startswith("error: no data/") and result.stderr.rstrip().endswith(option)
    assert str(no_checkout) in result.stderr


def test_checkout_defaults_are_looked_up_in_the_current_directory(no_checkout: Path, khabar) -> None:
    shutil.copytree(ROOT / "data" / "gold", no_checkout / "data" / "gold")
    result = khabar("validate")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{no_checkout / 'data' / 'gold'}: ")
    assert " documents valid against scheme " in result.stdout
    assert locations.default_data("gold", "--out", output=True) == no_checkout / "data" / "gold"
    shutil.rmtree(no_checkout / "data")
    with pytest.raises(locations.KhabarError, match="no data/ folder in the current directory .* give --out"):
        locations.default_data("gold", "--out", output=True)


def test_checkout_defaults_fall_back_on_the_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert locations.checkout_data() == ROOT / "data"
    assert locations.default_data("gold", "--gold") == ROOT / "data" / "gold"
    with pytest.raises(locations.KhabarError, match=r"current directory .* or the checkout .*: give --x$"):
        locations.default_data("no-such-thing", "--x")
