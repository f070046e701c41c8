"""Readers for the offline English text sources of the default-voice corpus.

Each reader yields ``Passage(source, origin, text)``: a paragraph of running text and where it
came from (file, verse or function), so every corpus sentence can be traced to its source and
licence.
The sources are Debian packages that ``setup.sh`` installs and the Python standard library on disk.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FORTUNES_DIR = Path("/usr/share/games/fortunes")

FORTUNES_SKIPPED = frozenset({"ascii-art", "translate-me", "ethnic", "men-women"})
"""Fortune files left out: pictures, non-English text, two files of jokes about groups of people."""

MAN_PACKAGES = (
    "apt",
    "bash",
    "coreutils",
    "curl",
    "diffutils",
    "dpkg",
    "festival",
    "findutils",
    "flite",
    "git-man",
    "grep",
    "gzip",
    "less",
    "make",
    "man-db",
    "openssh-client",
    "procps",
    "sed",
    "sox",
    "tar",
    "util-linux",
    "wget",
)
"""Debian packages whose English manual pages are read (all installed by ``setup.sh``)."""

_MAN_PATH = re.compile(r"^/usr/share/man/man[1-8]/[^/]+\.gz$")
_MAN_SKIPPED_SECTIONS = frozenset(
    {"NAME", "SYNOPSIS", "SEE ALSO", "AUTHOR", "AUTHORS", "COPYRIGHT"}
)


@dataclass(frozen=True)
class Passage:
    """A paragraph of text and where it came from."""

    source: str
    """Source family: ``fortunes``, ``kjv``, ``man`` or ``pydoc``."""
    origin: str
    """Where inside the source: a fortune file, a verse reference, a man page or a module."""
    text: str
    """The paragraph, on one line."""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def fortunes() -> Iterator[Passage]:
    """Every fortune cookie (attribution lines removed) of the Debian ``fortunes`` files."""
    names = sorted(p.name for p in FORTUNES_DIR.iterdir() if "." not in p.name)
    for name in names:
        if name in FORTUNES_SKIPPED:
            continue
        utf8 = FORTUNES_DIR / f"{name}.u8"
        raw = (
            utf8.read_text("utf-8") if utf8.exists() else (FORTUNES_DIR / name).read_text("latin-1")
        )
        for cookie in raw.split("\n%\n"):
            lines = [ln for ln in cookie.splitlines() if not ln.strip().startswith("--")]
            text = _one_line(" ".join(lines))
            if text:
                yield Passage("fortunes", name, text)


def kjv() -> Iterator[Passage]:
    """Every verse of the King James Bible, read with the ``bible`` program of ``bible-kjv``."""
    out = subprocess.run(
        ["bible", "-l0", "Gen1:1-Rev22:21"], check=True, capture_output=True, text=True
    ).stdout
    chapter = ""
    for line in out.splitlines():
        verse = re.match(r"^\s+(\d+) (.+)$", line)
        if verse:
            yield Passage("kjv", f"{chapter}:{verse.group(1)}", verse.group(2).strip())
        elif line.strip():
            chapter = line.strip()


def _man_pages(package: str) -> list[str]:
    listing = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True).stdout
    return sorted(p for p in listing.splitlines() if _MAN_PATH.match(p) and os.path.isfile(p))


def _render_man(path: str) -> str:
    env = dict(os.environ, MANWIDTH="4000", LC_ALL="C.UTF-8")
    rendered = subprocess.run(
        ["man", "--nh", "--nj", "-E", "ascii", "-P", "cat", "-l", path],
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    # Strip any overstrike (bold/underline) sequences left by the formatter.
    return re.sub(r".\x08", "", rendered)


def man_pages() -> Iterator[Passage]:
    """Description paragraphs of the English manual pages of :data:`MAN_PACKAGES`."""
    for package in MAN_PACKAGES:
        for path in _man_pages(package):
            page = Path(path).name.removesuffix(".gz")
            section = ""
            for line in _render_man(path).splitlines():
                if line and not line[0].isspace():
                    section = line.strip()
                    continue
                # With MANWIDTH=4000 a paragraph is one line; an indent of 7 marks body text.
                if section not in _MAN_SKIPPED_SECTIONS and line.startswith("       "):
                    text = _one_line(line)
                    if text:
                        yield Passage("man", f"{package}:{page}", text)


def _docstrings(tree: ast.Module) -> Iterator[tuple[str, str]]:
    nodes: list[ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] = [tree]
    nodes += [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    ]
    for node in nodes:
        doc = ast.get_docstring(node)
        if doc:
            yield getattr(node, "name", "<module>"), doc


def python_docstrings() -> Iterator[Passage]:
    """Docstring paragraphs of the Python standard library's own modules (no tests, no idlelib)."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    skipped = ("test", "tests", "idlelib", "lib2to3", "site-packages", "dist-packages")
    files = sorted(
        p for p in stdlib.rglob("*.py") if not set(p.relative_to(stdlib).parts) & set(skipped)
    )
    for path in files:
        try:
            tree = ast.parse(path.read_text("utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        module = ".".join(path.relative_to(stdlib).with_suffix("").parts)
        for name, doc in _docstrings(tree):
            for paragraph in re.split(r"\n\s*\n", doc):
                # Skip code examples and indented blocks; keep prose paragraphs.
                if ">>>" in paragraph or re.search(r"^\s{4,}", paragraph, re.M):
                    continue
                text = _one_line(paragraph)
                if text:
                    yield Passage("pydoc", f"{module}.{name}", text)


READERS = {
    "fortunes": fortunes,
    "kjv": kjv,
    "man": man_pages,
    "pydoc": python_docstrings,
}
"""Source family -> reader, in the order the corpus builder reads them."""
