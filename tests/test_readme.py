"""The README's usage example runs as written (with a shorter budget)."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_usage_example_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) == 1, "the README has one usage example"
    code = blocks[0]
    assert "max_epochs=5" in code
    monkeypatch.chdir(tmp_path)  # logs and sample grids land here
    namespace: dict = {}
    exec(
        compile(code.replace("max_epochs=5", "max_steps=4, enable_progress_bar=False"), "README.md", "exec"), namespace
    )
    assert tuple(namespace["images"].shape) == (16, 1, 32, 32)
    assert namespace["model"].generator_steps == 2
