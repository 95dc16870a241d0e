"""Which scheme version a record follows, and the scheme as that version defined it.

Every writer since scheme 1.1 names the version in the record (``annotation.scheme``: gold build,
adjudication, import, migration); a record that names none was written before 1.1 and is read as
:data:`UNNAMED` (per-annotator records of 1.0 never named it). A set of records is read with one
version: records of two versions together are an error naming both, since 1.1 attributes cannot be
compared with their absence.
"""

from __future__ import annotations

from collections.abc import Iterable

from annotation.errors import KhabarError
from annotation.model import Annotated
from annotation.scheme import Scheme

UNNAMED = "1.0.0"


def record_version(doc: Annotated) -> str:
    """The scheme version ``doc`` follows: the one it names, else :data:`UNNAMED`."""
    named = doc.annotation.get("scheme")
    return str(named) if named is not None else UNNAMED


def records_scheme(docs: Iterable[Annotated], scheme: Scheme, where: str) -> Scheme:
    """``scheme`` as the version that all of ``docs`` follow defined it (the current one for no docs)."""
    versions: dict[str, str] = {}
    for doc in docs:
        versions.setdefault(record_version(doc), doc.id)
    if len(versions) > 1:
        shown = "; ".join(f"{v} (e.g. {ident})" for v, ident in sorted(versions.items()))
        oldest = min(versions, key=lambda v: tuple(int(p) for p in v.split(".") if p.isdigit()))
        lacking = [a for a in scheme.added_since(oldest)] if oldest in scheme.versions else []
        lack = f"; those of {oldest} lack {' and '.join(lacking)}" if lacking else ""
        raise KhabarError(f"{where}: records of several scheme versions: {shown}{lack}; bring them to one "
                          "version first (`khabar gold migrate`)")
    return scheme.at(next(iter(versions), scheme.version))


def not_covered(full: Scheme, view: Scheme, doing: str) -> str | None:
    """``gold of scheme 1.0.0: stance and certainty not scored`` when ``view`` lacks attributes of ``full``."""
    missing = full.added_since(view.version)
    if not missing:
        return None
    names = " and ".join(missing) if len(missing) <= 2 else ", ".join(missing)
    return f"of scheme {view.version}: {names} not {doing}"
