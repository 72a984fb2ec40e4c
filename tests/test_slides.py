"""The deck builder (nncourse.instructor.slides): structure, offline assets, no CDN.

These tests read the built HTML; tests/test_browser.py opens the same decks in
Chromium. Building needs reveal.js and MathJax in tools/slides/node_modules
(`npm ci --prefix tools/slides`; the builder runs it itself when they are missing).
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from nncourse.instructor import slides

ROOT = Path(__file__).resolve().parents[1]
LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))

# A 1x1 PNG (red pixel), small enough to write inline.
PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")


def cell(kind: str, source: str, slide_type: str):
    made = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
    made.metadata.slideshow = {"slide_type": slide_type}
    return made


def notebook_with(types: list[str]) -> nbformat.NotebookNode:
    return new_notebook(cells=[cell("md", f"cell {i}", t) for i, t in enumerate(types)])


def demo_notebook(folder: Path) -> Path:
    """A small lecture with every slide type, math, a plot output and a picture file beside it."""
    (folder / "figures").mkdir(parents=True, exist_ok=True)
    (folder / "figures" / "pixel.png").write_bytes(PIXEL_PNG)
    plot = new_code_cell("plot()", execution_count=2)
    plot.outputs = [new_output("display_data", data={"image/png": base64.b64encode(PIXEL_PNG).decode(),
                                                     "text/plain": "<Figure>"})]
    plot.metadata.slideshow = {"slide_type": "-"}
    cells = [
        cell("code", "SETUP_CELL_MARKER = 1", "skip"),
        cell("md", "# Demo deck\nThe update $\\theta \\leftarrow \\theta - \\eta g$.", "slide"),
        cell("md", "SPEAKER_NOTE_MARKER: say why", "notes"),
        cell("md", "## Loss\n$$L = \\frac{1}{n}\\sum_i r_i^2$$", "slide"),
        plot,
        cell("md", "A step \\(a+b\\)", "fragment"),
        cell("md", "### Detail\n![a pixel](figures/pixel.png)", "subslide"),
        cell("md", "LONG_DERIVATION_MARKER", "skip"),
        cell("md", "## End", "slide"),
    ]
    path = folder / "01_demo.ipynb"
    nb = new_notebook(cells=cells)
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3 (nn-course)", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Decks for the demo notebook and every lecture, built into one temporary slides/ folder."""
    src = tmp_path_factory.mktemp("lectures")
    out = tmp_path_factory.mktemp("slides")
    notebooks = [demo_notebook(src), *LECTURES]
    decks = slides.build_all(notebooks, out, ROOT)
    return out, dict(zip(notebooks, decks))


# --------------------------------------------------------------------------- structure
@pytest.mark.parametrize("types, layout", [
    (["slide", "-", "subslide", "fragment", "slide"], [2, 1]),
    (["skip", "notes", "-", "subslide", "subslide"], [3]),   # first visible cell opens the deck
    (["slide", "skip", "notes", "slide", "skip"], [1, 1]),
    (["slide", "slide", "subslide", "slide", "subslide", "subslide"], [1, 2, 3]),
])
def test_slide_layout_follows_the_metadata(types, layout):
    nb = notebook_with(types)
    assert slides.slide_layout(nb) == layout
    assert slides.expected_slide_count(nb) == sum(layout)


def test_a_notebook_with_only_hidden_cells_is_refused():
    with pytest.raises(ValueError, match="no slide"):
        slides.slide_layout(notebook_with(["skip", "notes"]))


def test_deck_title_is_the_first_heading():
    nb = new_notebook(cells=[new_markdown_cell("intro"), new_markdown_cell("# Lecture 3 — *Gradient* descent")])
    assert slides.deck_title(nb, "x") == "Lecture 3 — Gradient descent"
    assert slides.deck_title(notebook_with(["slide"]), "fallback") == "fallback"


