"""The built wheel installs and runs outside the repository.

How: the wheel is built from a copy of the source tree (so that a stale ``build/`` folder of the
checkout cannot put a file into the wheel that the sources no longer provide) with
``pip wheel --no-deps --no-build-isolation``, i.e. this environment's setuptools: no build tool is
downloaded. A fresh venv is created without pip (``venv --without-pip``) and this environment's pip
installs the wheel into it (``pip --python``) with ``--no-deps``; the wheel's dependencies come from
this environment through a ``.pth`` file in the fresh venv naming this environment's site-packages.
A path line in a .pth only extends ``sys.path``: the .pth files of that folder (such as the finder
of an editable install of the checkout) do not run, so the fresh venv must import khabar from its
own site-packages, which the tests check. ``pip check`` then checks, in the fresh venv, that the
wheel's declared requirements (under constraints.txt, as this environment was installed) are met.
Finally ``khabar`` runs from an empty folder outside the repository, with no PYTHONPATH, and must
read the scheme shipped in the fresh venv.

Why not a full ``pip install -c constraints.txt khabar.whl`` from the package index: on the shared
development machine (2 cores) it took 28 s (pip cache warm, idle), 40 s (no cache, idle) but 60 s
to 135 s under the usual load (load average 10), past the ~90 s a test may take; it also needs the
network at test time and 1 GB of disk. The declared requirements are checked instead by
``pip check`` here and by tests/test_packaging.py (every imported package is declared).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SIGNATURE = "khabar:0.1|gold:4cfe67c2|release:1.0.0|ents:strict|claims:iou0.5|norm:ar|align:fuzzy0.75+clitics|bs:1000|seed:12345"
NOT_SOURCES = (".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".khabar", "runs",
               ".pytest_cache", ".hypothesis")


def run(*cmd: str | Path, cwd: Path, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def outside_env() -> dict[str, str]:
    """The environment of a user's shell: nothing that points Python at the checkout or another scheme."""
    return {k: v for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "KHABAR_SCHEME", "PYTHONSAFEPATH")}


def build_wheel(tmp: Path, env: dict[str, str]) -> Path:
    source = tmp / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(*NOT_SOURCES))
    built = run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                "--wheel-dir", tmp / "dist", source, cwd=tmp, env=env)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp / "dist").glob("khabar-*.whl")
    return wheel


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory):
    """(venv folder, an empty folder outside the repository) with the wheel installed in the venv."""
    tmp = tmp_path_factory.mktemp("wheel")
    env = outside_env()
    wheel = build_wheel(tmp, env)
    venv = tmp / "venv"
    made = run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp, env=env)
    assert made.returncode == 0, made.stderr
    installed = run(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--quiet",
                    "--disable-pip-version-check", "--no-deps", wheel, cwd=tmp, env=env)
    assert installed.returncode == 0, installed.stderr
    lent = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (site_packages(venv) / "khabar-test-dependencies.pth").write_text("".join(f"{p}\n" for p in lent))
    outside = tmp / "elsewhere"
    outside.mkdir()
    yield venv, outside


def site_packages(venv: Path) -> Path:
    (found,) = (venv / "lib").glob("python3*/site-packages")
    return found


def test_the_wheel_imports_khabar_from_the_fresh_venv(fresh_venv: tuple[Path, Path]) -> None:
    venv, outside = fresh_venv
    env = outside_env()
    where = run(venv / "bin" / "python", "-c", "import sys, importlib.metadata as m, annotation, eval.cli; "
                "print(annotation.__file__, eval.cli.__file__, m.distribution('khabar').locate_file('')); "
                "print(sorted(n for n in sys.modules if 'editable' in n))", cwd=outside, env=env)
    assert where.returncode == 0, where.stderr
    files, editable_finders = where.stdout.splitlines()
    for path in files.split():
        assert Path(path).is_relative_to(site_packages(venv)), path
    assert editable_finders == "[]"  # the checkout's editable install stays out of the fresh venv
    checked = run(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "check", cwd=outside, env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_wheel_validates_and_benches_from_outside_the_repository(fresh_venv: tuple[Path, Path]) -> None:
    venv, outside = fresh_venv
    env = outside_env()
    khabar = venv / "bin" / "khabar"
    shipped_scheme = site_packages(venv) / "annotation" / "data" / "scheme.json"

    version = run(khabar, "--version", cwd=outside, env=env)
    assert version.returncode == 0, version.stderr
    assert version.stdout.splitlines()[-1].endswith(f" from {shipped_scheme}")

    valid = run(khabar, "validate", ROOT / "data" / "gold", cwd=outside, env=env)
    assert valid.returncode == 0, valid.stderr
    assert " documents valid against scheme " in valid.stdout and valid.stdout.rstrip().endswith(str(shipped_scheme))
    assert shipped_scheme.read_bytes() == (ROOT / "data" / "scheme.json").read_bytes()
    assert not shipped_scheme.is_symlink()

    default = run(khabar, "validate", cwd=outside, env=env)  # no ./data/gold here, no checkout behind the wheel
    assert default.returncode == 1 and "Traceback" not in default.stderr
    assert default.stderr.strip() == f"error: no data/gold in the current directory ({outside}): give a GOLD path"

    bench = run(khabar, "bench", "--gold", ROOT / "data" / "gold", cwd=outside, env=env, timeout=300)
    assert bench.returncode == 0, bench.stderr
    assert SIGNATURE in bench.stdout.splitlines()
    from_checkout = run(sys.executable, "-c", "from eval.cli import main; main()", "bench", "--gold",
                        ROOT / "data" / "gold", cwd=outside, env={**env, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert from_checkout.returncode == 0, from_checkout.stderr
    assert bench.stdout == from_checkout.stdout  # the same numbers, table and signature as the checkout's code


def test_the_wheel_renders_the_shipped_guidelines(fresh_venv: tuple[Path, Path]) -> None:
    from annotation.labelstudio.config import instructions

    venv, outside = fresh_venv
    rendered = run(venv / "bin" / "python", "-c", "import sys; from annotation.labelstudio.config import "
                   "instructions; sys.stdout.write(instructions())", cwd=outside, env=outside_env())
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout == instructions()  # the checkout's data/guidelines.md, as Label Studio shows it
