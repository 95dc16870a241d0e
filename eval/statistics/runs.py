"""Reading result JSONs (``khabar score --json``) for a comparison, and checking that two compare.

Two runs compare when they were scored on the same gold (fingerprint and documents) with the
same settings: their signatures may differ only in the parts that name the system and the
bootstrap (:data:`SYSTEM_SIGNATURE_PARTS`). No numpy here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotation.errors import KhabarError
from annotation.io import load_json

if TYPE_CHECKING:
    from eval.statistics.counts import Counts

# signature parts that may differ between two runs being compared: the system itself and
# the bootstrap settings (they change intervals, not the numbers)
SYSTEM_SIGNATURE_PARTS = frozenset({"sys", "system", "extractor", "pred", "predictions", "bs", "seed"})
# the gold release's version: the same fingerprint is the same annotations whatever the release says
RELEASE_PART = frozenset({"release"})

Names = tuple[str, str]

MAX_COUNT = 2**53  # beyond this a float64 count is no longer exact: no evaluation has that many mentions


def read_run(path: str | Path) -> dict[str, Any]:
    """A result JSON file (``khabar score --json``), with a clear error when it is not one."""
    path = Path(path)
    run = load_json(path, "a result JSON file")
    if not isinstance(run, dict):
        raise KhabarError(f"{path}: a result JSON must be an object, not {type(run).__name__}")
    return run


def parse_signature(signature: str) -> dict[str, str]:
    """``khabar:0.1|gold:3f2a9c1e|ents:strict`` -> {"khabar": "0.1", "gold": "3f2a9c1e", "ents": "strict"}."""
    parts: dict[str, str] = {}
    for part in signature.split("|"):
        key, _, value = part.partition(":")
        parts[key.strip()] = value.strip()
    return parts


def run_documents(run: Mapping[str, Any], name: str = "run") -> dict[str, Counts]:
    """A result JSON's per-document counts: ``{id: {key: count}}`` (or a list of ``{"id", "counts"}``)."""
    per_document = run.get("per_document") if isinstance(run, Mapping) else None
    if isinstance(per_document, Mapping):
        return dict(per_document)
    if isinstance(per_document, list):
        out: dict[str, Counts] = {}
        for i, item in enumerate(per_document):
            if not isinstance(item, Mapping) or "id" not in item or not isinstance(item.get("counts"), Mapping):
                raise KhabarError(f"{name}: per_document[{i}] must be an object with 'id' and 'counts'")
            out[str(item["id"])] = item["counts"]
        return out
    raise KhabarError(f"{name}: no per-document counts ('per_document') — "
                      "compare needs result JSONs written by `khabar score --json` or `khabar bench --json`")


def check_counts(per_document: Mapping[str, Counts], name: str = "run") -> None:
    """Refuse counts that no scoring wrote: negative, fractional, absurdly large or not numbers
    (naming the run, the document and the key)."""
    for doc, counts in per_document.items():
        if not isinstance(counts, Mapping):
            continue  # count_matrix names it
        for key, value in counts.items():
            bad = isinstance(value, bool) or not isinstance(value, int | float)
            if not bad and not (0 <= value <= MAX_COUNT and float(value).is_integer()):
                bad = True
            if bad:
                raise KhabarError(f"{name}: per_document[{doc!r}][{key!r}] = {value!r}: a count must be a whole "
                                  f"number from 0 to 2**53")


def gold_release(run: Mapping[str, Any]) -> str | None:
    """The gold release a result JSON was scored on (``gold_release``, else its signature's ``release``)."""
    release = run.get("gold_release") or parse_signature(str(run.get("signature", ""))).get("release")
    return str(release) if release else None


def check_comparable(run_a: Mapping[str, Any], run_b: Mapping[str, Any], names: Names = ("run A", "run B")) -> None:
    """Refuse two runs scored on different gold or with settings that change the numbers."""
    for run, name in zip((run_a, run_b), names):
        _check_result(run, name)
    _check_same_gold(run_a, run_b, names)
    _check_same_settings(run_a["signature"], run_b["signature"], names)


def _check_result(run: Any, name: str) -> None:
    if not isinstance(run, Mapping):
        raise KhabarError(f"{name}: a result JSON must be an object, not {type(run).__name__}")
    for field in ("gold_fingerprint", "signature"):
        if not isinstance(run.get(field), str):
            raise KhabarError(f"{name}: no '{field}' — not a khabar result JSON (write one with `khabar score --json`)")


def _check_same_gold(run_a: Mapping[str, Any], run_b: Mapping[str, Any], names: Names) -> None:
    na, nb = names
    if run_a["gold_fingerprint"] != run_b["gold_fingerprint"]:
        releases = [gold_release(run) or "(none)" for run in (run_a, run_b)]
        raise KhabarError(f"{na} and {nb} were scored on different gold (fingerprint {run_a['gold_fingerprint']} "
                          f"vs {run_b['gold_fingerprint']}; release {releases[0]} vs {releases[1]}) — "
                          "`khabar gold diff OLD NEW` lists what changed between the two gold folders; "
                          "score both systems on the same gold release")
    docs_a, docs_b = set(run_documents(run_a, na)), set(run_documents(run_b, nb))
    if docs_a != docs_b:
        only_a, only_b = sorted(docs_a - docs_b), sorted(docs_b - docs_a)
        detail = "; ".join(f"{len(ids)} only in {name} (e.g. {ids[0]})"
                           for ids, name in ((only_a, na), (only_b, nb)) if ids)
        raise KhabarError(f"{na} and {nb} cover different documents: {detail} — score both on the same gold split")


def _check_same_settings(signature_a: str, signature_b: str, names: Names) -> None:
    sig_a, sig_b = parse_signature(signature_a), parse_signature(signature_b)
    differ = sorted(k for k in set(sig_a) | set(sig_b)
                    if k not in SYSTEM_SIGNATURE_PARTS | RELEASE_PART and sig_a.get(k) != sig_b.get(k))
    if differ:
        detail = ", ".join(f"{k}: {sig_a.get(k, '(none)')} vs {sig_b.get(k, '(none)')}" for k in differ)
        raise KhabarError(f"{names[0]} and {names[1]} were scored with different settings ({detail}) — "
                          "score both systems with the same settings and khabar version")
