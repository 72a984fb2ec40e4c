// Open every deck in headless Chromium and record what a lecturer would see.
//   node check_decks.mjs spec.json results.json
// spec: {"decks": [{"name": "01_x", "url": "http://127.0.0.1:PORT/01_x.html"}], "screenshots": "dir"}
// results: one object per deck; tests/test_browser.py asserts on them.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, watch } from './common.mjs';

const [specPath, resultPath] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(specPath, 'utf8'));
if (spec.screenshots) mkdirSync(spec.screenshots, { recursive: true });

// Text in rendered markdown that still looks like TeX: math that MathJax missed.
function rawMathInPage() {
  const found = [];
  const roots = document.querySelectorAll('.jp-RenderedMarkdown, .jp-RenderedHTMLCommon');
  for (const root of roots) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: (node) => (node.parentElement.closest('mjx-container, pre, code, script, style')
        ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
    });
    let text = '';
    while (walker.nextNode()) text += walker.currentNode.nodeValue + ' ';
    const re = /\$\$[^$]+\$\$|\$[^$\s][^$]*\$|\\\(|\\\[|\\begin\{/g;
    for (const m of text.matchAll(re)) found.push(m[0].slice(0, 80));
  }
  return [...new Set(found)];
}

async function checkDeck(context, deck) {
  const page = await context.newPage();
  const problems = watch(page);
  const result = { name: deck.name, problems };
  try {
    await page.goto(deck.url, { waitUntil: 'load', timeout: 30000 });
    await page.waitForFunction(() => window.Reveal && window.Reveal.isReady(), null, { timeout: 30000 });
    result.mathFinished = await page.waitForFunction(
      () => document.documentElement.getAttribute('data-math') === 'typeset', null, { timeout: 60000 },
    ).then(() => true, () => false);
    // Every picture decoded (a broken one rejects or stays at width 0).
    await page.evaluate(() => Promise.all([...document.images].map((img) => img.decode().catch(() => null))));
    Object.assign(result, await page.evaluate((rawMath) => {
      const images = [...document.images].map((img) => ({
        src: img.currentSrc.slice(0, 60), naturalWidth: img.naturalWidth, complete: img.complete,
      }));
      return {
        title: document.title,
        totalSlides: Reveal.getTotalSlides(),
        horizontalSlides: Reveal.getHorizontalSlides().length,
        mathElements: document.querySelectorAll('mjx-container').length,
        mathErrors: document.querySelectorAll('mjx-merror').length,
        rawMath: eval(`(${rawMath})`)(),
        images,
        notes: document.querySelectorAll('aside.notes').length,
        firstIndices: Reveal.getIndices(),
        firstSlideFragments: Reveal.getCurrentSlide().querySelectorAll('.fragment:not(.visible)').length,
      };
    }, rawMathInPage.toString()));
    if (spec.screenshots) {
      result.screenshot = join(spec.screenshots, `${deck.name}.png`);
      await page.screenshot({ path: result.screenshot });
    }
    // The arrow key: listen to reveal.js's own events first, press, then read the position.
    await page.evaluate(() => {
      window.nncourseEvents = [];
      for (const ev of ['slidechanged', 'fragmentshown']) Reveal.on(ev, (e) => window.nncourseEvents.push(e.type));
    });
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => window.nncourseEvents.length > 0, null, { timeout: 5000 }).catch(() => null);
    result.arrowEvent = await page.evaluate(() => window.nncourseEvents[0] || 'timeout');
    result.afterArrow = await page.evaluate(() => Reveal.getIndices());
  } catch (err) {
    result.error = String(err && err.stack || err);
  }
  await page.close();
  return result;
}

const { context, blocked, close } = await launch();
const results = [];
for (const deck of spec.decks) {
  const start = Date.now();
  const result = await checkDeck(context, deck);
  result.seconds = (Date.now() - start) / 1000;
  results.push(result);
}
await close();
writeFileSync(resultPath, JSON.stringify({ blocked, decks: results }, null, 1));
