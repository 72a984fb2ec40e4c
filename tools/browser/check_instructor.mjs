// What an instructor sees in JupyterLab after releasing an assignment: nbgrader's
// Assignments list and the Formgrader, both opened from the lab's "Nbgrader" menu.
//   node check_instructor.mjs spec.json results.json
// spec: {"base": "http://127.0.0.1:PORT", "token": "...", "screenshots": "dir", "timeout": 120}
// results: what the pages showed (texts, list entries, table rows); tests/test_browser.py asserts on them.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, watch } from './common.mjs';

const [specPath, resultPath] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(specPath, 'utf8'));
mkdirSync(spec.screenshots, { recursive: true });
const shot = (name) => join(spec.screenshots, `${name}.png`);
const timeout = (spec.timeout || 120) * 1000;

async function clickMenu(page, menu, item) {
  await page.locator('.lm-MenuBar-itemLabel', { hasText: new RegExp(`^${menu}$`) }).click();
  const entry = page.locator('.lm-Menu-itemLabel', { hasText: new RegExp(`^${item}$`) });
  try {
    await entry.click({ timeout: 10000 });
  } catch (err) {
    const shown = await page.locator('.lm-Menu-itemLabel').allInnerTexts();
    throw new Error(`no "${item}" in the "${menu}" menu, which shows: ${JSON.stringify(shown)}`);
  }
}

// Wait for fn (run in the page or frame) to return true; on a timeout say what it showed.
async function waitUntil(where, fn, describe, what) {
  try {
    await where.waitForFunction(fn, null, { timeout });
  } catch (err) {
    const shown = await where.evaluate(describe).catch((e) => `(could not read the page: ${e})`);
    throw new Error(`${what} within ${timeout / 1000} s; the page showed:\n${shown}`);
  }
}

// The Assignments panel's state: the course picker, each section's entries, placeholders and errors.
function assignmentPanel() {
  const panel = document.querySelector('#nbgrader-assignment-list');
  if (!panel) return null;
  const visible = (el) => !!el && !el.hidden && el.offsetParent !== null;
  const section = (id) => {
    const list = panel.querySelector(`#${id}`);
    return {
      items: [...list.querySelectorAll(':scope > .list_item')].map((item) => ({
        name: item.querySelector('.item_name')?.innerText.trim() ?? '',
        course: item.querySelector('.item_course')?.innerText.trim() ?? '',
        button: item.querySelector('.item_status button')?.innerText.trim() ?? '',
        text: item.innerText.trim(),
      })),
      loading: visible(list.querySelector(`#${id}_loading`)),
      placeholder: visible(list.querySelector(`#${id}_placeholder`)) ? list.querySelector(`#${id}_placeholder`).innerText.trim() : '',
      error: visible(list.querySelector(`#${id}_error`)) ? list.querySelector(`#${id}_error`).innerText.trim() : '',
    };
  };
  const versionError = panel.querySelector('.version_error');
  return {
    course: panel.querySelector('#course_list_default')?.innerText.trim() ?? '',
    courseListEnabled: !panel.querySelector('#course_list_dropdown')?.hasAttribute('disabled'),
    released: section('released_assignments_list'),
    fetched: section('fetched_assignments_list'),
    submitted: section('submitted_assignments_list'),
    versionError: visible(versionError) ? versionError.innerText.trim() : '',
    text: panel.innerText,
  };
}

async function assignmentList(page) {
  const result = {};
  const start = Date.now();
  await clickMenu(page, 'Nbgrader', 'Assignment List');
  await waitUntil(page, () => !!document.querySelector('#nbgrader-assignment-list:not(.lm-mod-hidden)'),
    () => document.body.innerText.slice(0, 3000), 'no Assignments panel opened');
  // Loaded: the course picker is enabled again and no section says "Loading, please wait...".
  await waitUntil(page, `(() => { const p = (${assignmentPanel})(); return !!p && p.courseListEnabled
      && !p.released.loading && !p.fetched.loading && !p.submitted.loading; })()`,
  () => document.querySelector('#nbgrader-assignment-list')?.innerText ?? document.body.innerText.slice(0, 3000),
  'the Assignments list did not finish loading');
  await page.waitForTimeout(1000);  // the version check and fonts settle before the picture
  Object.assign(result, await page.evaluate(assignmentPanel));
  result.screenshot = shot('lab_assignment_list');
  await page.screenshot({ path: result.screenshot });
  result.seconds = (Date.now() - start) / 1000;
  return result;
}

