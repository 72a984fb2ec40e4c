"""Build one offline reveal.js deck per lecture notebook.

Run as ``python -m nncourse.instructor.slides [--out slides] [lectures/NN_name.ipynb ...]``
(``make slides``). With no notebooks given it builds every ``lectures/*.ipynb``.

The deck comes from the notebook's own slide metadata (one source, no copy of
the content), through nbconvert's ``SlidesExporter`` with the course template
in ``tools/slides/templates/nncourse_reveal``:

* ``slide`` starts a slide, ``subslide`` a slide below it, ``fragment`` a step;
* ``skip`` cells stay out of the deck; ``notes`` cells become speaker notes
  (press ``s`` in the deck);
* every slide fits the 1280x720 frame: code and text output wrap, pictures are
  bounded, a wide display formula gets a smaller font and a slide that is still
  too big is zoomed out as a whole (the template's fit step); progress bars and
  other stream pieces show as JupyterLab shows them (:func:`collapse_streams`);
* reveal.js and MathJax 3 come from ``tools/slides/node_modules`` (``npm ci``,
  versions pinned in ``tools/slides/package-lock.json``) and are copied to
  ``<out>/_build/``, so ``<out>/`` works from a web server or as plain files,
  without a network. Nothing is loaded from a CDN: the build refuses a deck
  that would load anything from another host (:func:`external_urls`).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import mimetypes
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import nbformat

#: Folder under the output folder that holds the copied reveal.js and MathJax.
ASSET_DIR = "_build"
#: Slide types a cell may carry (``-`` continues the current slide).
SLIDE_TYPES = ("slide", "subslide", "fragment", "-", "skip", "notes")
#: Virtual slide size in CSS pixels; reveal.js scales it to the screen (16:9).
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


# --------------------------------------------------------------------------- structure
def slide_types(nb: nbformat.NotebookNode) -> list[str]:
    """The slide type of every cell, in order; a cell without metadata counts as ``-``."""
    return [cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-") for cell in nb.cells]


def slide_layout(nb: nbformat.NotebookNode) -> list[int]:
    """Number of (vertical) slides in each horizontal slide of the deck.

    Mirrors nbconvert's reveal preprocessor: the first cell that is neither
    ``skip`` nor ``notes`` always opens the first slide; afterwards a ``slide``
    cell opens a new horizontal slide and a ``subslide`` cell a new slide below.
    ``sum(slide_layout(nb))`` is what ``Reveal.getTotalSlides()`` reports.
    Raises ``ValueError`` when every cell is hidden.
    """
    types = slide_types(nb)
    visible = [i for i, t in enumerate(types) if t not in ("skip", "notes")]
    if not visible:
        raise ValueError("every cell is 'skip' or 'notes': there is no slide to show")
    layout = [1]
    for kind in types[visible[0] + 1:]:
        if kind == "slide":
            layout.append(1)
        elif kind == "subslide":
            layout[-1] += 1
    return layout


def expected_slide_count(nb: nbformat.NotebookNode) -> int:
    """Total number of slides the deck of ``nb`` shows (slide + subslide cells)."""
    return sum(slide_layout(nb))


# --------------------------------------------------------------------------- offline checks
class _ResourceParser(HTMLParser):
    """Collects every URL an HTML page would *load* (not plain ``<a href>`` links)."""

    LOADING = {
        "script": ("src",), "img": ("src", "srcset"), "source": ("src", "srcset"),
        "iframe": ("src",), "video": ("src", "poster"), "audio": ("src",),
        "embed": ("src",), "object": ("data",), "track": ("src",), "input": ("src",),
    }
    LINK_RELS = {"stylesheet", "icon", "preload", "modulepreload", "prefetch", "manifest", "import"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._inline: str | None = None  # "style" or "script" while inside one

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in self.LOADING.get(tag, ()):
            value = attrs.get(name)
            if value:
                self.urls += [part.split()[0] for part in value.split(",") if part.strip()] if name == "srcset" else [value]
        if tag == "link" and set((attrs.get("rel") or "").lower().split()) & self.LINK_RELS and attrs.get("href"):
            self.urls.append(attrs["href"])
        if attrs.get("style"):
            self.urls += css_urls(attrs["style"])
        self._inline = tag if tag in ("style", "script") else None

    def handle_endtag(self, tag):
        self._inline = None

    def handle_data(self, data):
        if self._inline == "style":
            self.urls += css_urls(data)
        elif self._inline == "script":
            self.urls += re.findall(r"""(?:\bimport\s*\(?\s*|\bfrom\s+)["']((?:https?:)?//[^"']+)["']""", data)


def css_urls(css: str) -> list[str]:
    """URLs a stylesheet loads: ``url(...)`` and ``@import "..."`` (comments ignored)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    found = re.findall(r"""url\(\s*["']?([^"')]+?)["']?\s*\)""", css)
    found += re.findall(r"""@import\s+["']([^"']+)["']""", css)
    return found


def loaded_urls(page: str) -> list[str]:
    """Every URL the HTML ``page`` loads: scripts, styles, images, frames, CSS ``url()``."""
    parser = _ResourceParser()
    parser.feed(page)
    parser.close()
    return [html.unescape(u).strip() for u in parser.urls]


def is_external(url: str) -> bool:
    """True for a URL on another host (``http(s)://``, ``ws://``, ``//host``) that is not this machine."""
    parts = urlsplit(url)
    if url.startswith("//") or parts.scheme in ("http", "https", "ws", "wss", "ftp"):
        return (parts.hostname or "") not in LOCAL_HOSTS
    return False


def external_urls(page: str) -> list[str]:
    """The URLs in ``page`` that would be loaded from another host; a deck must have none."""
    return [u for u in loaded_urls(page) if is_external(u)]


def local_files(page: str) -> list[str]:
    """Relative paths the page loads from its own folder (no ``data:``, no scheme, no ``#``)."""
    out = []
    for url in loaded_urls(page):
        if url.startswith(("data:", "blob:", "#", "about:")) or urlsplit(url).scheme or url.startswith("//"):
            continue
        out.append(urlsplit(url).path)
    return out


_CODE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`]*`)", re.S)
_MATH = re.compile(r"(\$\$.+?\$\$|(?<!\\)\$[^$]+?(?<!\\)\$|\\\(.+?\\\)|\\\[.+?\\\])", re.S)


