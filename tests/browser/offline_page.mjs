// offline_page.mjs -- what the browser tests share: a page of OUTDIR opened
// in chromium with every request outside file: and data: refused and
// recorded, and the page's errors collected, so that a test can assert that
// a self-contained page fetched nothing and raised nothing.
import path from 'node:path';

export async function openOffline(browser, out, name, viewport) {
  const page = await browser.newPage({ viewport });
  const errors = [];
  const requests = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.route('**/*', (route) => {
    const url = route.request().url();
    const local = url.startsWith('file:') || url.startsWith('data:');
    if (!local) requests.push(url);
    return local ? route.continue() : route.abort();
  });
  await page.goto('file://' + path.resolve(out, name));
  return { page, errors, requests };
}