// The Formgrader's "Manage Assignments" table and its alerts (inside the panel's iframe).
function formgraderPage() {
  const rows = [...document.querySelectorAll('#main-table tr')].map((tr) => ({
    name: tr.querySelector('td.name')?.innerText.trim() ?? '',
    status: tr.querySelector('td.status')?.innerText.trim() ?? '',
    submissions: tr.querySelector('td.num-submissions')?.innerText.trim() ?? '',
    text: tr.innerText.trim(),
  }));
  const alerts = [...document.querySelectorAll('.alert')].filter((a) => a.offsetParent !== null)
    .map((a) => ({ id: a.id, text: a.innerText.trim() }));
  return { title: document.title, url: location.href, rows, alerts, text: document.body.innerText };
}

async function formgrader(page) {
  const result = {};
  const start = Date.now();
  // The Formgrader's table is wide: the picture shows it without the file browser beside it.
  // (Ctrl+B, JupyterLab's "Show Left Sidebar" toggle; left as it is if the key does not close it.)
  await page.keyboard.press('Control+b');
  await page.waitForFunction(() => !document.querySelector('#jp-left-stack:not(.lm-mod-hidden)'), null,
    { timeout: 5000 }).catch(() => {});
  await clickMenu(page, 'Nbgrader', 'Formgrader');
  const iframe = page.locator('#formgrader-iframe iframe');
  try {
    await iframe.waitFor({ timeout });
  } catch (err) {
    throw new Error(`no Formgrader panel opened; the page showed:\n${(await page.innerText('body')).slice(0, 3000)}`);
  }
  const frame = await (await iframe.elementHandle()).contentFrame();
  // Loaded: manage_assignments.js sets models.loaded once it has filled the table (#main-table is
  // its tbody, whose placeholder row says "Loading, please wait...") from /formgrader/api/assignments.
  await waitUntil(frame, () => document.readyState === 'complete' && window.models?.loaded === true
      && document.querySelectorAll('#main-table tr td.name').length > 0,
  () => document.body ? document.body.innerText.slice(0, 3000) : '(no body yet)',
  'the Formgrader showed no assignments');
  await page.waitForTimeout(1000);
  Object.assign(result, await frame.evaluate(formgraderPage));
  result.screenshot = shot('lab_formgrader');
  await page.screenshot({ path: result.screenshot });
  result.seconds = (Date.now() - start) / 1000;
  return result;
}

const { context, blocked, close } = await launch({ width: 1400, height: 900 });
const page = await context.newPage();
const problems = watch(page);
const results = { blocked, problems };
try {
  // ?reset: a fresh workspace, nothing open but the launcher.
  await page.goto(`${spec.base}/lab?reset&token=${spec.token}`, { waitUntil: 'domcontentloaded' });
  await waitUntil(page, () => [...document.querySelectorAll('.lm-MenuBar-itemLabel')].some((e) => e.textContent === 'Nbgrader'),
    () => `menu bar: ${[...document.querySelectorAll('.lm-MenuBar-itemLabel')].map((e) => e.textContent).join(', ')}\n`
      + document.body.innerText.slice(0, 2000),
    'no "Nbgrader" menu in the lab\'s menu bar');
  results.menu = await page.locator('.lm-MenuBar-itemLabel').allInnerTexts();
  results.assignmentList = await assignmentList(page);
  results.formgrader = await formgrader(page);
} catch (err) {
  results.error = String(err && err.stack || err);
  await page.screenshot({ path: shot('lab_instructor_error') }).catch(() => {});
}
await close();
writeFileSync(resultPath, JSON.stringify(results, null, 1));
