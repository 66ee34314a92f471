// The browser suite. Run by `make test` (or `node end2end/run.mjs` after `make site server`).
import { join } from 'node:path';
import {
  ARTIFACTS, assert, cspViolations, newDataDir, openPage, run, startServer, waitHydrated,
} from './harness.mjs';
import { governedJourney, latency, simulatorAndDiff } from './journey.mjs';

const tests = [
  {
    name: 'pages hydrate and Monaco loads under the CSP, and a violation is caught',
    async fn({ browser }) {
      const server = await startServer({ dataDir: newDataDir() });
      const page = await openPage(browser, server.url);
      try {
        const response = await page.goto(server.url);
        const headers = response.headers();
        const csp = headers['content-security-policy'] ?? '';
        const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
        assert(nonce, `the page's CSP carries a nonce: ${csp}`);
        assert(!csp.includes("'unsafe-eval'"), `no 'unsafe-eval': ${csp}`);
        assert(headers['x-frame-options'] === 'DENY' && headers['x-content-type-options'] === 'nosniff', 'framing and sniffing refused');
        // The WASM bundle hydrates and Monaco (its AMD loader, workers, styles) runs under it.
        await waitHydrated(page);
        await page.waitForSelector('#editor[data-editor-ready="true"]', { timeout: 30_000 });
        await page.waitForFunction(() => document.querySelector('#problem-count')?.textContent === '0');
        // The suite notices a violation: an inline script without the nonce is blocked and
        // reported (then forgotten, so this test passes).
        assert(cspViolations.length === 0, `no violation before the probe: ${cspViolations.join(' | ')}`);
        await page.evaluate(() => {
          const script = document.createElement('script');
          script.textContent = 'window.__cspProbe = true;';
          document.head.appendChild(script);
        });
        for (let waited = 0; cspViolations.length === 0 && waited < 5_000; waited += 100) {
          await page.waitForTimeout(100);
        }
        assert(cspViolations.length > 0, 'the blocked inline script was reported');
        assert(await page.evaluate(() => window.__cspProbe === undefined), 'the inline script did not run');
        cspViolations.length = 0;
        assert(page.errors.filter((e) => !/Content Security Policy/i.test(e)).length === 0, `no page errors: ${page.errors.join('; ')}`);
      } finally {
        await page.close();
        await server.stop();
      }
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
