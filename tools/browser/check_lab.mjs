// Drive a student's JupyterLab in headless Chromium.
//   node check_lab.mjs spec.json results.json
// spec: {"base": "http://127.0.0.1:PORT", "token": "...", "lecture": "lectures/01_x.ipynb",
//        "validate": [{"name": "release", "path": "release/a/a.ipynb"}, ...],
//        "screenshots": "dir", "runTimeout": 300}
// results: what the page showed; tests/test_browser.py asserts on them and on the saved notebook.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, watch } from './common.mjs';

const [specPath, resultPath] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(specPath, 'utf8'));
mkdirSync(spec.screenshots, { recursive: true });
const shot = (name) => join(spec.screenshots, `${name}.png`);

async function openNotebook(page, path) {
  // ?reset: a fresh workspace, so only this notebook is open.
  await page.goto(`${spec.base}/lab/tree/${path}?reset&token=${spec.token}`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell', { timeout: 90000 });
  // The kernel is ready when the status bar says "<kernel name> | Idle" (the toolbar's
  // indicator already says idle while the status bar still shows "No Kernel | Initializing").
  await page.waitForFunction(kernelIdle, null, { timeout: 90000 });
}

function kernelIdle() {
  const text = [...document.querySelectorAll('.jp-StatusBar-Widget')].map((e) => e.textContent).join(' ');
  return /\|\s*Idle/.test(text) && !/No Kernel/.test(text);
}

async function clickMenu(page, menu, item) {
  await page.locator('.lm-MenuBar-itemLabel', { hasText: new RegExp(`^${menu}$`) }).click();
  await page.locator('.lm-Menu-itemLabel', { hasText: new RegExp(`^${item}$`) }).click();
}

// What the notebook shows: one entry per code cell.
function codeCells() {
  return [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-CodeCell')].map((cell) => {
    // textContent, not innerText: cells outside the viewport are not rendered.
    const prompt = cell.querySelector('.jp-InputPrompt')?.textContent.trim() ?? '';
    const outputs = [...cell.querySelectorAll('.jp-OutputArea-output')];
    // A traceback: stderr-rendered output naming an exception (warnings and progress bars are not).
    const errors = outputs.filter((o) => o.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr'
      && /Traceback \(most recent call last\)|^\s*\w*(Error|Exception)\b/m.test(o.textContent));
    return { prompt, outputs: outputs.length, error: errors.map((o) => o.textContent.slice(0, 400)).join('\n') };
  });
}

async function runLecture(page) {
  const result = { path: spec.lecture };
  const start = Date.now();
  await openNotebook(page, spec.lecture);
  await page.waitForTimeout(1000);  // fonts and outputs settle before the picture
  result.screenshotOpen = shot('lab_lecture');
  await page.screenshot({ path: result.screenshotOpen });
  await clickMenu(page, 'Run', 'Run All Cells');
  const runStart = Date.now();
  // Done when no cell is queued or running and the kernel has been idle for a moment.
  let idleSince = null;
  const deadline = Date.now() + (spec.runTimeout || 300) * 1000;
  while (Date.now() < deadline) {
    const state = await page.evaluate((idle) => ({
      idle: eval(`(${idle})`)(),
      queued: [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPrompt')]
        .some((p) => p.textContent.includes('*')),
    }), kernelIdle.toString());
    if (state.idle && !state.queued) {
      idleSince = idleSince ?? Date.now();
      if (Date.now() - idleSince > 2000 && Date.now() - runStart > 3000) break;
    } else {
      idleSince = null;
    }
    await page.waitForTimeout(250);
  }
  result.runSeconds = (Date.now() - runStart) / 1000;
  result.finished = idleSince !== null;
  result.cells = await page.evaluate(codeCells);
  // Save, so the test can read what ran from the file as well.
  await page.keyboard.press('Control+s');
  await page.waitForSelector('.lm-TabBar-tab.jp-mod-current:not(.jp-mod-dirty)', { timeout: 30000 });
  result.screenshotRun = shot('lab_lecture_run');
  await page.screenshot({ path: result.screenshotRun });
  result.seconds = (Date.now() - start) / 1000;
  return result;
}

async function validate(page, item) {
  const result = { name: item.name, path: item.path };
  const start = Date.now();
  await openNotebook(page, item.path);
  // nbgrader's toolbar button: saves the notebook, runs `nbgrader validate` on the server.
  await page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .validate-button').click();
  const message = page.locator('#validation-message');
  await message.waitFor({ timeout: (spec.validateTimeout || 240) * 1000 });
  result.classes = (await message.getAttribute('class')).split(/\s+/);
  result.text = (await message.innerText()).slice(0, 4000);
  result.screenshot = shot(`lab_validate_${item.name}`);
  await page.screenshot({ path: result.screenshot });
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  result.seconds = (Date.now() - start) / 1000;
  return result;
}

const { context, blocked, close } = await launch({ width: 1400, height: 900 });
const page = await context.newPage();
const problems = watch(page);
const results = { blocked, problems };
try {
  results.lecture = await runLecture(page);
  results.validations = [];
  for (const item of spec.validate || []) results.validations.push(await validate(page, item));
} catch (err) {
  results.error = String(err && err.stack || err);
  await page.screenshot({ path: shot('lab_error') }).catch(() => {});
}
await close();
writeFileSync(resultPath, JSON.stringify(results, null, 1));