# --------------------------------------------------------------------------- offline checks
def test_external_urls_finds_every_kind_of_load():
    page = """<html><head>
    <script src="https://cdn.example.org/reveal.js"></script>
    <link rel="stylesheet" href="//fonts.example.com/x.css">
    <link rel="icon" href="http://127.0.0.1:8000/favicon.ico">
    <style>@import "https://a.example/b.css"; .x{background:url('http://img.example/y.png')}
    /* a comment naming https://hakim.se is no load */</style>
    <script type="module">import mermaid from 'https://esm.example/mermaid.mjs';</script>
    </head><body>
    <a href="https://arxiv.org/abs/1412.6980">Adam</a>
    <img src="data:image/png;base64,AAAA"><img src="_build/x.png" srcset="https://s.example/2x.png 2x">
    <div style="background-image: url(https://bg.example/z.jpg)"></div>
    </body></html>"""
    assert sorted(slides.external_urls(page)) == sorted([
        "https://cdn.example.org/reveal.js", "//fonts.example.com/x.css", "https://a.example/b.css",
        "http://img.example/y.png", "https://esm.example/mermaid.mjs", "https://s.example/2x.png",
        "https://bg.example/z.jpg"])
    assert slides.local_files(page) == ["_build/x.png"]


def test_join_math_lines_keeps_tex_away_from_the_list_parser():
    source = ("1. Heun: $x + \\tfrac h2(a\n   + b)$, done\n2. next $$\na\n- b\n$$ and \\(p\n+ q\\)\n"
              "`$code\n+ span$` costs \\$5\n- a real item")
    assert slides.join_math_lines(source) == (
        "1. Heun: $x + \\tfrac h2(a + b)$, done\n2. next $$ a - b $$ and \\(p + q\\)\n"
        "`$code\n+ span$` costs \\$5\n- a real item")


def test_a_line_break_inside_math_does_not_break_the_deck(tmp_path):
    nb = new_notebook(cells=[cell("md", "# T\n1. step $a\n   + b$ here", "slide")])
    nbformat.write(nb, tmp_path / "m.ipynb")
    page = slides.build_deck(tmp_path / "m.ipynb", tmp_path, slides.make_exporter(slides.tools_dir(ROOT) / "templates"))
    assert "$a + b$" in page.read_text()


def test_links_to_sibling_notebooks_point_at_their_decks(tmp_path):
    (tmp_path / "03_gd.ipynb").write_text("{}")
    page = '<a href="03_gd.ipynb#Step">L3</a> <a href="./03_gd.ipynb">x</a> <a href="99_none.ipynb">y</a>'
    assert slides.link_decks(page, tmp_path) == (
        '<a href="03_gd.html#Step">L3</a> <a href="03_gd.html">x</a> <a href="99_none.ipynb">y</a>')


def test_inline_local_images_embeds_files_and_reports_missing(tmp_path):
    (tmp_path / "p.png").write_bytes(PIXEL_PNG)
    page = '<p><img alt="a" src="p.png"> <img src="gone.png"> <img src="data:image/gif;base64,R0lG"></p>'
    out, missing = slides.inline_local_images(page, tmp_path)
    assert f'src="data:image/png;base64,{base64.b64encode(PIXEL_PNG).decode()}"' in out
    assert missing == ["gone.png"]
    assert 'src="data:image/gif;base64,R0lG"' in out


# --------------------------------------------------------------------------- built decks
def sections(page: str) -> int:
    return len(re.findall(r"<section\b", page))


def test_demo_deck_structure(built):
    out, decks = built
    demo = next(d for nb, d in decks.items() if nb.stem == "01_demo")
    page = demo.read_text()
    # 3 horizontal slides holding 1 + 2 + 1 vertical ones: 3 + 4 <section> elements.
    assert sections(page) == 3 + 4
    assert "SETUP_CELL_MARKER" not in page and "LONG_DERIVATION_MARKER" not in page
    notes = re.findall(r'<aside class="notes">(.*?)</aside>', page, flags=re.S)
    assert len(notes) == 1 and "SPEAKER_NOTE_MARKER" in notes[0]
    assert page.count('class="fragment"') == 1
    assert "<title>Demo deck slides</title>" in page
    # The picture next to the notebook is embedded; the plot output too.
    assert 'src="figures/pixel.png"' not in page
    assert page.count(base64.b64encode(PIXEL_PNG).decode()) == 2
    # Math is left for MathJax, which the deck loads from the local copy.
    assert "$\\theta \\leftarrow \\theta - \\eta g$" in page
    assert re.search(r'<script defer(="")? src="_build/mathjax/tex-chtml-full.js">', page)


