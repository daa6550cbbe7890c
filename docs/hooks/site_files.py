"""MkDocs hook: the site's files that are produced by scripts, not stored in ``docs/``.

- ``benchmarks/results/*.png`` and ``*.md`` (written by the scripts in ``benchmarks/``) are published as
  ``results/<name>``, and ``benchmarks/RESULTS.md`` as ``results.md``. Relative links between them keep working
  (``RESULTS.md`` links ``results/<name>.png``; the reports link their pictures by bare name), and a page shows a
  figure with ``![...](results/<name>.png)``. Nothing is stored twice, and a page showing a figure that no script
  has produced fails the strict build (a link to a missing file is a warning).
- In those published reports, a link to a repository file that is not part of the site (a script, the README)
  becomes its text followed by the path, since the site cannot serve it.
- ``css/pygments.css``: the colours of the code blocks, highlighted at build time by Pygments (the theme's own
  highlighter would be fetched from a CDN, which an offline build cannot rely on).
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.structure.files import File, Files, InclusionLevel
from pygments.formatters import HtmlFormatter

#: Repository path -> site path of the published benchmark outputs.
RESULTS_DIR, RESULTS_PAGE = Path("benchmarks") / "results", Path("benchmarks") / "RESULTS.md"
SITE_RESULTS_DIR, SITE_RESULTS_PAGE = "results", "results.md"
PYGMENTS_CSS = "css/pygments.css"
_LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")


def published_files(repo_root: Path) -> dict[str, Path]:
    """``{site path: repository file}`` of the benchmark outputs that exist now."""
    files: dict[str, Path] = {}
    if (repo_root / RESULTS_PAGE).is_file():
        files[SITE_RESULTS_PAGE] = repo_root / RESULTS_PAGE
    folder = repo_root / RESULTS_DIR
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in (".png", ".md"):
                files[f"{SITE_RESULTS_DIR}/{path.name}"] = path
    return files


def on_files(files: Files, config) -> Files:
    repo_root = Path(config.config_file_path).resolve().parent
    for src_uri, path in published_files(repo_root).items():
        if files.get_file_from_path(src_uri) is None:
            inclusion = InclusionLevel.NOT_IN_NAV if src_uri.endswith(".md") else InclusionLevel.UNDEFINED
            files.append(File.generated(config, src_uri, abs_src_path=str(path), inclusion=inclusion))
    css = HtmlFormatter(style="default").get_style_defs(".highlight")
    files.append(File.generated(config, PYGMENTS_CSS, content=css))
    return files


def on_page_markdown(markdown: str, page, config, files: Files) -> str:
    src_uri = page.file.src_uri
    if src_uri != SITE_RESULTS_PAGE and not src_uri.startswith(f"{SITE_RESULTS_DIR}/"):
        return markdown  # the hand-written pages are checked strictly, untouched

    # Where the page lives in the repository, to name the files it links that the site cannot serve.
    repo_dir = RESULTS_PAGE.parent if src_uri == SITE_RESULTS_PAGE else RESULTS_DIR

    def keep_or_unlink(match: re.Match) -> str:
        bang, text, target = match.groups()
        path = target.split("#", 1)[0]
        if bang or not path or "://" in path or path.startswith("mailto:"):
            return match.group(0)
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(src_uri), path))
        if files.get_file_from_path(resolved) is not None:
            return match.group(0)
        repo_path = posixpath.normpath(posixpath.join(repo_dir.as_posix(), path))
        return f"`{repo_path}`" if text.strip("`") in (target, path, repo_path) else f"{text} (`{repo_path}`)"

    return _LINK.sub(keep_or_unlink, markdown)