def join_math_lines(markdown: str) -> str:
    """Put every TeX span of ``markdown`` (``$..$``, ``$$..$$``, ``\\(..\\)``, ``\\[..\\]``) on one line.

    JupyterLab hides math from the markdown parser; nbconvert's parser does not,
    so a line inside math that starts with ``+``, ``-`` or ``1.`` turns into a
    list and the TeX is shown raw. For TeX a newline is a space, so joining the
    lines changes nothing else. Code spans and fenced blocks are left alone.
    """
    def join(match: re.Match) -> str:
        return re.sub(r"[ \t]*\n[ \t]*", " ", match.group(0))

    parts = _CODE.split(markdown)
    return "".join(part if i % 2 else _MATH.sub(join, part) for i, part in enumerate(parts))


def collapse_streams(outputs: list) -> list:
    """Stream outputs as JupyterLab shows them: consecutive pieces of one stream merged,
    and a carriage return overwriting its line (a progress bar shows its last state).

    nbconvert prints every saved piece, so a tqdm bar that wrote 60 updates becomes 60
    lines on the slide. Only the deck's copy changes; the notebook keeps its outputs.
    """
    merged: list = []
    for out in outputs:
        if (out.get("output_type") == "stream" and merged and merged[-1].get("output_type") == "stream"
                and merged[-1].get("name") == out.get("name")):
            merged[-1]["text"] += out.get("text", "")
        else:
            merged.append(nbformat.from_dict(dict(out)) if out.get("output_type") == "stream" else out)
    for out in merged:
        if out.get("output_type") == "stream" and "\r" in out.get("text", ""):
            lines = out["text"].split("\n")
            out["text"] = "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1] for line in lines)
    return merged


_IMG_SRC = re.compile(r"""(<img\b[^>]*?\bsrc=)(["'])([^"']+)\2""", re.I)


def inline_local_images(page: str, base_dir: Path) -> tuple[str, list[str]]:
    """Replace ``<img src="relative/path">`` by a ``data:`` URI read from ``base_dir``.

    A lecture's markdown may show a picture stored next to the notebook; the
    deck lives elsewhere, so the picture is embedded. Returns the new page and
    the relative paths that were not found (left unchanged).
    """
    missing: list[str] = []

    def embed(match: re.Match) -> str:
        src = html.unescape(match.group(3))
        if src.startswith(("data:", "blob:", "#")) or urlsplit(src).scheme or src.startswith("//"):
            return match.group(0)
        path = (base_dir / urlsplit(src).path).resolve()
        if not path.is_file():
            missing.append(src)
            return match.group(0)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"{match.group(1)}{match.group(2)}data:{mime};base64,{data}{match.group(2)}"

    return _IMG_SRC.sub(embed, page), missing


