"""The table of spec kinds (eval/extractors/targets.py): which adapter a spec goes to, how a new
kind is added, and that the registry and the adapters import without a cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from annotation.errors import KhabarError
from annotation.io import write_jsonl
from annotation.model import Prediction
from eval.extractors import get_extractor, targets
from eval.extractors.adapters.command import CommandExtractor
from eval.extractors.adapters.http import HttpExtractor
from eval.extractors.adapters.predictions_file import PredictionsFile
from eval.extractors.sanity import EmptyExtractor

ROOT = Path(__file__).resolve().parent.parent
EXTRACTORS = ROOT / "eval" / "extractors"


def test_each_kind_of_spec_goes_to_its_adapter(tmp_path: Path) -> None:
    assert isinstance(get_extractor("cmd:some-tool --fast"), CommandExtractor)
    service = get_extractor("http://127.0.0.1:9/predict", format="json")
    assert isinstance(service, HttpExtractor) and service.url == "http://127.0.0.1:9/predict"
    assert get_extractor("openai:tiny-model", api_key_env="KHABAR_NO_SUCH_KEY").model == "tiny-model"
    assert isinstance(get_extractor("eval.extractors.sanity:EmptyExtractor"), EmptyExtractor)
    path = tmp_path / "a:b"  # looks like module:function, but it is a file: a predictions file
    write_jsonl(path, [Prediction("a1")])
    assert isinstance(get_extractor(str(path)), PredictionsFile)


def test_the_first_kind_that_claims_a_spec_wins() -> None:
    claimed = [kind.usage for kind in targets.SPEC_KINDS if kind.claims("cmd:x") is not None]
    assert claimed[0] == "cmd:COMMAND"
    assert [kind.claims("hf:models/tiny") for kind in targets.SPEC_KINDS][:3] == [None, None, "models/tiny"]


def test_bad_options_are_one_clear_error_for_every_kind(tmp_path: Path) -> None:
    path = tmp_path / "preds.jsonl"
    write_jsonl(path, [Prediction("a1")])
    for spec in ("cmd:some-tool", "http://127.0.0.1:9/predict", str(path), "empty"):
        with pytest.raises(KhabarError, match=rf"extractor '{spec}': bad options \['no_such_option'\]"):
            get_extractor(spec, no_such_option=1)


CALLABLE = "eval.extractors.adapters.python_callable:CallableExtractor"


@pytest.mark.parametrize("keyword", [None, "target"])
def test_a_new_prefix_is_one_row(monkeypatch: pytest.MonkeyPatch, keyword: str | None) -> None:
    row = targets.prefixed("py:", CALLABLE, "py:MODULE:FUNCTION", keyword=keyword)
    monkeypatch.setattr(targets, "SPEC_KINDS", [row, *targets.SPEC_KINDS])
    extractor = get_extractor("py:eval.extractors.sanity:EmptyExtractor")
    assert extractor.name == "eval.extractors.sanity:EmptyExtractor"  # the rest of the spec, as its argument
    assert type(extractor).__name__ == "CallableExtractor"
    with pytest.raises(KhabarError, match=r"py:MODULE:FUNCTION, cmd:COMMAND, .* or a predictions file or folder$"):
        get_extractor("no such thing")


def test_unknown_spec_lists_every_kind() -> None:
    with pytest.raises(KhabarError) as info:
        get_extractor("zzzz")
    message = str(info.value)
    assert all(kind.usage in message for kind in targets.SPEC_KINDS)


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_no_adapter_and_not_the_table_imports_the_registry() -> None:
    for path in [EXTRACTORS / "targets.py", EXTRACTORS / "base.py", *sorted((EXTRACTORS / "adapters").glob("*.py"))]:
        assert not {"eval.extractors", "eval.extractors.registry"} & _imports(path), path.name


@pytest.mark.parametrize("first", ["eval.extractors.adapters.python_callable", "eval.extractors.targets",
                                   "eval.extractors.registry"])
def test_each_module_imports_on_its_own(first: str) -> None:
    code = f"import {first}; from eval.extractors import get_extractor; print(get_extractor('empty').name)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "empty"
