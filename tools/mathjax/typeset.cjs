// Typeset the TeX of whole HTML pages with MathJax 3 (mathjax-full, pinned in package-lock.json),
// output as SVG with one shared glyph cache per page: the page then shows its math with no script,
// no font file and no network. This is MathJax's own recipe for node (MathJax-demos-node,
// direct/tex2svg-page), with the delimiters and options nbconvert gives MathJax in the browser.
//
// Used by nncourse.grading.mathjax, one process for a whole `nbgrader generate_feedback` run:
// each line on stdin is a JSON object {"html": page}; each answer is one JSON line
// {"html": typeset page, "math": number of formulas, "errors": TeX errors} or {"error": message}.
'use strict';

const readline = require('node:readline');
const { mathjax } = require('mathjax-full/js/mathjax.js');
const { TeX } = require('mathjax-full/js/input/tex.js');
const { SVG } = require('mathjax-full/js/output/svg.js');
const { liteAdaptor } = require('mathjax-full/js/adaptors/liteAdaptor.js');
const { RegisterHTMLHandler } = require('mathjax-full/js/handlers/html.js');
const { AllPackages } = require('mathjax-full/js/input/tex/AllPackages.js');

const adaptor = liteAdaptor({ fontSize: 14 });
RegisterHTMLHandler(adaptor);

// As nbconvert's MathJax configuration (templates/base/mathjax.html.j2): $ and \( inline,
// $$ and \[ displayed, \$ for a dollar sign, \begin{...} environments, AMS equation numbers.
// 'noundefined' is left out so that an unknown macro is an error, shown in red as in the lab.
const packages = AllPackages.filter((name) => name !== 'noundefined');

function typeset(page) {
  const doc = mathjax.document(page, {
    InputJax: new TeX({
      packages,
      inlineMath: [['$', '$'], ['\\(', '\\)']],
      displayMath: [['$$', '$$'], ['\\[', '\\]']],
      processEscapes: true,
      processEnvironments: true,
      tags: 'ams',
    }),
    OutputJax: new SVG({ fontCache: 'global' }),
  });
  doc.render();
  const math = Array.from(doc.math);
  if (math.length === 0) {
    adaptor.remove(doc.outputJax.svgStyles);
    const cache = adaptor.elementById(adaptor.body(doc.document), 'MJX-SVG-global-cache');
    if (cache) adaptor.remove(cache);
  }
  const errors = [];
  for (const node of adaptor.tags(adaptor.body(doc.document), 'mjx-container')) {
    for (const err of adaptor.tags(node, 'g')) {
      if (adaptor.getAttribute(err, 'data-mml-node') === 'merror') {
        errors.push(adaptor.getAttribute(err, 'data-mjx-error') || adaptor.textContent(err));
      }
    }
  }
  const html = adaptor.doctype(doc.document) + '\n' + adaptor.outerHTML(adaptor.root(doc.document));
  return { html, math: math.length, errors };
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
lines.on('line', (line) => {
  let answer;
  try {
    answer = typeset(JSON.parse(line).html);
  } catch (err) {
    answer = { error: String(err && err.stack ? err.stack : err) };
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
});
