// explain_page.mjs CHROMIUM OUTDIR -- loads the pages run.sh wrote into
// headless chromium, steps them with the keyboard and checks, at each step,
// the highlighted node and the numbers shown: CS231n's circuit (x + y) * z
// at x = -2, y = 5, z = -4 (f = -12, df/dx = df/dy = -4, df/dz = 3) and
// Mazur's network (dE/dW2[0,0] = 0.0821670 among W2's expanded elements).
// The page must load nothing from the network and raise no error. Writes
// OUTDIR/explain-html.png, a screenshot of one step.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openOffline } from './offline_page.mjs';

const [executablePath, out] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
let failed = false;

const open = (name) => openOffline(browser, out, name, { width: 1500, height: 900 });

// What the page shows now: the step line, the highlighted graph node's
// first label line, each graph node's value and gradient lines by name,
// and the equations' TeX.
async function state(page) {
  return page.evaluate(() => {
    const info = document.getElementById('step-info');
    const current = document.querySelectorAll('#graph g.node.current');
    const nodes = {};
    for (const g of document.querySelectorAll('#graph g.node')) {
      const t = g.querySelectorAll('text');
      const name = t[0].textContent.split(' = ')[0];
      nodes[name] = {
        value: t[1] && t[1].style.visibility !== 'hidden' ? t[1].textContent : null,
        grad: t[2] ? t[2].textContent : null,
      };
    }
    return {
      info: info.textContent,
      node: info.dataset.node,
      phase: info.dataset.phase,
      highlighted: [...current].map((g) => g.querySelector('text').textContent),
      rows: [...document.querySelectorAll('#tape tr.current td:first-child')].map((td) => td.textContent),
      nodes,
      tex: [...document.querySelectorAll('#eq-list .equation')].map((d) => d.dataset.tex),
      katex: document.querySelectorAll('#eq-list .katex').length,
    };
  });
}

async function check(name, fn) {
  try {
    await fn();
    console.log('ok   ' + name);
  } catch (e) {
    failed = true;
    console.log('FAIL ' + name + '\n' + e.stack);
  }
}

await check('the circuit, stepped with the arrow keys', async () => {
  const { page, errors, requests } = await open('circuit.html');
  let s = await state(page);
  assert.equal(s.info, 'forward pass 1/2: v1');
  assert.deepEqual(s.highlighted, ['v1 = add']);
  assert.deepEqual(s.rows, ['v1']);
  assert.equal(s.nodes.v1.value, '3');
  assert.equal(s.nodes.f.value, null, 'f is not computed yet');
  assert.deepEqual(s.tex, ['v_{1} = x + y = 3']);
  assert.ok(s.katex > 0, 'KaTeX rendered the equations');

  await page.keyboard.press('ArrowRight');
  s = await state(page);
  assert.equal(s.info, 'forward pass 2/2: f');
  assert.deepEqual(s.highlighted, ['f = mul']);
  assert.equal(s.nodes.f.value, '-12');
  assert.equal(s.nodes.z.grad, '', 'no gradient before the sweep');

  await page.keyboard.press('ArrowRight');
  s = await state(page);
  assert.equal(s.info, 'reverse sweep 1/3: f');
  assert.equal(s.nodes.f.grad, 'grad 1');
  assert.deepEqual(s.tex, ['\\frac{\\partial f}{\\partial f} = 1']);

  await page.keyboard.press('ArrowRight');
  s = await state(page);
  assert.equal(s.info, 'reverse sweep 2/3: f');
  assert.equal(s.nodes.z.grad, 'grad 3');
  assert.equal(s.nodes.v1.grad, 'grad -4');
  assert.equal(s.nodes.x.grad, '', 'x is not reached yet');
  assert.ok(s.tex.includes('\\frac{\\partial f}{\\partial z} = \\frac{\\partial f}{\\partial f} \\cdot v_{1} = 1 \\cdot 3 = 3'));

  await page.keyboard.press('ArrowRight');
  s = await state(page);
  assert.equal(s.info, 'reverse sweep 3/3: v1');
  assert.deepEqual(s.highlighted, ['v1 = add']);
  assert.equal(s.nodes.x.grad, 'grad -4');
  assert.equal(s.nodes.y.grad, 'grad -4');
  assert.ok(s.tex.includes('\\frac{\\partial f}{\\partial x} = \\frac{\\partial f}{\\partial v_{1}} \\cdot 1 = -4 \\cdot 1 = -4'));
  await page.screenshot({ path: path.join(out, 'explain-html.png'), fullPage: true });

  await page.keyboard.press('ArrowRight'); // the last step stays
  assert.equal((await state(page)).info, 'reverse sweep 3/3: v1');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  s = await state(page);
  assert.equal(s.info, 'reverse sweep 1/3: f');
  assert.equal(s.nodes.x.grad, '', 'stepping back takes the gradients back');
  await page.click('#first');
  assert.equal((await state(page)).info, 'forward pass 1/2: v1');
  assert.deepEqual(errors, []);
  assert.deepEqual(requests, []);
});

await check("Mazur's network: W2's gradient expanded to its elements", async () => {
  const { page, errors, requests } = await open('mazur.html');
  await page.keyboard.press('End');
  const s = await state(page);
  assert.equal(s.phase, 'reverse');
  assert.equal(s.nodes.W2.grad, 'grad [[0.08217, 0.08267], [-0.0226, -0.02274]]');
  const row = page.locator('#row-' + (await page.evaluate(() =>
    JSON.parse(document.getElementById('tg-data').textContent).tensors.find((t) => t.label === 'W2').id)));
  await row.locator('td.grad summary').click();
  const cells = await row.locator('td.grad table.elements td').allTextContents();
  assert.deepEqual(cells, ['', '[:,0]', '[:,1]', '[0,:]', '0.082167', '0.0826676', '[1,:]',
    '-0.0226025', '-0.0227402']);
  assert.deepEqual(errors, []);
  assert.deepEqual(requests, []);
});

await browser.close();
process.exit(failed ? 1 : 0);
