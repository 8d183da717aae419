"""The command line: encode writes what the API returns; bad input exits 2 with a clear message."""

from __future__ import annotations

import numpy as np
import pytest

from epic.cli import main


def test_encode_queries_and_documents(tiny, tiny_dir, task, tmp_path):
    (tmp_path / "in.txt").write_text("what is a cat\n\nstocks fell sharply\n")
    (tmp_path / "tasks.yaml").write_text(
        "name: news\ninstruction: Given a headline, retrieve the article\ndemos:\n"
        + "".join(f"  - {{query: {d.query!r}, response: {d.response!r}}}\n" for d in task.demos)
    )
    texts = ["what is a cat", "stocks fell sharply"]
    args = ["encode", "--model", str(tiny_dir), "--input", str(tmp_path / "in.txt"), "--quiet"]
    main([*args, "--output", str(tmp_path / "q.npy"), "--task-file", str(tmp_path / "tasks.yaml"), "--n-demos", "2"])
    expected = tiny.encode_queries(texts, task=task, n_demos=2)
    np.testing.assert_allclose(np.load(tmp_path / "q.npy"), expected, atol=1e-6)
    main([*args, "--output", str(tmp_path / "d.npy"), "--documents"])
    np.testing.assert_allclose(np.load(tmp_path / "d.npy"), tiny.encode_documents(texts), atol=1e-6)


def test_bad_input_exits_with_a_clear_message(tiny_dir, tmp_path, capsys):
    (tmp_path / "in.jsonl").write_text('{"text": "ok"}\n{"txt": "typo"}\n')
    with pytest.raises(SystemExit) as e:
        main(["encode", "--model", str(tiny_dir), "--input", str(tmp_path / "in.jsonl"), "--output", str(tmp_path / "o.npy"),
              "--instruction", "x"])  # fmt: skip
    assert e.value.code == 2
    assert "in.jsonl:2: field 'text'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["train", "--data", str(tmp_path / "missing"), "--model", str(tiny_dir)])
    assert e.value.code == 2 and "no such file or folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["train", "--data", str(tmp_path), "--max-steps", "many"])
    assert e.value.code == 2 and "field 'max_steps': expected int" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra, message",
    [
        ([], "queries need an instruction: give --task-file (and --task), or --instruction TEXT; or pass --documents"),
        (["--instruction", "  "], "queries need an instruction"),
        (["--task", "news"], "--task names a task of a --task-file"),
        (["--documents", "--output", "{folder}"], "--output {folder} is a folder: name the file to write"),
        (["--documents", "--output", "{folder_stem}"], "--output {folder} is a folder"),  # DIR.npy is a folder
    ],
)
def test_encode_names_the_flags_that_fix_a_bad_call(tiny_dir, tmp_path, capsys, extra, message):
    (tmp_path / "in.txt").write_text("a cat\n")
    (tmp_path / "out.npy").mkdir()
    fill = {"folder": str(tmp_path / "out.npy"), "folder_stem": str(tmp_path / "out")}
    args = ["encode", "--model", str(tiny_dir), "--input", str(tmp_path / "in.txt")]
    args += ["--output", str(tmp_path / "e.npy")]
    with pytest.raises(SystemExit) as e:
        main(args + [x.format(**fill) for x in extra])
    err = capsys.readouterr().err
    assert e.value.code == 2 and message.format(**fill) in err and "Traceback" not in err
    assert not (tmp_path / "e.npy").exists() and list((tmp_path / "out.npy").iterdir()) == []


def test_encode_reports_the_file_it_wrote(tiny_dir, tmp_path, capsys):
    (tmp_path / "in.txt").write_text("a cat\n")
    main(["encode", "--model", str(tiny_dir), "--input", str(tmp_path / "in.txt"), "--documents", "--quiet",
          "--output", str(tmp_path / "vectors")])  # fmt: skip
    assert f"to {tmp_path / 'vectors.npy'}" in capsys.readouterr().err and (tmp_path / "vectors.npy").is_file()


def test_plan_prints_replicated_and_sharded_memory(tiny_dir, capsys):
    from epic.cli import main

    main(["plan", "--model", str(tiny_dir), "--gpus", "4", "--gpu-memory", "80"])
    out = capsys.readouterr().out
    rows = {
        line.split("|")[1].strip(): line
        for line in out.splitlines()
        if line.startswith("| none") or line.startswith("| fsdp")
    }
    assert set(rows) == {"none", "fsdp"} and "yes" in rows["none"]
    assert "GradCache 16, checkpointing on" in out


def test_planner_follows_what_each_option_saves(tmp_path):
    import json

    from epic.training.config import TrainConfig
    from epic.training.plan import Shape, estimate

    config = {"vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
              "num_attention_heads": 32, "num_key_value_heads": 8}  # fmt: skip
    (tmp_path / "config.json").write_text(json.dumps(config))
    shape = Shape.from_config(tmp_path)
    assert 7.0e9 < shape.params < 7.3e9  # Mistral-7B without its LM head
    base = dict(batch_size=64, hard_negatives=7, query_max_length=256, passage_max_length=256, dtype="bfloat16")
    plain = estimate(shape, TrainConfig(**base), 8, "none")
    cached = estimate(shape, TrainConfig(**base, grad_cache_chunk=16), 8, "none")
    both = estimate(shape, TrainConfig(**base, grad_cache_chunk=16, gradient_checkpointing=True), 8, "none")
    assert plain["activations"] > 10 * cached["activations"] > 10 * both["activations"]
    full = TrainConfig(**{**base, "dtype": "auto"}, lora=False, mixed_precision="bf16", gradient_checkpointing=True,
                       grad_cache_chunk=16)  # fmt: skip
    replicated, sharded = estimate(shape, full, 8, "none"), estimate(shape, full, 8, "fsdp")
    assert abs(replicated["optimizer"] / sharded["optimizer"] - 8) < 1e-6  # AdamW state split over 8 GPUs
    assert replicated["weights"] > 4 * sharded["weights"] and replicated["total"] > 80 > sharded["total"]
    with pytest.raises(FileNotFoundError, match="no config.json"):
        Shape.from_config(tmp_path / "missing")
