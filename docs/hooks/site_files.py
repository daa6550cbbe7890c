"""MkDocs hook: files the site needs that are produced, not stored in ``docs/``.

- Every ``*.png`` in ``benchmarks/results/`` (written by the scripts in ``benchmarks/``) becomes
  ``images/<name>.png`` in the site, so a page shows it with ``![...](images/<name>.png)``. The figures are never
  stored twice, and a page showing a figure that no script has produced fails the strict build (a link to a
  missing file is a warning).
- ``css/pygments.css``: the colours of the code blocks, highlighted at build time by Pygments (the theme's own
  highlighter would be fetched from a CDN, which an offline build cannot rely on).
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File, Files
from pygments.formatters import HtmlFormatter

#: Where the benchmark scripts write their figures, relative to the repository root.
FIGURES_DIR = Path("benchmarks") / "results"
#: Where the figures appear in the site.
SITE_IMAGES = "images"
PYGMENTS_CSS = "css/pygments.css"


def figure_files(repo_root: Path) -> dict[str, Path]:
    """``{site path: source file}`` for every PNG under ``benchmarks/results/``."""
    folder = repo_root / FIGURES_DIR
    if not folder.is_dir():
        return {}
    return {f"{SITE_IMAGES}/{path.name}": path for path in sorted(folder.glob("*.png"))}


def on_files(files: Files, config) -> Files:
    repo_root = Path(config.config_file_path).resolve().parent
    for src_uri, path in figure_files(repo_root).items():
        if files.get_file_from_path(src_uri) is None:
            files.append(File.generated(config, src_uri, abs_src_path=str(path)))
    css = HtmlFormatter(style="default").get_style_defs(".highlight")
    files.append(File.generated(config, PYGMENTS_CSS, content=css))
    return files
