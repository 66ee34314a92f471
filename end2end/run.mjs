// The browser suite. Run by `make test` (or `node end2end/run.mjs` after `make site server`).
import { join } from 'node:path';
import {
  ARTIFACTS, assert, newDataDir, openPage, run, startServer, waitHydrated,
} from './harness.mjs';
import { governedJourney, latency, simulatorAndDiff } from './journey.mjs';

async function storedCount(page) {
  const handle = await page.waitForFunction(() => {
    const text = document.querySelector('#count')?.textContent ?? '';
    // Wrapped in an object: a bare 0 is falsy and would keep waitForFunction polling.
    return /^\d+$/.test(text) ? { value: Number(text) } : null;
  }, null, { timeout: 15_000 });
  return (await handle.jsonValue()).value;
}

const tests = [
  {
    name: 'a click goes through WASM and a server function into the database and survives reload and restart',
    async fn({ browser }) {
      const dataDir = newDataDir();
      let server = await startServer({ dataDir });
      const page = await openPage(browser, server.url);
      await waitHydrated(page);
      const before = await storedCount(page);
      await page.click('#inc');
      await page.waitForFunction((n) => document.querySelector('#count')?.textContent === String(n), before + 1);
      await page.reload();
      await waitHydrated(page);
      assert((await storedCount(page)) === before + 1, 'count persists across a reload');
      // Leave the page first: Monaco may still be loading from this server, and a refused
      // connection while it is down is not what this test is about.
      await page.goto('about:blank');
      await server.stop();
      server = await startServer({ dataDir });
      await page.goto(server.url);
      await waitHydrated(page);
      assert((await storedCount(page)) === before + 1, 'count persists across a server restart');
      assert(page.errors.length === 0, `no page errors: ${page.errors.join('; ')}`);
      await page.close();
      await server.stop();
    },
  },
  {
    name: 'typing into Monaco reaches Rust, and Rust sets a marker in the editor',
    async fn({ browser }) {
      const server = await startServer({ dataDir: newDataDir() });
      const page = await openPage(browser, server.url);
      await waitHydrated(page);
      await page.waitForSelector('#editor[data-editor-ready="true"]', { timeout: 30_000 });
      const linesBefore = Number(await page.textContent('#line-count'));
      assert(Number(await page.textContent('#problem-count')) === 0, 'the sample starts clean');
      await page.click('#editor .view-lines');
      await page.keyboard.press('Control+End');
      await page.keyboard.type('\nfilesytem: {}');
      await page.waitForFunction((n) => document.querySelector('#line-count')?.textContent === String(n), linesBefore + 1);
      // The misspelt section is found by the lifecycle linter running in WASM, which sets a marker.
      await page.waitForFunction(() => document.querySelector('#problem-count')?.textContent === '1');
      const markers = await page.evaluate(() => window.monaco.editor.getModelMarkers({ owner: 'cavra-lint' }));
      assert(markers.length === 1, `one marker, got ${JSON.stringify(markers)}`);
      assert(markers[0].startLineNumber === linesBefore + 1, `marker on the typed line, got ${markers[0].startLineNumber}`);
      assert(markers[0].message.includes('did you mean `filesystem`?'), `marker message from Rust: ${markers[0].message}`);
      assert(/^sha256:[0-9a-f]{64}$/.test(await page.textContent('#digest')), 'live digest shown');
      await page.waitForSelector('#editor .squiggly-warning', { timeout: 10_000 });
      // A syntax error turns into an error marker; the problems panel jumps to its line.
      await page.keyboard.type('\nbad: a: b');
      await page.waitForSelector('#editor .squiggly-error', { timeout: 10_000 });
      await page.keyboard.press('Control+Home');
      await page.click('#problems .problem-blocker button');
      await page.waitForFunction((line) => window.monaco.editor.getEditors()[0].getPosition().lineNumber === line, linesBefore + 2);
      await page.screenshot({ path: join(ARTIFACTS, 'home-editor.png'), fullPage: true });
      assert(page.errors.length === 0, `no page errors: ${page.errors.join('; ')}`);
      await page.close();
      await server.stop();
    },
  },
  simulatorAndDiff,
  latency,
  governedJourney,
];

await run(tests);
