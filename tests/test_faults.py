"""Training and input faults: named range errors, decoding errors with file and line, a kill mid-swap,
a resume of a different run, a half-written log line, an incomplete saved model, damaged files of every
kind, file modes under two umasks."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

import pytest
import torch
from train_fixtures import write_train_set

from epic.cli import main
from epic.data.tasks import DataError, load_tasks
from epic.data.train_data import load_train_data
from epic.training.config import RANGES, TrainConfig
from epic.training.trainer import Trainer


def _config(tmp_path, tiny_dir, **kw) -> TrainConfig:
    base = dict(
        model=str(tiny_dir), data=str(write_train_set(tmp_path / "data")), output=str(tmp_path / "run"),
        batch_size=4, max_steps=5, save_every=2, lr=1e-3, lora_r=4, lora_alpha=8, quiet=True, seed=0,
    )  # fmt: skip
    base.update(kw)
    return TrainConfig(**base)


def _trainable(trainer):
    return {n: p.detach().clone() for n, p in trainer.model.named_parameters() if p.requires_grad}


@pytest.mark.parametrize("name", sorted(RANGES))
def test_every_numeric_field_is_range_checked_by_name(name):
    low, high, low_open = RANGES[name]
    for bad in [low if low_open else low - 1, float("nan")] + ([high] if high is not None else []):
        with pytest.raises(ValueError, match=rf"TrainConfig\.{name} must be"):
            TrainConfig(**{name: bad})


def test_a_bad_value_on_the_command_line_is_named_before_anything_loads(tmp_path, capsys):
    for flag, value, field in [("--batch-size", "0", "batch_size"), ("--temperature", "0", "temperature"),
                               ("--lr", "-1", "lr"), ("--lora-dropout", "1.5", "lora_dropout")]:  # fmt: skip
        with pytest.raises(SystemExit) as e:
            main(["train", "--data", str(tmp_path / "missing"), flag, value])
        assert e.value.code == 2
        err = capsys.readouterr().err
        assert f"TrainConfig.{field}" in err and "Traceback" not in err and "missing" not in err


def test_non_utf8_bytes_name_file_and_line_and_can_be_skipped(tmp_path, capsys):
    good = '{"query": "q", "pos": ["p"], "instruction": "i"}\n'
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(good.encode() + b'{"query": "caf\xe9", "pos": ["p"], "instruction": "i"}\n' + good.encode())
    with pytest.raises(DataError, match=r"bad\.jsonl:2: not valid UTF-8 \(byte 0xe9"):
        load_train_data(bad)
    data = load_train_data(bad, skip_bad=True)
    assert len(data.examples) == 2 and len(data.skipped) == 1 and "bad.jsonl:2" in data.skipped[0]
    tasks = tmp_path / "tasks.yaml"
    tasks.write_bytes(b'tasks:\n  - {name: t, instruction: "caf\xe9"}\n')
    with pytest.raises(DataError, match=r"tasks\.yaml:2: not valid UTF-8"):
        load_tasks(tasks)
    texts = tmp_path / "in.txt"
    texts.write_bytes(b"fine\nnot \xff fine\n")
    with pytest.raises(SystemExit) as e:
        main(["encode", "--input", str(texts), "--documents", "--output", str(tmp_path / "o.npy")])
    assert e.value.code == 2 and "in.txt:2: not valid UTF-8" in capsys.readouterr().err


def test_a_kill_between_the_two_renames_of_the_checkpoint_swap_loses_nothing(tmp_path, tiny_dir, monkeypatch):
    import epic.utils.io as io

    full = Trainer(_config(tmp_path / "a", tiny_dir, save_every=0))
    full.train()
    expected = _trainable(full)

    class Killed(Exception):
        pass

    real_replace, calls = os.replace, []

    def dying_replace(src, dst):  # the second save: the old checkpoint moved aside, then the kill
        real_replace(src, dst)
        if Path(dst).name == "checkpoint" or Path(dst).name.startswith(".checkpoint.old"):  # the swap's renames
            calls.append(dst)
            if len(calls) == 2:
                raise Killed

    cfg = _config(tmp_path / "b", tiny_dir)
    monkeypatch.setattr(io.os, "replace", dying_replace)
    with pytest.raises(Killed):
        Trainer(cfg).train()
    monkeypatch.setattr(io.os, "replace", real_replace)
    run = tmp_path / "b" / "run"
    assert not (run / "checkpoint").exists()  # exactly the window the issue describes
    resumed = Trainer(dataclasses.replace(cfg, resume=True))
    assert resumed.step in (2, 4)  # the previous checkpoint or the one being written, never step 0
    assert sorted(p.name for p in run.iterdir() if p.name.startswith(".")) == []  # stale folders cleaned
    resumed.train()
    for name, value in _trainable(resumed).items():
        torch.testing.assert_close(value, expected[name], rtol=1e-5, atol=1e-6)


def test_resume_refuses_a_different_run_but_may_extend_it(tmp_path, tiny_dir):
    cfg = _config(tmp_path, tiny_dir, max_steps=2, save_every=1)

    class Killed(Exception):
        pass

    def kill(trainer, record):
        raise Killed

    with pytest.raises(Killed):
        Trainer(cfg).train(callback=kill)
    for change in ({"mode": "contrastive"}, {"seed": 1}, {"lr": 5e-4}, {"model": str(tmp_path)}):
        (field,) = change
        with pytest.raises(ValueError, match=rf"different run.*{field}: "):
            Trainer(dataclasses.replace(cfg, resume=True, **change))
    other_data = write_train_set(tmp_path / "other")
    with pytest.raises(ValueError, match=r"data: "):
        Trainer(dataclasses.replace(cfg, resume=True, data=str(other_data)))
    longer = Trainer(dataclasses.replace(cfg, resume=True, max_steps=3))
    assert longer.step == 1
    longer.train()


def test_a_half_written_last_log_line_does_not_stop_a_resume(tmp_path, tiny_dir, capsys):
    cfg = _config(tmp_path, tiny_dir, max_steps=3, save_every=2)

    class Killed(Exception):
        pass

    def kill(trainer, record):
        if trainer.step == 3:
            raise Killed

    with pytest.raises(Killed):
        Trainer(cfg).train(callback=kill)
    log = tmp_path / "run" / "train_log.jsonl"
    log.write_text(log.read_text() + '{"step": 4, "lo')
    resumed = Trainer(dataclasses.replace(cfg, resume=True))
    assert "train_log.jsonl:4: dropping" in capsys.readouterr().err
    resumed.train()
    assert [json.loads(x)["step"] for x in log.read_text().splitlines()] == [1, 2, 3]


def test_a_saved_model_without_its_weights_folder_is_an_error_not_a_hub_lookup(tmp_path, tiny_dir, monkeypatch):
    from epic import DamagedFileError, EpicEncoder

    model = EpicEncoder.from_pretrained(tiny_dir, device="cpu")
    model.save_pretrained(tmp_path / "m")
    shutil.rmtree(tmp_path / "m" / "backbone")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)  # even where the hub would be allowed
    incomplete = r"m/backbone/config.json: damaged file \(missing, as are .* incomplete copy"
    with pytest.raises(DamagedFileError, match=incomplete):
        EpicEncoder.from_pretrained(tmp_path / "m", device="cpu")
    (tmp_path / "m" / "checksums.sha256").unlink()  # saved before the lists existed: the folder is named
    with pytest.raises(FileNotFoundError, match=r"m: saved epic model without its backbone/ folder"):
        EpicEncoder.from_pretrained(tmp_path / "m", device="cpu")


def test_data_build_rejects_a_negative_budget_and_a_file_as_output(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["data", "build", "--output", str(tmp_path / "d"), "--max-per-task", "-1"])
    assert e.value.code == 2 and "--max-per-task must be >= 1" in capsys.readouterr().err
    (tmp_path / "f").write_text("x")
    with pytest.raises(SystemExit) as e:
        main(["data", "build", "--output", str(tmp_path / "f")])
    assert e.value.code == 2 and "is a file" in capsys.readouterr().err


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_saved_files_get_the_modes_a_plain_write_would_under_the_umask(tmp_path, tiny, task, umask):
    """Atomic saves go through mkstemp/mkdtemp (0600/0700); what lands must be 0666/0777 less the umask."""
    previous = os.umask(umask)
    try:
        tiny.save_pretrained(tmp_path / "model")
        tiny.encode_queries(["a query"], task=task, n_demos=2)
        tiny.save_demo_cache(tmp_path / "demos.safetensors")
        texts = tmp_path / "texts.txt"
        texts.write_text("one\ntwo\n")
        main(["encode", "--model", str(tmp_path / "model"), "--input", str(texts), "--documents",
              "--output", str(tmp_path / "emb.npy")])  # fmt: skip
    finally:
        os.umask(previous)
    made = [p for p in tmp_path.rglob("*") if p != texts]
    assert {p.name for p in made} >= {"model", "epic_config.json", "README.md", "demos.safetensors", "emb.npy"}
    for path in made:
        want = (0o777 if path.is_dir() else 0o666) & ~umask
        assert oct(path.stat().st_mode & 0o777) == oct(want), path


def test_folder_swap_leaves_symbolic_links_and_their_targets_alone(tmp_path):
    """An unpacked Debian package links into /usr/share (dangling where that package is absent): the swap
    must neither fail on a dangling link nor chmod the file a link points to outside the tree."""
    from epic.utils.io import current_umask, replace_dir

    outside = tmp_path / "outside.js"
    outside.write_text("x")
    outside.chmod(0o600)
    tree = tmp_path / "tmp"
    (tree / "static").mkdir(parents=True)
    (tree / "static" / "page.html").write_text("<p>")
    (tree / "static" / "page.html").chmod(0o600)
    (tree / "static" / "gone.js").symlink_to(tmp_path / "missing.js")
    (tree / "static" / "linked.js").symlink_to(outside)
    replace_dir(tree, tmp_path / "target")
    static = tmp_path / "target" / "static"
    assert (static / "gone.js").is_symlink() and (static / "linked.js").read_text() == "x"
    assert oct(outside.stat().st_mode & 0o777) == oct(0o600)
    assert oct((static / "page.html").stat().st_mode & 0o777) == oct(0o666 & ~current_umask())


def _damage(path, how: str) -> None:
    """Truncate a file to half, flip a bit early in it (a safetensors header, a JSON document), or flip
    the lowest bit of a byte near its end (inside tensor data: every check but a checksum passes)."""
    data = bytearray(path.read_bytes())
    if how == "truncate":
        path.write_bytes(bytes(data[: len(data) // 2]))
        return
    if how == "flip":
        data[min(12, len(data) - 1)] ^= 0x80  # past the 8-byte length: inside the header's JSON
    else:
        data[-3] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def saved_lora(tiny_dir, tmp_path_factory):
    """A saved tiny model with a LoRA adapter (every file kind a saved model has) and its demo cache."""
    from peft import LoraConfig, get_peft_model

    from epic import Demo, EpicEncoder, Task
    from epic.encoder.backbone import quiet_peft

    root = tmp_path_factory.mktemp("saved")
    model = EpicEncoder.from_pretrained(tiny_dir, device="cpu")
    with quiet_peft():
        model.backbone = get_peft_model(model.backbone, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj"]))
    model.save_pretrained(root / "model")
    model.encode_queries(["q"], task=Task("t", "Find it", [Demo("a", "b"), Demo("c", "d")]), n_demos=2)
    model.save_demo_cache(root / "demos.safetensors")
    return root


def _file_kinds(root):
    files = sorted(p for p in (root / "model").rglob("*") if p.suffix in (".safetensors", ".json"))
    assert {p.name for p in files} >= {"adapter_model.safetensors", "projector.safetensors", "epic_config.json",
                                       "adapter_config.json", "tokenizer.json"}  # fmt: skip
    return [str(p.relative_to(root / "model")) for p in files]


@pytest.mark.parametrize("how", ["truncate", "flip", "flip-late"])
def test_a_damaged_file_of_a_saved_model_is_named_by_the_api_and_the_cli(saved_lora, tmp_path, capsys, how):
    from epic import DamagedFileError, EpicEncoder

    for name in _file_kinds(saved_lora):
        copy = tmp_path / name.replace("/", "_")
        shutil.copytree(saved_lora / "model", copy)
        _damage(copy / name, how)
        with pytest.raises(DamagedFileError) as e:
            EpicEncoder.from_pretrained(copy, device="cpu")
        assert e.value.path == copy / name and "save the model again" in str(e.value), name
        (tmp_path / "t.txt").write_text("x\n")
        with pytest.raises(SystemExit) as exit_:
            main(["encode", "--model", str(copy), "--input", str(tmp_path / "t.txt"), "--documents",
                  "--output", str(tmp_path / "e.npy")])  # fmt: skip
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and f"{copy / name}: damaged file" in err and "Traceback" not in err, name


@pytest.mark.parametrize("how", ["truncate", "flip", "flip-late"])
def test_a_damaged_demo_cache_is_named(saved_lora, tmp_path, how):
    from epic import DamagedFileError, EpicEncoder

    model = EpicEncoder.from_pretrained(saved_lora / "model", device="cpu")
    cache = tmp_path / "demos.safetensors"
    shutil.copy(saved_lora / "demos.safetensors", cache)
    assert model.load_demo_cache(cache) == 1  # whole, it loads
    _damage(cache, how)
    with pytest.raises(DamagedFileError, match="demos.safetensors: damaged file .*save_demo_cache"):
        model.load_demo_cache(cache)


def test_a_damaged_checkpoint_is_named_and_left_for_the_user(tmp_path, tiny_dir):
    from epic import DamagedFileError

    Trainer(_config(tmp_path, tiny_dir, max_steps=3, save_every=2)).train()  # a checkpoint at step 2
    ckpt = tmp_path / "run" / "checkpoint"
    names = sorted(p.name for p in ckpt.glob("*.safetensors"))
    assert len(names) == 3  # weights, optimizer, random generators
    for name in names:
        saved = (ckpt / name).read_bytes()
        for how in ("truncate", "flip-late"):
            _damage(ckpt / name, how)
            with pytest.raises(DamagedFileError, match=f"{name}: damaged file .* to start over from step 0"):
                Trainer(_config(tmp_path, tiny_dir, max_steps=5, save_every=2, resume=True)).train()
            (ckpt / name).write_bytes(saved)
    trainer = Trainer(_config(tmp_path, tiny_dir, max_steps=5, save_every=2, resume=True))
    trainer.train()  # whole again: it resumes
    assert trainer.step == 5


def test_saved_checksums_are_sha256sum_s_own_and_edits_are_named(saved_lora, tmp_path):
    import subprocess

    from epic import DamagedFileError, EpicEncoder

    model = saved_lora / "model"
    listed = (model / "checksums.sha256").read_text()
    assert "adapter/adapter_model.safetensors" in listed and "README.md" not in listed
    check = subprocess.run(["sha256sum", "--check", "--quiet", "checksums.sha256"], cwd=model, capture_output=True)
    assert check.returncode == 0, check.stdout + check.stderr  # the standard tool agrees with the list

    edited = tmp_path / "edited"
    shutil.copytree(model, edited)
    config = json.loads((edited / "epic_config.json").read_text())
    (edited / "epic_config.json").write_text(json.dumps({**config, "n_demos": config["n_demos"] + 1}))
    with pytest.raises(DamagedFileError, match=r"epic_config.json: damaged file .*delete its line from"):
        EpicEncoder.from_pretrained(edited, device="cpu")
    (edited / "README.md").write_text("my own card\n")  # the card is the user's to edit
    listing = (edited / "checksums.sha256").read_text().splitlines()
    kept = [f"{x[:64]} *{x[66:]}\n" for x in listing if not x.endswith("epic_config.json")]  # sha256sum -b's form
    (edited / "checksums.sha256").write_text("".join(kept))
    assert EpicEncoder.from_pretrained(edited, device="cpu").config.n_demos == config["n_demos"] + 1

    (edited / "checksums.sha256").write_text(listing[0][:30] + "\n")  # a list cut short
    with pytest.raises(DamagedFileError, match="checksums.sha256: damaged file .*line 1"):
        EpicEncoder.from_pretrained(edited, device="cpu")
    (edited / "checksums.sha256").unlink()  # a folder saved before the lists existed still loads
    EpicEncoder.from_pretrained(edited, device="cpu")


def test_a_damaged_converted_default_backbone_is_converted_again(tmp_path, monkeypatch, tiny_dir):
    import epic.encoder.backbone as backbone

    monkeypatch.setenv("EPIC_CACHE", str(tmp_path))
    shutil.copytree(tiny_dir, tmp_path / "smollm2-135m-instruct")
    assert backbone.default_backbone_path() == tmp_path / "smollm2-135m-instruct"  # whole: used as it is
    _damage(next((tmp_path / "smollm2-135m-instruct").glob("*.safetensors")), "truncate")

    class Converting(Exception):
        pass

    def convert():
        raise Converting

    monkeypatch.setattr(backbone, "_gguf_source", convert)
    with pytest.raises(Converting):  # damaged: removed and converted again, never loaded
        backbone.default_backbone_path()
    assert not (tmp_path / "smollm2-135m-instruct").exists()


def _full_disk(path) -> OSError:
    import errno

    return OSError(errno.ENOSPC, "No space left on device", str(path))


def _no_hidden_leftovers(folder) -> None:
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".")], "a temporary sibling was left behind"


def test_a_full_disk_during_a_model_save_keeps_the_previous_model(tmp_path, tiny, monkeypatch):
    import epic.encoder.model_io as model_io
    from epic import EpicEncoder

    tiny.save_pretrained(tmp_path / "model")
    before = {p.relative_to(tmp_path): p.read_bytes() for p in (tmp_path / "model").rglob("*") if p.is_file()}

    def save_file(tensors, path, **kw):
        open(path, "wb").write(b"\0" * 16)  # part of the file made it
        raise _full_disk(path)

    monkeypatch.setattr(model_io, "save_file", save_file)
    with pytest.raises(OSError, match="No space left"):
        tiny.save_pretrained(tmp_path / "model")
    after = {p.relative_to(tmp_path): p.read_bytes() for p in (tmp_path / "model").rglob("*") if p.is_file()}
    assert after == before
    _no_hidden_leftovers(tmp_path)
    monkeypatch.undo()
    EpicEncoder.from_pretrained(tmp_path / "model", device="cpu")


def test_a_full_disk_during_a_file_write_keeps_the_old_file_and_the_cli_says_so(tmp_path, tiny, task, monkeypatch,
                                                                               capsys):  # fmt: skip
    import epic.encoder.demos as demos
    from epic.utils import io

    real = io.write_bytes_atomic

    def failing(path, write):  # the first 10 bytes land, then the disk is full
        def half(fh):
            fh.write(b"x" * 10)
            raise _full_disk(path)

        real(path, half)

    tiny.encode_queries(["q"], task=task, n_demos=2)
    tiny.save_demo_cache(tmp_path / "demos.safetensors")
    saved = (tmp_path / "demos.safetensors").read_bytes()
    monkeypatch.setattr(demos, "write_bytes_atomic", failing)
    with pytest.raises(OSError, match="No space left"):
        tiny.save_demo_cache(tmp_path / "demos.safetensors")
    assert (tmp_path / "demos.safetensors").read_bytes() == saved
    tiny.save_pretrained(tmp_path / "model")
    (tmp_path / "t.txt").write_text("a\nb\n")
    (tmp_path / "emb.npy").write_bytes(b"old")
    monkeypatch.setattr(io, "write_bytes_atomic", failing)  # `epic encode` writes its array through it
    with pytest.raises(SystemExit) as e:
        main(["encode", "--model", str(tmp_path / "model"), "--input", str(tmp_path / "t.txt"), "--documents",
              "--output", str(tmp_path / "emb.npy")])  # fmt: skip
    err = capsys.readouterr().err
    assert e.value.code == 1 and f"No space left on device: {tmp_path / 'emb.npy'}" in err and "Traceback" not in err
    assert (tmp_path / "emb.npy").read_bytes() == b"old"
    _no_hidden_leftovers(tmp_path)


def test_a_full_disk_during_a_checkpoint_keeps_the_last_one_and_the_run_resumes(tmp_path, tiny_dir, monkeypatch):
    import epic.training.checkpoint as checkpoint

    Trainer(_config(tmp_path, tiny_dir, max_steps=3, save_every=2)).train()  # a checkpoint at step 2
    ckpt = tmp_path / "run" / "checkpoint"
    before = {p.name: p.read_bytes() for p in ckpt.iterdir()}
    real = checkpoint.save_file

    def save_file(tensors, path, **kw):
        real(tensors, path, **kw)
        raise _full_disk(path)

    monkeypatch.setattr(checkpoint, "save_file", save_file)
    with pytest.raises(OSError, match="No space left"):
        Trainer(_config(tmp_path, tiny_dir, max_steps=5, save_every=2, resume=True)).train()  # fails at step 4
    assert {p.name: p.read_bytes() for p in ckpt.iterdir()} == before
    _no_hidden_leftovers(tmp_path / "run")
    monkeypatch.undo()
    trainer = Trainer(_config(tmp_path, tiny_dir, max_steps=5, save_every=2, resume=True))
    trainer.train()
    assert trainer.step == 5


def test_a_full_disk_while_converting_the_default_backbone_leaves_nothing_half_made(tmp_path, tiny_dir, monkeypatch):
    import transformers

    import epic.encoder.backbone as backbone

    monkeypatch.setenv("EPIC_CACHE", str(tmp_path))
    monkeypatch.setattr(backbone, "_gguf_source", lambda: tiny_dir)
    real_model = transformers.AutoModelForCausalLM.from_pretrained
    real_tokenizer = transformers.AutoTokenizer.from_pretrained

    def load_model(src, gguf_file=None, **kw):  # the tiny folder stands in for the GGUF
        model = real_model(src, **kw)

        def save_pretrained(folder, **kw):
            Path(folder, "model.safetensors").write_bytes(b"\0" * 64)  # part of the weights made it
            raise _full_disk(Path(folder, "model.safetensors"))

        model.save_pretrained = save_pretrained
        return model

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", load_model)
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", lambda src, **kw: real_tokenizer(src))
    with pytest.raises(OSError, match="No space left"):
        backbone.default_backbone_path()
    assert not (tmp_path / "smollm2-135m-instruct").exists()  # never taken for a converted backbone later
    _no_hidden_leftovers(tmp_path)


def test_a_full_disk_while_building_a_training_set_keeps_the_previous_set(tmp_path, monkeypatch):
    import epic.data.build as build

    record = {"title": "T", "body": "a body of text"}
    monkeypatch.setattr(build, "read_source", lambda name: [record])
    monkeypatch.setattr(build, "choose_sources", lambda sources, without: ("x",))
    monkeypatch.setattr(build, "_write_set", lambda out, *a: _write_half(out / "manifest.json"))
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "manifest.json").write_text('{"builder": 3}')
    (tmp_path / "set" / "defs.jsonl").write_text('{"query": "q"}\n')
    with pytest.raises(OSError, match="No space left"):
        build.build(tmp_path / "set")
    assert sorted(p.name for p in (tmp_path / "set").iterdir()) == ["defs.jsonl", "manifest.json"]
    assert (tmp_path / "set" / "manifest.json").read_text() == '{"builder": 3}'
    _no_hidden_leftovers(tmp_path)


def _write_half(path):
    path.write_text('{"buil')
    raise _full_disk(path)


def test_a_full_disk_while_writing_a_training_table_leaves_no_table(tmp_path, monkeypatch):
    from train_fixtures import write_train_set

    import epic.data.example_table as example_table
    from epic.data.train_data import load_train_data

    monkeypatch.setenv("EPIC_TABLES", str(tmp_path / "tables"))
    data = write_train_set(tmp_path / "data")

    real_new_file = example_table.pa.ipc.new_file

    class FullDisk:  # the file's header is written, then the disk is full
        def __init__(self, sink, schema):
            self.writer = real_new_file(sink, schema)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.writer.close()

        def write_batch(self, batch):
            raise _full_disk(tmp_path / "tables")

    with monkeypatch.context() as patched:
        patched.setattr(example_table.pa.ipc, "new_file", FullDisk)
        with pytest.raises(OSError, match="No space left"):
            load_train_data(data)
    assert list((tmp_path / "tables").iterdir()) == []  # no table, whole or half, and no temporary file
    assert len(load_train_data(data).examples) > 0  # with room again, it is built


def test_a_really_full_disk_keeps_the_previous_model(tmp_path, tiny):
    """On a real small filesystem (a tmpfs; needs root): the second save cannot fit beside the first."""
    import subprocess

    from epic import EpicEncoder

    tiny.save_pretrained(tmp_path / "probe")
    size = sum(p.stat().st_size for p in (tmp_path / "probe").rglob("*") if p.is_file())
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size * 3 // 2 + 65536}", "tmpfs", str(disk)],
                             capture_output=True)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    try:
        tiny.save_pretrained(disk / "model")
        before = {p.relative_to(disk): p.read_bytes() for p in (disk / "model").rglob("*") if p.is_file()}
        with pytest.raises(OSError) as e:
            tiny.save_pretrained(disk / "model")
        assert "No space left on device" in str(e.value) or getattr(e.value, "errno", None) == 28
        assert {p.relative_to(disk): p.read_bytes() for p in (disk / "model").rglob("*") if p.is_file()} == before
        _no_hidden_leftovers(disk)
        EpicEncoder.from_pretrained(disk / "model", device="cpu")
    finally:
        subprocess.run(["umount", str(disk)], check=False)