_NB_LINK = re.compile(r"""(<a\b[^>]*?\bhref=)(["'])(?:\./)?([\w.-]+)\.ipynb(#[^"']*)?\2""", re.I)


def link_decks(page: str, base_dir: Path) -> str:
    """Point links to sibling notebooks (``href="03_x.ipynb"``) at their decks (``03_x.html``)."""
    def relink(match: re.Match) -> str:
        if not (base_dir / f"{match.group(3)}.ipynb").is_file():
            return match.group(0)
        q = match.group(2)
        return f"{match.group(1)}{q}{match.group(3)}.html{match.group(4) or ''}{q}"

    return _NB_LINK.sub(relink, page)


# --------------------------------------------------------------------------- assets
def tools_dir(root: Path) -> Path:
    """``tools/slides`` of the course: package.json, lock file, template."""
    return root / "tools" / "slides"


def asset_sources(node_modules: Path) -> dict[str, Path]:
    """Folders to copy into ``<out>/_build/``: destination name -> installed package folder."""
    return {"reveal.js": node_modules / "reveal.js", "mathjax": node_modules / "mathjax" / "es5"}


REQUIRED_FILES = ("reveal.js/dist/reveal.js", "reveal.js/dist/reveal.css", "reveal.js/dist/theme/white.css",
                  "reveal.js/plugin/notes/notes.js", "mathjax/tex-chtml-full.js")


def ensure_node_modules(tools: Path, install: bool = True) -> Path:
    """Return ``tools/node_modules``, running ``npm ci`` there first if a needed file is missing."""
    node_modules = tools / "node_modules"

    def complete() -> bool:
        src = asset_sources(node_modules)
        return all((src[f.split("/", 1)[0]] / f.split("/", 1)[1]).is_file() for f in REQUIRED_FILES)

    if not complete():
        if not install:
            raise FileNotFoundError(f"reveal.js/MathJax are not installed: run `npm ci --prefix {tools}`")
        npm = shutil.which("npm")
        if npm is None:
            raise FileNotFoundError("npm is needed once to install reveal.js and MathJax (apt-get install npm)")
        subprocess.run([npm, "ci", "--prefix", str(tools), "--no-audit", "--no-fund"], check=True)
        if not complete():
            raise FileNotFoundError(f"`npm ci --prefix {tools}` did not install {REQUIRED_FILES}")
    return node_modules


def copy_assets(node_modules: Path, out: Path) -> Path:
    """Copy reveal.js (dist, plugin) and MathJax (es5) to ``out/_build``; skipped when already current.

    Currency is judged by a stamp holding the hash of ``package-lock.json``.
    """
    build = out / ASSET_DIR
    lock = node_modules.parent / "package-lock.json"
    stamp_value = hashlib.sha256(lock.read_bytes()).hexdigest() if lock.is_file() else "no-lock"
    stamp = build / ".installed"
    if stamp.is_file() and stamp.read_text() == stamp_value and all((build / f).is_file() for f in REQUIRED_FILES):
        return build
    src = asset_sources(node_modules)
    for sub in ("dist", "plugin"):
        shutil.copytree(src["reveal.js"] / sub, build / "reveal.js" / sub, dirs_exist_ok=True)
    shutil.copy2(src["reveal.js"] / "LICENSE", build / "reveal.js" / "LICENSE")
    shutil.copytree(src["mathjax"], build / "mathjax", dirs_exist_ok=True)
    shutil.copy2(src["mathjax"].parent / "LICENSE", build / "mathjax" / "LICENSE")
    stamp.write_text(stamp_value)
    return build


# --------------------------------------------------------------------------- decks
def make_exporter(templates: Path):
    """nbconvert ``SlidesExporter`` configured with the course template and the local assets."""
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    c = Config()
    c.SlidesExporter.extra_template_basedirs = [str(templates)]
    c.SlidesExporter.template_name = "nncourse_reveal"
    c.SlidesExporter.reveal_url_prefix = f"{ASSET_DIR}/reveal.js"
    c.SlidesExporter.reveal_theme = "white"
    c.SlidesExporter.reveal_transition = "fade"
    c.SlidesExporter.reveal_number = "c/t"
    c.SlidesExporter.reveal_width = str(SLIDE_WIDTH)
    c.SlidesExporter.reveal_height = str(SLIDE_HEIGHT)
    c.SlidesExporter.exclude_input_prompt = True
    c.SlidesExporter.exclude_output_prompt = True
    return SlidesExporter(config=c)


