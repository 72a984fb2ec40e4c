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

// Every slide (each horizontal and vertical section, all fragments shown) against
// reveal.js's frame: the configured width x height. Returns the slides whose content
// reaches outside the frame, or whose parts scroll or clip (scrollWidth/Height >
// clientWidth/Height), with the overflow in px of the unscaled slide.
async function measureSlides(page) {
  await page.evaluate(() => Reveal.configure({ transition: 'none', backgroundTransition: 'none' }));
  const slides = await page.evaluate(() => Reveal.getHorizontalSlides().map(
    (h) => Math.max(1, h.querySelectorAll(':scope > section').length)));
  const measured = [];
  for (let h = 0; h < slides.length; h += 1) {
    for (let v = 0; v < slides[h]; v += 1) {
      measured.push(await page.evaluate(([hi, vi]) => {
        Reveal.slide(hi, vi, 1e6);  // past the last fragment: every fragment shown
        const section = Reveal.getCurrentSlide();
        section.querySelectorAll('.fragment').forEach((f) => f.classList.add('visible'));
        Reveal.layout();
        const { width, height } = Reveal.getConfig();
        const scale = Reveal.getScale() || 1;
        const frame = section.closest('.slides').getBoundingClientRect();
        const box = { left: 0, top: 0, right: 0, bottom: 0 };
        const clipped = [];
        const describe = (el) => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
          ? '.' + el.className.trim().split(/\s+/).slice(0, 2).join('.') : '');
        const elements = [section, ...section.querySelectorAll('*')].filter((el) => {
          if (el.closest('aside.notes, script, style')) return false;
          // Inside a formula only the container and its math box: MathJax builds hundreds of nodes.
          const math = el.parentElement && el.parentElement.closest('mjx-container');
          return !math || (el.tagName === 'MJX-MATH' && el.parentElement.tagName === 'MJX-CONTAINER');
        });
        for (const el of elements) {
          const r = el.getBoundingClientRect();
          if (r.width === 0 && r.height === 0) continue;
          if (getComputedStyle(el).visibility === 'hidden' && el !== section) continue;
          const left = (r.left - frame.left) / scale, top = (r.top - frame.top) / scale;
          box.left = Math.min(box.left, left);
          box.top = Math.min(box.top, top);
          box.right = Math.max(box.right, left + r.width / scale);
          box.bottom = Math.max(box.bottom, top + r.height / scale);
          // A part that scrolls or clips instead of growing (wide pre, MathJax, scrolling subslide).
          const dx = el.scrollWidth - el.clientWidth, dy = el.scrollHeight - el.clientHeight;
          if (dx > 1 || dy > 1) {
            const style = getComputedStyle(el);
            const x = style.overflowX !== 'visible' && el.clientWidth > 0 ? Math.max(0, dx) : 0;
            const y = style.overflowY !== 'visible' && el.clientHeight > 0 ? Math.max(0, dy) : 0;
            if (x > 1 || y > 1) clipped.push({ element: describe(el), x, y });
          }
        }
        const overflow = {
          x: Math.round(Math.max(0, box.right - width, -box.left)),
          y: Math.round(Math.max(0, box.bottom - height, -box.top)),
        };
        const words = (section.innerText || '').replace(/\s+/g, ' ').trim().split(' ').slice(0, 8).join(' ');
        return {
          h: hi, v: vi, indices: Reveal.getIndices(), words, width, height,
          contentWidth: Math.round(box.right - Math.min(0, box.left)),
          contentHeight: Math.round(box.bottom - Math.min(0, box.top)),
          overflow, clipped: clipped.slice(0, 5), zoom: parseFloat(section.getAttribute('data-fit-zoom') || '1'),
          fits: overflow.x <= 1 && overflow.y <= 1 && clipped.length === 0,
        };
      }, [h, v]));
    }
  }
  await page.evaluate(() => Reveal.slide(0, 0, -1));
  return measured;
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
    const measured = await measureSlides(page);
    result.slidesMeasured = measured.length;
    result.overflows = measured.filter((m) => !m.fits);
    // Slides the deck's fit step had to zoom out (1 = shown at full size).
    result.zoomed = measured.filter((m) => m.zoom < 1).map((m) => ({ h: m.h, v: m.v, zoom: m.zoom, words: m.words }));
    if (spec.screenshots && result.overflows.length) {
      // The worst slide of the deck, as it is shown.
      const worst = result.overflows.reduce((a, b) => (Math.max(b.overflow.x, b.overflow.y, ...b.clipped.map((c) => Math.max(c.x, c.y)))
        > Math.max(a.overflow.x, a.overflow.y, ...a.clipped.map((c) => Math.max(c.x, c.y))) ? b : a));
      await page.evaluate(([h, v]) => Reveal.slide(h, v, 1e6), [worst.h, worst.v]);
      result.worstScreenshot = join(spec.screenshots, `${deck.name}-worst-slide.png`);
      await page.screenshot({ path: result.worstScreenshot });
    }
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
