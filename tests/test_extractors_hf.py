"""The Hugging Face token-classification adapter, end to end on a tiny model built here.

Needs the optional ``hf`` extra (torch, transformers): the test is SKIPPED when transformers is
not installed. Nothing is downloaded: the tokenizer is a word-level tokenizer built from a small
vocabulary with the ``tokenizers`` library, and the model a randomly initialised two-layer BERT
whose classifier is set so that every word is tagged B-GPE (the output is then known exactly).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from annotation.model import Article
from eval.extractors import get_extractor, run_extractor

transformers = pytest.importorskip("transformers", reason="the optional 'hf' extra (transformers) is not installed")
torch = pytest.importorskip("torch", reason="the optional 'hf' extra (torch) is not installed")

TEXT = "بوتين يقبل دعوة كيم\n\nلزيارة كوريا الشمالية"
LABELS = ["O", "B-PERS", "I-PERS", "B-GPE", "I-GPE"]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from tokenizers.processors import TemplateProcessing
    from transformers import BertConfig, BertForTokenClassification, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-bert")
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = {w: i for i, w in enumerate(specials + sorted(set(TEXT.split())))}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                            sep_token="[SEP]", mask_token="[MASK]").save_pretrained(folder)
    config = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64, num_labels=len(LABELS),
                        id2label=dict(enumerate(LABELS)), label2id={l: i for i, l in enumerate(LABELS)})
    torch.manual_seed(0)
    model = BertForTokenClassification(config)
    with torch.no_grad():  # every token -> B-GPE, whatever the random encoder says
        model.classifier.weight.zero_()
        model.classifier.bias.zero_()
        model.classifier.bias[LABELS.index("B-GPE")] = 10.0
    model.save_pretrained(folder)
    return folder


def test_token_classification_model_end_to_end(tiny_model: Path) -> None:
    extractor = get_extractor(f"hf:{tiny_model}", label_map={"GPE": "LOC"}, max_chars=12)
    preds, _ = run_extractor(extractor, [Article("a", TEXT), Article("b", "كيم")])
    words = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", TEXT)]
    assert [(m.start, m.end, m.text) for m in preds[0].entities] == words  # offsets back in the article
    assert {m.label for p in preds for m in p.entities} == {"LOC"}  # B-GPE -> GPE -> mapped to LOC
    assert [m.text for m in preds[1].entities] == ["كيم"]
    assert extractor.version.endswith(f"transformers-{transformers.__version__}")