def deck_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The notebook's first markdown heading (``# Title``), else ``fallback``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+?)\s*#*\s*$", cell.source, flags=re.M)
            if match:
                return re.sub(r"[`*_$\\]", "", match.group(1)).strip()
    return fallback


def build_deck(notebook: Path, out: Path, exporter) -> Path:
    """Write ``out/<notebook stem>.html`` and return its path.

    Raises ``ValueError`` if the deck would load a file from another host or
    refers to a picture that does not exist next to the notebook.
    """
    notebook = Path(notebook)
    nb = nbformat.read(notebook, as_version=4)
    slide_layout(nb)  # fails early with a clear message when no cell is visible
    nb.metadata.setdefault("title", deck_title(nb, notebook.stem))
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = join_math_lines(cell.source)
        elif cell.cell_type == "code":
            cell.outputs = collapse_streams(cell.get("outputs", []))
    resources = {"metadata": {"name": notebook.stem, "path": str(notebook.parent.resolve())},
                 "nncourse": {"mathjax_url": f"{ASSET_DIR}/mathjax/tex-chtml-full.js"}}
    page, _ = exporter.from_notebook_node(nb, resources=resources)
    page = link_decks(page, notebook.parent)
    page, missing = inline_local_images(page, notebook.parent)
    if missing:
        raise ValueError(f"{notebook}: pictures not found next to the notebook: {missing}")
    outside = external_urls(page)
    if outside:
        raise ValueError(f"{notebook}: the deck would load from other hosts: {outside}")
    target = out / f"{notebook.stem}.html"
    target.write_text(page, encoding="utf-8")
    return target


def write_index(decks: list[tuple[Path, str, int]], out: Path) -> Path:
    """``out/index.html``: a plain list of the decks (file, title, number of slides)."""
    items = "\n".join(f'    <li><a href="{html.escape(p.name)}">{html.escape(title)}</a> ({n} slides)</li>'
                      for p, title, n in decks)
    page = ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<title>Lecture slides</title>\n<style>body{font:20px/1.5 sans-serif;margin:2em auto;max-width:50em}</style>\n"
            "</head>\n<body>\n<h1>Lecture slides</h1>\n<p>Press <kbd>s</kbd> in a deck for the speaker notes, "
            "<kbd>Esc</kbd> for an overview.</p>\n<ul>\n" + items + "\n</ul>\n</body>\n</html>\n")
    target = out / "index.html"
    target.write_text(page, encoding="utf-8")
    return target


def build_all(notebooks: list[Path], out: Path, root: Path, install: bool = True) -> list[Path]:
    """Copy the assets to ``out/_build``, write one deck per notebook and an index; return the decks."""
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(ensure_node_modules(tools_dir(root), install=install), out)
    exporter = make_exporter(tools_dir(root) / "templates")
    written = []
    for notebook in notebooks:
        deck = build_deck(notebook, out, exporter)
        nb = nbformat.read(notebook, as_version=4)
        written.append((deck, nb.metadata.get("title") or deck_title(nb, notebook.stem), expected_slide_count(nb)))
    write_index(written, out)
    return [deck for deck, _, _ in written]


def main(argv: list[str] | None = None) -> int:
    from nncourse.instructor.course import course_root

    parser = argparse.ArgumentParser(prog="python -m nncourse.instructor.slides", description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="lecture notebooks (default: lectures/*.ipynb)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: slides/ of the course)")
    parser.add_argument("--no-install", action="store_true", help="fail instead of running `npm ci` when assets are missing")
    args = parser.parse_args(argv)

    root = course_root()
    notebooks = args.notebooks or sorted((root / "lectures").glob("*.ipynb"))
    if not notebooks:
        parser.error(f"no lecture notebooks in {root / 'lectures'}")
    for nb in notebooks:
        if not nb.is_file():
            parser.error(f"no such notebook: {nb}")
    out = args.out or root / "slides"
    for deck in build_all(notebooks, out, root, install=not args.no_install):
        n = expected_slide_count(nbformat.read(next(p for p in notebooks if p.stem == deck.stem), as_version=4))
        print(f"{deck} ({n} slides)")
    print(f"open {out / 'index.html'} or serve it: python -m http.server -d {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
