#!/usr/bin/env python3
"""Set-up and the two commands of the README, for a fresh machine with only python3 and pip.

    python3 dev.py bench [KHABAR BENCH OPTIONS]   # the main job: the baseline on the shipped gold set
    python3 dev.py test [PYTEST OPTIONS]          # the whole test suite (CI runs this)

Both create ``.venv/`` at the repository root when needed and install khabar into it with the
pinned versions of ``constraints.txt`` (so numbers do not drift with a dependency release);
``test`` adds the Label Studio server and the test tools, validates the shipped gold set,
and installs Debian's Chromium for the report's browser test when it is missing and we are root.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
STAMP = VENV / ".khabar-installed"
EXTRAS = {"bench": "", "test": "server,test,hf,spacy,ray"}
CHROMIUM_PACKAGES = ["chromium", "fonts-noto-core"]


def say(message: str) -> None:
    print(f"[dev] {message}", file=sys.stderr, flush=True)


def run(*cmd: str | Path, check: bool = True, env: dict[str, str] | None = None) -> int:
    proc = subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env)
    if check and proc.returncode != 0:
        say(f"failed ({proc.returncode}): {' '.join(str(c) for c in cmd)}")
        sys.exit(proc.returncode)
    return proc.returncode


def make_venv() -> None:
    if (BIN / "python").exists():
        return
    say("creating .venv")
    if subprocess.run([sys.executable, "-m", "venv", str(VENV)]).returncode != 0:
        # Debian without python3-venv: fall back to virtualenv from PyPI.
        shutil.rmtree(VENV, ignore_errors=True)
        run(sys.executable, "-m", "pip", "install", "--user", "--quiet", "virtualenv")
        run(sys.executable, "-m", "virtualenv", VENV)
    # The pip that python3 bundles may be old: pip 23 fails to resolve label-studio's extras.
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--upgrade", "pip>=25")


def install(extras: str) -> None:
    """Install khabar (editable) with ``extras`` under the pinned constraints, once per change of inputs."""
    make_venv()
    wanted = set(filter(None, extras.split(",")))
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((ROOT / name).read_bytes())
    have = STAMP.read_text().split("\n") if STAMP.exists() else []
    if have and have[0] == digest.hexdigest():
        if wanted <= set(filter(None, have[1:])):
            return
        wanted |= set(filter(None, have[1:]))
    spec = f".[{','.join(sorted(wanted))}]" if wanted else "."
    say(f"installing khabar {spec} into .venv (pinned by constraints.txt)")
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "-c", "constraints.txt", "-e", spec)
    STAMP.write_text("\n".join([digest.hexdigest(), *sorted(wanted)]))


def ensure_chromium() -> None:
    if shutil.which("chromium") or Path("/usr/bin/chromium").exists():
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        say("Debian's chromium is missing and this is not root: the browser test will say so")
        return
    say("installing Debian's chromium for the HTML report test")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run("apt-get", "update", "-qq", env=env)
    run("apt-get", "install", "-y", "-qq", *CHROMIUM_PACKAGES, env=env)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in EXTRAS:
        print(__doc__, file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    install(EXTRAS[command])
    if command == "bench":
        return run(BIN / "khabar", "bench", *rest, check=False)
    ensure_chromium()
    run(BIN / "khabar", "validate", "data/gold")
    return run(BIN / "python", "-m", "pytest", *(rest or ["-q"]), check=False)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
