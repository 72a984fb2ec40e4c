// Open nbgrader pages with math in headless Chromium, offline, and record what a reader sees.
//   node check_math_pages.mjs spec.json results.json
// spec: {"pages": [{"name": "feedback", "url": "file:///.../x.html", "offline": true, "wait": "feedback"},
//                  {"name": "formgrader", "url": "http://127.0.0.1:PORT/formgrader/submissions/ID/?token=T",
//                   "wait": "mathjax2"}], "screenshots": "dir"}
// "offline": Chromium's network is switched off for the page (a file opened from disk, as a student
// opens fetched feedback); every page also runs with no name resolving and requests to other hosts aborted.
// "wait": "feedback" (math typeset when the file was written: nothing to wait for) or "mathjax2"
// (the Formgrader's MathJax 2 has typeset the page: formgrade.js sets MathJax.loaded).
// results: one object per page; tests/test_offline_math.py asserts on them.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, watch } from './common.mjs';

const [specPath, resultPath] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(specPath, 'utf8'));
if (spec.screenshots) mkdirSync(spec.screenshots, { recursive: true });

// What the page shows of its math, in rendered markdown and HTML/LaTeX outputs (classic template).
function mathInPage() {
  const typeset = 'mjx-container, .MathJax, .MathJax_Display, .MathJax_Preview, .MathJax_SVG, .MathJax_CHTML';
  const roots = document.querySelectorAll('.text_cell_render, .output_html, .output_markdown, .output_latex');
  const raw = [];
  for (const root of roots) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: (node) => (node.parentElement.closest(`${typeset}, pre, code, script, style, textarea`)
        ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
    });
    let text = '';
    while (walker.nextNode()) text += walker.currentNode.nodeValue + ' ';
    const re = /\$\$[^$]+\$\$|\$[^$\s][^$]*\$|\\\(|\\\[|\\begin\{/g;
    for (const m of text.matchAll(re)) raw.push(m[0].slice(0, 80));
  }
  // Typeset formulas that take room on the page (MathJax 3: mjx-container; MathJax 2: span.MathJax / div.MathJax_Display).
  const shown = [...document.querySelectorAll('mjx-container, span.MathJax, div.MathJax_Display > span.MathJax')]
    .filter((el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; });
  // SVG glyphs that point at a definition missing from the page would draw nothing.
  const missingGlyphs = [...document.querySelectorAll('mjx-container use')]
    .map((u) => u.getAttribute('xlink:href') || u.getAttribute('href'))
    .filter((ref) => ref && ref.startsWith('#') && !document.getElementById(ref.slice(1)));
  return {
    title: document.title,
    rawMath: [...new Set(raw)],
    mathElements: shown.length,
    mathErrors: document.querySelectorAll('g[data-mml-node="merror"], .MathJax .merror, .MathJax_Error').length,
    missingGlyphs: [...new Set(missingGlyphs)],
    scripts: [...document.scripts].map((s) => s.src).filter(Boolean),
    mathjaxVersion: (window.MathJax && (window.MathJax.version || (window.MathJax.fileversion))) || null,
    mathjaxLoaded: Boolean(window.MathJax && window.MathJax.loaded),
  };
}

async function check(context, item) {
  const page = await context.newPage();
  const problems = watch(page);
  const result = { name: item.name, problems };
  try {
    if (item.offline) await context.setOffline(true);
    await page.goto(item.url, { waitUntil: 'load', timeout: 60000 });
    if (item.wait === 'mathjax2') {
      result.mathFinished = await page.waitForFunction(() => window.MathJax && window.MathJax.loaded === true,
        null, { timeout: 90000 }).then(() => true, () => false);
    } else {
      result.mathFinished = true;
    }
    Object.assign(result, await page.evaluate(mathInPage));
    if (spec.screenshots) {
      result.screenshot = join(spec.screenshots, `${item.name}.png`);
      await page.screenshot({ path: result.screenshot, fullPage: false });
    }
  } catch (err) {
    result.error = String(err && err.stack || err);
  }
  if (item.offline) await context.setOffline(false);
  await page.close();
  return result;
}

const { context, blocked, close } = await launch({ width: 1280, height: 900 });
// A file opened from disk is this machine too (routes registered last are asked first).
await context.route((url) => url.protocol === 'file:', (route) => route.continue());
const results = [];
for (const item of spec.pages) {
  const start = Date.now();
  const result = await check(context, item);
  result.seconds = (Date.now() - start) / 1000;
  results.push(result);
}
await close();
writeFileSync(resultPath, JSON.stringify({ blocked, pages: results }, null, 1));
