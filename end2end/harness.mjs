// A small browser-test harness: starts `cavra serve` on a free loopback port with its own data
// directory, drives Debian's Chromium through playwright-core, and prints `N passed, N failed`.
// Every page runs under the server's Content-Security-Policy; a test during which any page
// reports a CSP violation fails.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = resolve(new URL('..', import.meta.url).pathname);
export const ARTIFACTS = join(ROOT, 'end2end', 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

// Where cargo builds: $CARGO_TARGET_DIR when set (as for cargo and scripts/build-site.sh).
export const TARGET = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(ROOT, 'target');
export const BIN = process.env.CAVRA_BIN ?? join(TARGET, 'debug', 'cavra');
const SITE = process.env.CAVRA_SITE_ROOT ?? join(TARGET, 'site');

const dataDirs = [];

// A fresh data directory per server; all of them are removed when the suite ends.
export function newDataDir() {
  const dir = mkdtempSync(join(tmpdir(), 'cavra-e2e-'));
  dataDirs.push(dir);
  return dir;
}

function removeDataDirs() {
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

function serverEnv(extra) {
  const env = { ...process.env, ...extra };
  // The suite's servers use their own SQLite file unless a test says otherwise.
  if (!('DATABASE_URL' in extra)) delete env.DATABASE_URL;
  return env;
}

// Starts the server and resolves with { url, token, stop } once it prints its address; `token`
// is the runtime token `--demo` prints (for /v1/decisions), else undefined.
export function startServer({ dataDir, extraArgs = [], env = {} }) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      BIN,
      ['serve', '--addr', '127.0.0.1:0', '--data-dir', dataDir, '--site-root', SITE, ...extraArgs],
      { env: serverEnv(env), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within 30 s:\n${stderr}`));
    }, 30_000);
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = /serving on (http:\/\/\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        const token = /Authorization: Bearer (\S+)/.exec(stdout)?.[1];
        stdout = '';
        resolvePromise({
          url: match[1],
          token,
          stop: () => new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${stderr}`));
    });
  });
}

// CSP violations reported by any page since the current test started; `run` fails a test that
// leaves one. A test that provokes one on purpose (to prove the watch works) clears it.
export const cspViolations = [];

const CSP_MESSAGE = /Content[- ]Security[- ]Policy/i;

// Records every CSP violation of a browser context: the `securitypolicyviolation` event of each
// document, and Chromium's console report (which also covers workers).
async function watchCsp(context) {
  await context.exposeBinding('__cavraCspViolation', (_source, text) => { cspViolations.push(text); });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__cavraCspViolation(`${event.effectiveDirective} blocked ${event.blockedURI || 'an inline script or style'} (${event.sourceFile}:${event.lineNumber})`);
    });
  });
  context.on('console', (message) => {
    if (CSP_MESSAGE.test(message.text())) cspViolations.push(`console: ${message.text()}`);
  });
  // A worker's violations fire in the worker only; Monaco's worker bootstrap
  // (public/monaco-worker.js) says them on the worker's console.
  context.on('page', (page) => {
    page.on('worker', (worker) => {
      worker.on('console', (message) => {
        if (CSP_MESSAGE.test(message.text())) cspViolations.push(`worker ${worker.url()}: ${message.text()}`);
      });
    });
  });
}

export async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  // Every context (and so every page) a test opens is watched for CSP violations.
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options) => {
    const context = await newContext(options);
    await watchCsp(context);
    return context;
  };
  browser.newPage = async (options) => {
    const context = await browser.newContext(options);
    const page = await context.newPage();
    page.once('close', () => { context.close().catch(() => {}); });
    return page;
  };
  return browser;
}

// Opens a page and fails the test on any uncaught page error or console error.
export async function openPage(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.errors = [];
  page.on('pageerror', (error) => page.errors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') page.errors.push(message.text());
  });
  await page.goto(url);
  return page;
}

export async function waitHydrated(page) {
  await page.waitForSelector('#status[data-hydrated="true"]', { timeout: 30_000 });
}

export function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

// Runs tests in order; each is { name, fn }. Exits non-zero when any fails.
export async function run(tests) {
  let passed = 0;
  let failed = 0;
  const browser = await launchBrowser();
  try {
    for (const test of tests) {
      const started = Date.now();
      cspViolations.length = 0;
      try {
        await test.fn({ browser });
        // Reports arrive asynchronously; give late ones a moment before judging.
        await new Promise((done) => { setTimeout(done, 200); });
        assert(cspViolations.length === 0, `no CSP violations, got ${cspViolations.length}: ${cspViolations.slice(0, 5).join(' | ')}`);
        passed += 1;
        console.log(`ok   ${test.name} (${Date.now() - started} ms)`);
      } catch (error) {
        failed += 1;
        console.log(`FAIL ${test.name}: ${error.stack ?? error}`);
      }
    }
  } finally {
    await browser.close();
    removeDataDirs();
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}
