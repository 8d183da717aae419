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
