// quiz_page.mjs CHROMIUM OUTDIR -- the page of `tg quiz --format html` in
// headless chromium (quiz_run.sh writes OUTDIR/circuit-quiz.html for CS231n's
// circuit (x + y) * z at x = -2, y = 5, z = -4): a student types the answers
// with one local derivative wrong (d/dz of v1 * z taken to be z, -4 for 3),
// presses Check, and the page must mark that box and the variable's
// gradient that follows from it wrong, the others ok, score 6/8 and name
// the first wrong node; then with every answer right, 8/8. The answers
// appear as the lines tg check reads. The page must load nothing from the
// network and raise no error. Writes OUTDIR/quiz-html.png.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openOffline } from './offline_page.mjs';

const [executablePath, out] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
const { page, errors, requests } = await openOffline(browser, out, 'circuit-quiz.html',
                                                     { width: 1000, height: 900 });

// the blanks in sweep order: local df/dv1, local df/dz, upstream df/dv1,
// local dv1/dx, local dv1/dy, gradient df/dx, df/dy, df/dz
const boxes = page.locator('input.blank');
assert.equal(await boxes.count(), 8);
async function answer(values) {
  for (let i = 0; i < values.length; i++) await boxes.nth(i).fill(values[i]);
  await page.click('#check');
  return page.evaluate(() => ({
    score: document.getElementById('score').textContent,
    marks: [...document.querySelectorAll('input.blank')].map((b) => b.className),
    lines: document.getElementById('lines').value,
  }));
}

let failed = false;
try {
  let r = await answer(['-4', '-4', '-4', '1', '1', '-4', '-4', '-4']);
  assert.equal(r.score, 'Score 6/8. First wrong node: f = v1 * z: its local derivative ' +
                        '(local df/dz) is wrong.');
  assert.deepEqual(r.marks.map((m) => m.split(' ')[1]),
                   ['ok', 'wrong', 'ok', 'ok', 'ok', 'ok', 'ok', 'wrong']);
  assert.ok(r.lines.includes('local df/dz = -4\n'), r.lines);
  await page.screenshot({ path: path.join(out, 'quiz-html.png'), fullPage: true });
  r = await answer(['-4', '3', '-4', '1', '1', '-4.0001', '-4', '[3]']);
  assert.equal(r.score, 'Score 7/8. First wrong node: the variable z: its gradient ' +
                        '(gradient df/dz) is wrong shape.');
  r = await answer(['-4', '3', '-4', '1', '1', '-4.0001', '-4', '3']);
  assert.equal(r.score, 'Score 8/8: every blank is right.');
  assert.deepEqual(errors, []);
  assert.deepEqual(requests, []);
  console.log('quiz page: ok');
} catch (e) {
  console.error('quiz page: ' + e.message);
  failed = true;
}
await browser.close();
process.exit(failed ? 1 : 0);
