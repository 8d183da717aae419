"""Shared fixtures: tiny random decoders built in-process (2 layers, hidden 64), no network."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
# the tests' training tables go to a scratch folder, not the user's cache (the backbone cache stays)
os.environ.setdefault("EPIC_TABLES", __import__("tempfile").mkdtemp(prefix="epic-test-tables-"))
# the fetched prose sources stay where they are when a test points EPIC_CACHE elsewhere
os.environ.setdefault(
    "EPIC_SOURCES", os.path.join(os.environ.get("EPIC_CACHE") or os.path.expanduser("~/.cache/epic"), "sources")
)

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "<instruct>Given a query, retrieve a passage\n<query>what is a cat?\n<response>",
    "A cat is a small domesticated carnivorous mammal.",
    "Stocks fell sharply after the bank announced losses.",
    "<demo><query><response>\n\n",
    "The museum opens at nine in the morning and closes at five.",
] * 20


def make_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(CORPUS, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|im_start|>", eos_token="<|im_end|>", pad_token="<|im_end|>"
    )


def make_backbone_dir(path, arch: str = "llama", seed: int = 0):
    from transformers import AutoModel, LlamaConfig, Qwen2Config

    tok = make_tokenizer()
    kw = dict(
        vocab_size=len(tok),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    if arch == "gemma3":
        from transformers import Gemma3TextConfig

        config = Gemma3TextConfig(**kw, head_dim=16)
    elif arch == "mistral":
        from transformers import MistralConfig

        config = MistralConfig(**kw)
    else:
        config = LlamaConfig(**kw) if arch == "llama" else Qwen2Config(**kw)
    torch.manual_seed(seed)
    model = AutoModel.from_config(config)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    return make_backbone_dir(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture
def tiny(tiny_dir):
    from epic import EpicEncoder

    return EpicEncoder.from_pretrained(tiny_dir, device="cpu")


@pytest.fixture
def task():
    from epic import Demo, Task

    return Task(
        "news",
        "Given a headline, retrieve the article",
        [
            Demo("Stocks fall", "Markets dropped sharply on Monday after the bank report."),
            Demo("Team wins cup", "The home side won the final in extra time."),
            Demo("New museum", "A museum of modern art opened downtown."),
            Demo("Rain expected", "Forecasters expect heavy rain over the weekend."),
        ],
    )
