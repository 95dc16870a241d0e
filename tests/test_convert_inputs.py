"""``khabar convert`` on bad input (each named with its place, the rest of the batch converted, exit 1, nothing
half-written), label maps, proclitics, Hugging Face sets built locally with ``datasets``, ``--from auto``,
and converted gold read by validate, stats, score, bench and ``datasets.load_dataset``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotation.gold.records import load_gold as read_gold

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "data" / "gold"

FLAT = "-DOCSTART- O\n\nقال O\nبوتين B-PER\nفي O\nموسكو B-LOC\n.\tO\n\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_every_bad_input_is_named_and_the_rest_of_the_batch_is_converted(khabar, tmp_path: Path) -> None:
    good = _write(tmp_path / "good.conll", FLAT)
    strict = _write(tmp_path / "strict.conll", "-DOCSTART- O\n\nفي O\nموسكو I-LOC\n")
    columns = _write(tmp_path / "columns.conll", "قال O\nبوتين NNP B-PER\n")
    out = tmp_path / "out.jsonl"
    result = khabar("convert", good, strict, columns, "--from", "conll", "--to", "gold", "--label-map", "conll",
                    "--out", out)
    assert result.exit_code == 1
    assert f"{strict}:4: token 'موسكو': I-LOC after O" in result.output
    assert f"{columns}:2: line has 3 columns; the file's first token line has 2" in result.output
    assert "2 input(s) not converted (strict, columns)" in result.output
    docs = read_gold(out)
    assert [d.id for d in docs] == ["good-00001"]
    assert [(m.text, m.label) for m in docs[0].entities] == [("بوتين", "PERS"), ("موسكو", "LOC")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["columns.conll", "good.conll", "out.jsonl", "strict.conll"]


def test_lines_whose_columns_only_add_up_are_still_refused(khabar, tmp_path: Path) -> None:
    source = _write(tmp_path / "odd.conll", "قال O\n\nبوتين B-PERS\nفي موسكو O\nاليوم\n\nكيم\tB-PERS\n")
    result = khabar("convert", source, "--from", "conll", "--to", "gold", "--out", tmp_path / "o.jsonl")
    assert result.exit_code == 1
    assert f"{source}:4: line has 3 columns; the file's first token line has 2" in result.output
    assert f"{source}:5: line has 1 column: a token and its tag expected" in result.output
    tabs = _write(tmp_path / "tabs.conll", "قال\tO\n\nبوتين\tB-PERS\nفي\tO\n\nكيم\tB-PERS\n")
    assert khabar("convert", tabs, "--from", "conll", "--to", "gold", "--out", tmp_path / "t.jsonl").exit_code == 0
    assert [m.text for d in read_gold(tmp_path / "t.jsonl") for m in d.entities] == ["بوتين", "كيم"]


def test_repair_keeps_the_conlleval_reading_and_lists_each_repair(khabar, tmp_path: Path) -> None:
    source = _write(tmp_path / "a.conll", "في O\nموسكو I-GPE\nو O\nكيم B-PERS\nجونج I-ORG\n")
    result = khabar("convert", source, "--from", "conll", "--to", "gold", "--repair", "--out", tmp_path / "a.jsonl")
    assert result.exit_code == 0, result.output
    assert "tag sequences repaired: 2" in result.output
    assert f"{source}:2: token 'موسكو': I-GPE after O" in result.output
    assert f"{source}:5: token 'جونج': I-ORG after PERS (a type change inside a chunk)" in result.output
    assert [m.text for m in read_gold(tmp_path / "a.jsonl")[0].entities] == ["موسكو", "كيم", "جونج"]


def test_a_failed_single_input_leaves_the_old_output_untouched(khabar, tmp_path: Path) -> None:
    out = _write(tmp_path / "out.jsonl", "old content\n")
    bad = _write(tmp_path / "bad.conll", FLAT)  # PER and LOC are not scheme labels, and no map is given
    result = khabar("convert", bad, "--from", "conll", "--to", "gold", "--out", out)
    assert result.exit_code == 1
    assert f"{bad}:4 token 'بوتين': unknown label 'PER'" in result.output
    assert "give --label-map" in result.output
    assert out.read_text() == "old content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.conll", "out.jsonl"]


def test_label_maps_drop_and_count_what_the_scheme_lacks(khabar, tmp_path: Path) -> None:
    source = _write(tmp_path / "w.txt", "-DOCSTART- O\n\nفي O\nالساعة B-TIME\nالعاشرة I-TIME\nصباح B-DATE\n"
                                        "الأحد I-DATE\nقال O\n3 B-CARDINAL\nمسؤولين O\n")
    result = khabar("convert", source, "--from", "conll-nested", "--to", "gold", "--label-map", "wojood",
                    "--out", tmp_path / "w.jsonl")
    assert result.exit_code == 0, result.output
    assert "labels dropped (not in the scheme): TIME 1, CARDINAL 1" in result.output
    assert [(m.text, m.label) for m in read_gold(tmp_path / "w.jsonl")[0].entities] == [("صباح الأحد", "DATE")]
    mapping = _write(tmp_path / "map.json", json.dumps({"TIME": "DATE", "CARDINAL": None}))
    assert khabar("convert", source, "--from", "conll-nested", "--to", "gold", "--label-map", mapping,
                  "--out", tmp_path / "m.jsonl").exit_code == 0
    assert [m.label for m in read_gold(tmp_path / "m.jsonl")[0].entities] == ["DATE", "DATE"]


def test_strip_proclitics_moves_starts_past_attached_proclitics_only(khabar, tmp_path: Path) -> None:
    source = _write(tmp_path / "p.txt", "-DOCSTART- O\n\nوروسيا B-GPE\nو O\nروسيا B-GPE\nوالرئيس B-OCC\n"
                                        "للحوثيين B-NORP\nبوتين B-PERS\nبكردستان B-GPE\n")
    result = khabar("convert", source, "--from", "conll", "--to", "gold", "--strip-proclitics",
                    "--out", tmp_path / "p.jsonl")
    assert result.exit_code == 0, result.output
    assert "proclitics: 3 mention start(s) moved past a proclitic; 2 ambiguous" in result.output
    doc = read_gold(tmp_path / "p.jsonl")[0]
    assert [m.text for m in doc.entities] == ["روسيا", "روسيا", "الرئيس", "حوثيين", "بوتين", "بكردستان"]
    assert all(doc.text[m.start:m.end] == m.text for m in doc.entities)
    assert doc.annotation["rule"] == "converted:conll|proclitics:stripped"
    kept = khabar("convert", source, "--from", "conll", "--to", "gold", "--out", tmp_path / "k.jsonl")
    assert kept.exit_code == 0
    assert read_gold(tmp_path / "k.jsonl")[0].annotation["rule"] == "converted:conll|proclitics:kept"


def test_doc_sentences_and_one_document_per_sentence_without_docstart(khabar, tmp_path: Path) -> None:
    source = _write(tmp_path / "s.conll", "".join(f"كلمة{i} O\nبوتين B-PERS\n\n" for i in range(5)))
    assert khabar("convert", source, "--from", "conll", "--to", "gold", "--out", tmp_path / "a.jsonl").exit_code == 0
    assert len(read_gold(tmp_path / "a.jsonl")) == 5
    assert khabar("convert", source, "--from", "conll", "--to", "gold", "--doc-sentences", "2",
                  "--out", tmp_path / "b.jsonl").exit_code == 0
    docs = read_gold(tmp_path / "b.jsonl")
    assert [d.text.count("\n") + 1 for d in docs] == [2, 2, 1]
    assert docs[0].entities[1].start == len("كلمة0 بوتين\nكلمة1 ")


def test_from_auto_says_what_it_guessed(khabar, tmp_path: Path) -> None:
    iobes = _write(tmp_path / "e.conll", "قال O\nكيم B-PERS\nجونج I-PERS\nأون E-PERS\nفي O\nموسكو S-GPE\n")
    result = khabar("convert", iobes, "--from", "auto", "--to", "gold", "--out", tmp_path / "e.jsonl")
    assert result.exit_code == 0, result.output
    assert "guessed --from conll (token lines of 2 columns)" in result.output
    assert "guessed --tags iobes" in result.output
    assert [m.text for m in read_gold(tmp_path / "e.jsonl")[0].entities] == ["كيم جونج أون", "موسكو"]
    nested = _write(tmp_path / "n.txt", "في O\nوزارة B-ORG\nالخارجية I-ORG\nفلسطين I-ORG B-GPE\n")
    result = khabar("convert", nested, "--from", "auto", "--to", "gold", "--out", tmp_path / "n.jsonl")
    assert "guessed --from conll-nested" in result.output


def _hf_folder(tmp_path: Path, tags: list[list[int]]) -> Path:
    datasets = pytest.importorskip("datasets")
    names = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
    features = datasets.Features({"tokens": datasets.Sequence(datasets.Value("string")),
                                  "ner_tags": datasets.Sequence(datasets.ClassLabel(names=names))})
    rows = {"tokens": [["زار", "فلاديمير", "بوتين", "موسكو"], ["الأمم", "المتحدة", "في", "جنيف"]], "ner_tags": tags}
    folder = tmp_path / "wikiann"
    datasets.DatasetDict({"test": datasets.Dataset.from_dict(rows, features=features)}).save_to_disk(str(folder))
    return folder


def test_hugging_face_set_with_classlabel_names(khabar, tmp_path: Path) -> None:
    folder = _hf_folder(tmp_path, [[0, 1, 2, 5], [3, 4, 0, 5]])
    result = khabar("convert", folder, "--from", "hf", "--to", "gold", "--label-map", "wikiann",
                    "--out", tmp_path / "w.jsonl")
    assert result.exit_code == 0, result.output
    docs = read_gold(tmp_path / "w.jsonl")
    assert [[(m.text, m.label) for m in d.entities] for d in docs] == [
        [("فلاديمير بوتين", "PERS"), ("موسكو", "LOC")], [("الأمم المتحدة", "ORG"), ("جنيف", "LOC")]]
    strings = tmp_path / "strings.jsonl"  # string tags in a data file: no ClassLabel needed
    _write(strings, json.dumps({"id": "s1", "tokens": ["بوتين", "في", "موسكو"],
                                "ner_tags": ["B-PERS", "O", "B-GPE"]}, ensure_ascii=False) + "\n")
    assert khabar("convert", strings, "--from", "hf", "--to", "gold", "--out", tmp_path / "s.jsonl").exit_code == 0
    assert [(d.id, [m.label for m in d.entities]) for d in read_gold(tmp_path / "s.jsonl")] == [("s1", ["PERS", "GPE"])]


def test_hugging_face_index_out_of_range_is_named(khabar, tmp_path: Path) -> None:
    import yaml

    folder = tmp_path / "wikiann"  # data files and a card: datasets does not check the indices of such a set
    folder.mkdir()
    names = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
    rows = [{"tokens": ["زار", "فلاديمير", "بوتين", "موسكو"], "ner_tags": [0, 1, 2, 5]},
            {"tokens": ["الأمم", "المتحدة", "في", "جنيف"], "ner_tags": [3, 9, 0, 5]}]
    _write(folder / "test.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    features = [{"name": "tokens", "list": "string"},
                {"name": "ner_tags", "list": {"class_label": {"names": {str(i): n for i, n in enumerate(names)}}}}]
    card = {"configs": [{"config_name": "default", "data_files": [{"split": "test", "path": "test.jsonl"}]}],
            "dataset_info": {"features": features}}
    _write(folder / "README.md", "---\n" + yaml.safe_dump(card) + "---\n")
    result = khabar("convert", folder, "--from", "hf", "--to", "gold", "--label-map", "wikiann",
                    "--out", tmp_path / "w.jsonl")
    assert result.exit_code == 1
    assert f"{folder}[test] row 1 token 1 'المتحدة': ner_tags index 9 is outside the ClassLabel names (7 names)" \
        in result.output
    assert not (tmp_path / "w.jsonl").exists()


def test_brat_bad_offsets_and_discontinuous_spans_are_refused_with_their_id(khabar, tmp_path: Path) -> None:
    folder = tmp_path / "brat"
    folder.mkdir()
    _write(folder / "a.txt", "زار بوتين موسكو")
    _write(folder / "a.ann", "T1\tPERS 4 9\tبوتين\nT2\tGPE 10 15;4 9\tموسكو بوتين\nT3\tGPE 9 15\tموسكو\n")
    result = khabar("convert", folder, "--from", "brat", "--to", "gold", "--out", tmp_path / "b.jsonl")
    assert result.exit_code == 1
    assert f"{folder / 'a.ann'}:2: T2: discontinuous annotation (10 15;4 9)" in result.output
    assert f"{folder / 'a.ann'}:3: T3: the text at [9, 15) is ' موسكو', not 'موسكو'" in result.output


def test_a_docbin_spacy_cannot_read_is_named(khabar, tmp_path: Path) -> None:
    pytest.importorskip("spacy")
    import zlib

    import srsly

    old = _write(tmp_path / "old.spacy", "")
    old.write_bytes(zlib.compress(srsly.msgpack_dumps({"version": 2, "docs": [{"text": "x"}]})))
    result = khabar("convert", old, "--from", "spacy", "--to", "gold", "--out", tmp_path / "o.jsonl")
    assert result.exit_code == 1
    assert f"{old}: not a DocBin that spaCy" in result.output
    assert "another spaCy major version" in result.output


def test_converted_gold_is_first_class(khabar, tmp_path: Path) -> None:
    from datasets import load_dataset

    from annotation.gold.records import load_gold

    conll = tmp_path / "conll"
    assert khabar("convert", GOLD, "--from", "gold", "--to", "conll", "--out", conll).exit_code == 0
    folder = tmp_path / "gold"
    result = khabar("convert", conll / "dev.conll", conll / "test.conll", "--from", "conll", "--to", "gold",
                    "--out", folder)
    assert result.exit_code == 0, result.output
    assert khabar("validate", folder).exit_code == 0
    stats = khabar("stats", folder)
    assert stats.exit_code == 0 and "0 claims" in stats.output
    loaded = load_dataset(str(folder), cache_dir=str(tmp_path / "cache"))
    assert {s: len(loaded[s]) for s in loaded} == {s: len(load_gold(folder, s)) for s in ("dev", "test")}
    bench = khabar("bench", "--gold", folder, "--split", "test", "--bootstrap", "0")
    assert bench.exit_code == 0, bench.output
    assert "no gold claims" in bench.output and "0.000 │ [0.000, 0.000]" not in bench.output
    predictions = tmp_path / "p.jsonl"
    predictions.write_text("".join(json.dumps({"id": d.id, "entities": [{"label": m.label, "start": m.start,
                                                                           "end": m.end} for m in d.entities],
                                               "claims": [{"text": d.text.split()[0]}]}, ensure_ascii=False) + "\n"
                                   for d in load_gold(folder, "test")), encoding="utf-8")
    score = khabar("score", folder, predictions, "--split", "test", "--bootstrap", "0")
    assert score.exit_code == 0, score.output
    assert "claims: no gold claims" in score.output
    assert "strict  " in score.output and "1.000" in score.output


def test_convert_has_help(khabar) -> None:
    result = khabar("convert", "--help")
    assert result.exit_code == 0
    assert "--label-map" in result.output and "--strip-proclitics" in result.output


def test_score_clitics_shows_the_part_of_the_gap_that_is_clitic_boundaries(khabar, tmp_path: Path) -> None:
    source = _write(tmp_path / "w.txt", "-DOCSTART- O\n\nوروسيا B-GPE\nو O\nروسيا B-GPE\nبوتين B-PERS\n"
                                        "بكردستان B-GPE\nفي O\nكردستان B-GPE\n")
    gold = tmp_path / "w.jsonl"
    assert khabar("convert", source, "--from", "conll", "--to", "gold", "--out", gold).exit_code == 0
    doc = read_gold(gold)[0]  # the corpus keeps proclitics; the system leaves them out, as khabar's guidelines do
    entities = [{"label": m.label, "start": m.start + (m.text in ("وروسيا", "بكردستان")), "end": m.end}
                for m in doc.entities]
    predictions = _write(tmp_path / "p.jsonl", json.dumps({"id": doc.id, "entities": entities}) + "\n")
    result = khabar("score", gold, predictions, "--clitic-gap", "--bootstrap", "0")
    assert result.exit_code == 0, result.output
    assert "clitic boundaries (2 gold and 0 predicted mention starts moved past a proclitic)" in result.output
    assert "strict   F1 0.600 as scored, 1.000 clitic-free (+0.400)" in result.output
    assert "type     F1 1.000 as scored, 1.000 clitic-free (+0.000)" in result.output


def test_a_gold_folder_from_inputs_without_dev_and_test_is_split_by_story(khabar, tmp_path: Path) -> None:
    from annotation.gold.records import load_gold

    corpus = _write(tmp_path / "corpus.conll",
                    "".join(f"-DOCSTART- O\n\nكلمة{i} O\nبوتين B-PERS\n\n" for i in range(8)))
    train = _write(tmp_path / "train.conll", "-DOCSTART- O\n\nموسكو B-GPE\n")
    folder = tmp_path / "gold"
    result = khabar("convert", corpus, train, "--from", "conll", "--to", "gold", "--out", folder)
    assert result.exit_code == 0, result.output
    assert "the inputs give no dev split: their 8 documents were split by story, seeded" in result.output
    dev, test = load_gold(folder, "dev"), load_gold(folder, "test")
    assert dev and test and len(dev) + len(test) == 8
    assert [d.id for d in load_gold(folder, "train")] == ["train-00001"]
    assert khabar("validate", folder).exit_code == 0
    from datasets import load_dataset

    loaded = load_dataset(str(folder), cache_dir=str(tmp_path / "cache"))
    assert {s: len(loaded[s]) for s in loaded} == {"train": 1, "dev": len(dev), "test": len(test)}