@pytest.mark.parametrize("notebook", LECTURES, ids=[p.stem for p in LECTURES])
def test_each_lecture_deck_has_one_section_per_slide(built, notebook):
    _, decks = built
    nb = nbformat.read(notebook, as_version=4)
    layout = slides.slide_layout(nb)
    assert sections(decks[notebook].read_text()) == len(layout) + sum(layout)


def test_every_deck_loads_only_local_files(built):
    out, decks = built
    assert (out / "index.html").is_file()
    for deck in decks.values():
        page = deck.read_text()
        assert slides.external_urls(page) == [], deck.name
        assert not re.search(r"unpkg\.com|jsdelivr|cdnjs|googleapis", page), deck.name
        files = slides.local_files(page)
        assert {"_build/reveal.js/dist/reveal.js", "_build/reveal.js/dist/reveal.css",
                "_build/reveal.js/dist/theme/white.css", "_build/reveal.js/plugin/notes/notes.js",
                "_build/mathjax/tex-chtml-full.js"} <= set(files), deck.name
        for rel in files:
            assert (out / rel).is_file(), f"{deck.name} loads {rel}, which is not in {out}"
            if rel.endswith(".css"):
                css = (out / rel).read_text()
                assert [u for u in slides.css_urls(css) if slides.is_external(u)] == [], rel


def test_assets_are_copied_once(built):
    out, _ = built
    stamp = out / slides.ASSET_DIR / ".installed"
    before = stamp.stat().st_mtime_ns
    node_modules = slides.ensure_node_modules(slides.tools_dir(ROOT), install=False)
    slides.copy_assets(node_modules, out)
    assert stamp.stat().st_mtime_ns == before
    assert (out / slides.ASSET_DIR / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()


def test_command_line_builds_the_given_notebook(tmp_path, monkeypatch, capsys):
    notebook = demo_notebook(tmp_path / "src")
    monkeypatch.chdir(ROOT)
    assert slides.main(["--out", str(tmp_path / "deck"), str(notebook)]) == 0
    assert (tmp_path / "deck" / "01_demo.html").is_file()
    assert "(4 slides)" in capsys.readouterr().out


def test_the_slides_folder_is_in_a_clone_and_says_how_decks_get_there(tmp_path, monkeypatch):
    import subprocess

    tracked = subprocess.run(["git", "ls-files", "slides"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert tracked == ["slides/README.md"], "slides/ holds its README only; the decks are built"
    text = (ROOT / "slides" / "README.md").read_text()
    assert "make slides" in text and "index.html" in text and "student-edition" in text
    ignored = subprocess.run(["git", "check-ignore", "slides/01_x.html", "slides/_build/reveal.js"], cwd=ROOT,
                             capture_output=True, text=True).stdout.split()
    assert ignored == ["slides/01_x.html", "slides/_build/reveal.js"]
    out = tmp_path / "slides"  # building into the folder keeps its README
    out.mkdir()
    (out / "README.md").write_text(text)
    monkeypatch.chdir(ROOT)
    assert slides.main(["--out", str(out), str(demo_notebook(tmp_path / "src"))]) == 0
    assert (out / "README.md").read_text() == text and (out / "01_demo.html").is_file()


def test_build_refuses_a_deck_with_a_missing_picture(tmp_path):
    nb = new_notebook(cells=[cell("md", "# T\n![x](nowhere.png)", "slide")])
    nbformat.write(nb, tmp_path / "broken.ipynb")
    exporter = slides.make_exporter(slides.tools_dir(ROOT) / "templates")
    with pytest.raises(ValueError, match="nowhere.png"):
        slides.build_deck(tmp_path / "broken.ipynb", tmp_path, exporter)


def test_collapse_streams_shows_a_progress_bar_as_jupyterlab_does():
    out = [nbformat.v4.new_output("stream", name="stderr", text=f"\rbar {p}%|") for p in (0, 50)]
    out += [nbformat.v4.new_output("stream", name="stderr", text="\rbar 100%|\n"),
            nbformat.v4.new_output("stream", name="stdout", text="done\n")]
    shown = slides.collapse_streams(out)
    assert [(o.name, o.text) for o in shown] == [("stderr", "bar 100%|\n"), ("stdout", "done\n")]
    assert out[0].text == "\rbar 0%|"  # the notebook's own outputs are left alone
