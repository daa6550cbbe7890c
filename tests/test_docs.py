"""The documentation: builds offline without warnings, links resolve, pictures come from scripts, examples run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
FIGURES = ROOT / "benchmarks" / "results"  # where the benchmark scripts write PNGs; the site has them as results/<name>
PAGES = ["index", "getting-started", "concepts", "guide", "own-variant", "integration", "benchmarks", "api"]

IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)[^)]*\)|<img[^>]*\ssrc=\"([^\"]+)\"")
LINK = re.compile(r"\]\(([^)\s]+)\)")
# A fenced Python block, optionally preceded by a "not run" marker comment (e.g. DDP, downloads).
CODE = re.compile(r"(<!-- not run[^>]*-->\s*\n)?```python\n(.*?)\n```", re.S)


def markdown_pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def images_in(page: Path) -> list[str]:
    return [a or b for a, b in IMAGE.findall(page.read_text(encoding="utf-8"))]


def test_every_page_the_readme_promises_exists():
    for name in PAGES:
        assert (DOCS / f"{name}.md").is_file(), name


def test_readme_documentation_links_point_to_existing_files():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Documentation", 1)[1].split("\n## ", 1)[0]
    links = [link for link in LINK.findall(section) if "://" not in link]
    assert len(links) >= 8, links  # the seven pages and benchmarks/RESULTS.md
    missing = [link for link in links if not (ROOT / link.split("#")[0]).is_file()]
    assert not missing, f"README's Documentation section links missing files: {missing}"


def test_every_shipped_recipe_is_described():
    from lightning_gans.cli import list_configs

    text = (DOCS / "getting-started.md").read_text(encoding="utf-8")
    missing = [name for name in list_configs() if f"`{name}`" not in text]
    assert not missing, f"docs/getting-started.md does not describe the recipes {missing}"


def test_the_guide_states_every_health_threshold_and_its_default():
    from dataclasses import fields

    from lightning_gans.callbacks import HealthThresholds

    rows = [line for line in (DOCS / "guide.md").read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    for field in fields(HealthThresholds):
        stated = f"`{field.name}` ({field.default:g})"
        assert any(stated in row for row in rows), f"docs/guide.md's threshold table lacks {stated}"


def producing_scripts(name: str) -> list[Path]:
    """The benchmark scripts that write PNG files and name ``name`` (or its ``<prefix>_`` stem, for f-strings)."""
    parts = Path(name).stem.split("_")
    prefixes = [p for p in ("_".join(parts[:k]) for k in range(len(parts), 0, -1)) if len(p) >= 6]
    found = []
    for script in sorted((ROOT / "benchmarks").rglob("*.py")):
        text = script.read_text(encoding="utf-8")
        if ("savefig" in text or ".png" in text) and any(p in text for p in prefixes):
            found.append(script)
    return found


def test_images_are_produced_by_scripts_not_stored_in_docs():
    stored = [p for p in DOCS.rglob("*") if p.suffix.lower() in {".png", ".jpg", ".jpeg", ".gif", ".svg"}]
    assert not stored, f"images must come from the benchmark scripts (benchmarks/results/), not docs/: {stored}"
    for page in markdown_pages():
        for src in images_in(page):
            assert src.startswith("results/"), f"{page.name}: {src} is not a figure published from benchmarks/results/"
            name = src.removeprefix("results/")
            assert (FIGURES / name).is_file(), f"{page.name} shows {src}, but benchmarks/results/{name} does not exist"
            assert producing_scripts(name), f"no script in benchmarks/ writes {name}"


def test_docs_build_strict_offline(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings_handlers.python", reason="the API reference needs mkdocstrings[python]")
    site = tmp_path / "site"
    env = {**os.environ, "NO_PROXY": "*", "no_proxy": "*"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"), "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "WARNING" not in result.stderr, result.stderr[-4000:]
    for name in PAGES:
        page = site / ("index.html" if name == "index" else f"{name}/index.html")
        assert page.is_file(), name
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    for documented in ("lightning_gans.gan.GAN", "gradient_penalty", "GANHealthMonitor", "gan_ddp_strategy"):
        assert documented in api, documented
    for page in markdown_pages():
        for src in images_in(page):
            assert (site / src).is_file(), f"{src} (shown by {page.name}) is missing from the built site"


@pytest.mark.parametrize("page", [p for p in PAGES if p != "api"])
def test_python_examples_in_the_docs_run(page, tmp_path, monkeypatch):
    blocks = [code for marker, code in CODE.findall((DOCS / f"{page}.md").read_text(encoding="utf-8")) if not marker]
    if not blocks:
        pytest.skip(f"{page}.md has no runnable Python example")
    monkeypatch.chdir(tmp_path)  # examples may write lightning_logs/ or outputs/
    namespace: dict = {"__name__": f"docs_{page.replace('-', '_')}"}
    for index, code in enumerate(blocks):
        exec(compile(code, f"docs/{page}.md[block {index}]", "exec"), namespace)  # noqa: S102 - our own docs
