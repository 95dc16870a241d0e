"""Where khabar finds its files: the files shipped inside the package, and the default data folders.

The scheme and the guidelines ship as package data (``annotation/data/``, whose files are symlinks to
the repository's ``data/``, the copy contributors edit) and are read with ``importlib.resources``,
so a built wheel and a checkout read the same content. The gold set, the clean articles and the
annotation sources are not shipped: a command that defaults to one of them looks in ``./data/`` of
the current directory, then in the ``data/`` of the checkout it runs from, and otherwise says which
option to pass.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from annotation.errors import KhabarError

PACKAGE_DATA = "data"  # folder of the annotation package holding the shipped files


def packaged(name: str) -> Traversable:
    """A file shipped with khabar (``scheme.json``, ``guidelines.md``), read through importlib.resources."""
    return files("annotation").joinpath(PACKAGE_DATA, name)


def shown(resource: Traversable) -> str:
    """Where a resource lives, for messages: the real file behind a symlink when it is on disk."""
    return str(Path(str(resource)).resolve()) if isinstance(resource, Path) else str(resource)


def checkout_data() -> Path | None:
    """The ``data/`` folder of the source checkout this code runs from; None in an installed wheel."""
    root = Path(__file__).resolve().parent.parent
    data = root / "data"
    return data if (root / "pyproject.toml").is_file() and data.is_dir() else None


def default_data(name: str, option: str, *, output: bool = False) -> Path:
    """The default ``data/<name>``: ``./data/<name>`` of the current directory, else the checkout's.

    An input must exist; an output needs only its ``data/`` folder. Otherwise a KhabarError saying
    which option to pass.
    """
    folders = {"the current directory": Path.cwd() / "data"}
    checkout = checkout_data()
    if checkout is not None and checkout.resolve() != folders["the current directory"].resolve():
        folders["the checkout"] = checkout
    for folder in folders.values():
        if (folder.is_dir() if output else (folder / name).exists()):
            return folder / name
    places = " or ".join(f"{place} ({folder.parent})" for place, folder in folders.items())
    if output:
        raise KhabarError(f"no data/ folder in {places} to write {name} into: give {option}")
    raise KhabarError(f"no data/{name} in {places}: give {option}")
