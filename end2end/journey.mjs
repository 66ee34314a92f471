// Browser tests of the authoring surfaces: the simulator and diff (pure WASM), keystroke-to-marker
// latency, and the governed journey with an author and an approver in two browser contexts.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ARTIFACTS, BIN, ROOT, assert, newDataDir, openPage, startServer, waitHydrated,
} from './harness.mjs';

const PACK = 'cavra-ai-agent-baseline';

async function setEditorText(page, text) {
  await page.evaluate((value) => {
    const editor = window.monaco.editor.getEditors().find((e) => e.getContainerDomNode().closest('#editor'));
    editor.setValue(value);
  }, text);
}

async function waitText(page, selector, pattern, timeout = 15_000) {
  await page.waitForFunction(
    ([sel, source]) => new RegExp(source).test(document.querySelector(sel)?.textContent ?? ''),
    [selector, pattern.source],
    { timeout },
  );
}

async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
}

export const simulatorAndDiff = {
  name: 'the simulator decides in WASM as you type, highlights the matched pattern and the diff shows the change',
  async fn({ browser }) {
    const server = await startServer({ dataDir: newDataDir() });
    const page = await openPage(browser, server.url);
    try {
      await waitHydrated(page);
      await page.waitForSelector('#editor[data-editor-ready="true"]', { timeout: 30_000 });
      assert((await page.locator('#simulator-cases tbody tr').count()) === 6, 'the six required cases run');
      // The default custom request reads `.env`: blocked by the sample's first pattern (line 8).
      await waitText(page, '#sim-decision', /^block$/);
      await page.waitForFunction(() => (document.querySelector('#editor')?.dataset.highlight ?? '').startsWith('8:'));
      const decorated = await page.evaluate(() => window.monaco.editor.getEditors()
        .find((e) => e.getContainerDomNode().closest('#editor')).getModel().getAllDecorations()
        .some((d) => d.options.inlineClassName === 'matched-pattern'));
      assert(decorated, 'the matched pattern is decorated in the editor');
      // Allowing `terraform plan*` flips a required case against the sample.
      const text = await page.evaluate(() => window.monaco.editor.getEditors()
        .find((e) => e.getContainerDomNode().closest('#editor')).getValue());
      await setEditorText(page, text.replace('    - "pytest*"', '    - "pytest*"\n    - "terraform plan*"'));
      await waitText(page, 'tr[data-case="allow_terraform_plan"] .case-flip', /require_approval → allow/);
      await page.selectOption('#sim-action', 'execute_command');
      await page.fill('#sim-target', 'terraform plan -out x');
      await page.fill('#sim-operation', 'terraform plan -out x');
      await waitText(page, '#sim-flip', /flip: require_approval → allow/);
      await waitText(page, '#sim-rule', /commands\.allow/);
      // The diff viewer (Monaco diff editor + semantic diff + impact) follows the editor.
      await page.waitForSelector('#diff-editor[data-editor-ready="true"]', { timeout: 30_000 });
      await page.waitForFunction(() => Number(document.querySelector('#diff-editor')?.dataset.diffChanges ?? 0) >= 1, null, { timeout: 15_000 });
      await waitText(page, '#semantic-diff', /commands\.allow/);
      await waitText(page, '#impact-summary', /^[1-9]\d* of \d+ probe requests flip/);
      await page.locator('#simulator-title').scrollIntoViewIfNeeded();
      await shot(page, 'simulator-and-diff.png');
      assert(page.errors.length === 0, `no page errors: ${page.errors.join('; ')}`);
    } finally {
      await page.close();
      await server.stop();
    }
  },
};

function generatedPack(rules) {
  const lines = ['metadata:', '  id: generated-10k', '  title: Generated pack', '  description: Ten thousand rules.', '  version: 0.1.0', 'filesystem:', '  block_read:'];
  const quarter = Math.floor(rules / 4);
  for (let i = 0; i < quarter; i += 1) lines.push(`    - "**/secret-${i}/*.key"`);
  lines.push('  block_write:');
  for (let i = 0; i < quarter; i += 1) lines.push(`    - "infra/module-${i}/**"`);
  lines.push('commands:', '  block:');
  for (let i = 0; i < quarter; i += 1) lines.push(`    - "deploy-tool-${i} apply*"`);
  lines.push('  allow:');
  for (let i = 0; i < rules - 3 * quarter; i += 1) lines.push(`    - "safe-tool-${i}*"`);
  return `${lines.join('\n')}\n`;
}

// Types a misspelt section key at the end and measures each keystroke (keydown mark to the
// markers being set), then checks the marker is there one animation frame after typing stops.
async function measureTyping(page) {
  await page.evaluate(() => { performance.clearMarks(); performance.clearMeasures(); });
  await page.click('#editor .view-lines');
  await page.keyboard.press('Control+End');
  await page.keyboard.type('\nfilesytem: {}', { delay: 30 });
  const markersAfterFrame = await page.evaluate(() => new Promise((resolve) => {
    requestAnimationFrame(() => resolve({
      markers: window.monaco.editor.getModelMarkers({ owner: 'cavra-lint' }).filter((m) => m.message.includes('filesytem')).length,
      problems: [...document.querySelectorAll('#problems li')].filter((li) => li.textContent.includes('filesytem')).length,
    }));
  }));
  const durations = await page.evaluate(() => performance.getEntriesByName('cavra-keystroke-to-marker').map((m) => m.duration));
  durations.sort((a, b) => a - b);
  return {
    markersAfterFrame,
    count: durations.length,
    median: durations[Math.floor(durations.length / 2)] ?? NaN,
    p90: durations[Math.floor(durations.length * 0.9)] ?? NaN,
    max: durations[durations.length - 1] ?? NaN,
  };
}

export const latency = {
  name: 'keystroke-to-marker latency for the baseline pack and a generated 10 000-rule pack',
  async fn({ browser }) {
    const server = await startServer({ dataDir: newDataDir() });
    const page = await openPage(browser, server.url);
    try {
      await waitHydrated(page);
      await page.waitForSelector('#editor[data-editor-ready="true"]', { timeout: 30_000 });
      const results = {};
      const packs = {
        baseline: readFileSync(join(ROOT, 'policies', PACK, 'policy.yaml'), 'utf8'),
        'generated 10 000 rules': generatedPack(10_000),
      };
      for (const [name, text] of Object.entries(packs)) {
        await setEditorText(page, text);
        await page.waitForFunction((n) => document.querySelector('#line-count')?.textContent === String(n), text.split('\n').length, { timeout: 60_000 });
        const result = await measureTyping(page);
        results[name] = result;
        assert(result.count > 0, `${name}: keystrokes measured`);
        assert(result.markersAfterFrame.markers === 1 && result.markersAfterFrame.problems === 1,
          `${name}: marker and problem one frame after typing stopped: ${JSON.stringify(result.markersAfterFrame)}`);
      }
      for (const [name, r] of Object.entries(results)) {
        console.log(`     latency ${name}: keystroke-to-marker median ${r.median.toFixed(1)} ms, p90 ${r.p90.toFixed(1)} ms, max ${r.max.toFixed(1)} ms over ${r.count} keystrokes`);
      }
      await shot(page, 'editor-10k-rules.png');
      assert(page.errors.length === 0, `no page errors: ${page.errors.join('; ')}`);
    } finally {
      await page.close();
      await server.stop();
    }
  },
};

async function signIn(browser, url, username) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (error) => page.errors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') page.errors.push(message.text());
  });
  await page.goto(`${url}/login`);
  await page.waitForSelector('#login-form[data-hydrated="true"]', { timeout: 30_000 });
  await page.fill('#username', username);
  await page.fill('#password', `${username}-demo-pass`);
  await page.click('#sign-in');
  await page.waitForURL(`${url}/packs`, { timeout: 15_000 });
  await page.waitForSelector(`#packs tr[data-pack="${PACK}"]`, { timeout: 15_000 });
  return { context, page };
}

async function status(page, pattern, timeout = 15_000) {
  try {
    await waitText(page, '#action-status', pattern, timeout);
  } catch (error) {
    throw new Error(`status did not match ${pattern}: "${await page.textContent('#action-status')}"`);
  }
  return page.textContent('#action-status');
}

async function openPack(page, url) {
  await page.goto(`${url}/packs/${PACK}`);
  await page.waitForSelector('#enforced-digest', { timeout: 15_000 });
  await page.waitForSelector('main[data-hydrated="true"]', { timeout: 30_000 });
}

export const governedJourney = {
  name: 'author and approver: edit, save, conflict, simulate, diff, publish, shadow, sign off, promote, roll back, evidence',
  async fn({ browser }) {
    const server = await startServer({
      dataDir: newDataDir(),
      extraArgs: ['--demo', '--policies-dir', join(ROOT, 'policies'), '--shadow-min-seconds', '0'],
    });
    const contexts = [];
    try {
      const author = await signIn(browser, server.url, 'author');
      contexts.push(author.context);
      await shot(author.page, 'dashboard.png');
      await openPack(author.page, server.url);
      const knownGood = (await author.page.textContent('#enforced-digest')).trim();

      // A new draft opens in the editor.
      await author.page.click('#new-draft');
      await author.page.waitForURL(/\/drafts\/\d+$/, { timeout: 15_000 });
      const draftUrl = author.page.url();
      const page = author.page;
      await page.waitForSelector('#editor[data-editor-ready="true"]', { timeout: 30_000 });
      // A second tab of the same author, opened on revision 1.
      const stale = await author.context.newPage();
      stale.errors = [];
      await stale.goto(draftUrl);
      await stale.waitForSelector('#editor[data-editor-ready="true"]', { timeout: 30_000 });

      // An invalid edit: a marker and a problem one frame after typing stops; fixing removes it.
      const problemsBefore = (await page.textContent('#problem-count')).trim();
      const typed = await measureTyping(page);
      assert(typed.markersAfterFrame.markers === 1 && typed.markersAfterFrame.problems === 1,
        `marker and problem after one frame: ${JSON.stringify(typed.markersAfterFrame)}`);
      await page.keyboard.press('Shift+Home');
      await page.keyboard.press('Delete');
      await page.keyboard.press('Backspace');
      await page.waitForFunction(() => !window.monaco.editor.getModelMarkers({ owner: 'cavra-lint' })
        .some((m) => m.message.includes('filesytem')), null, { timeout: 5_000 });
      await waitText(page, '#problem-count', new RegExp(`^${problemsBefore}$`));
      await shot(page, 'draft-editor.png');

      // Change a rule: `pytest*` is no longer allowed. The simulator shows the flip.
      const text = await page.evaluate(() => window.monaco.editor.getEditors()
        .find((e) => e.getContainerDomNode().closest('#editor')).getValue());
      await setEditorText(page, text.replace('    - "pytest*"\n', '').replace('version: 0.1.0', 'version: 0.2.0'));
      await page.selectOption('#sim-action', 'execute_command');
      await page.fill('#sim-target', 'pytest -q');
      await page.fill('#sim-operation', 'pytest -q');
      await waitText(page, '#sim-flip', /flip: allow → require_approval/);
      await waitText(page, '#simulator-summary', /flip/);
      // The diff viewer shows the change against the enforced version.
      await page.waitForFunction(() => Number(document.querySelector('#diff-editor')?.dataset.diffChanges ?? 0) >= 1, null, { timeout: 15_000 });
      await waitText(page, '#semantic-diff', /commands\.allow/);
      await waitText(page, '#impact-summary', /^[1-9]\d* of/);
      await shot(page, 'draft-simulator-diff.png');

      // Save with Ctrl+S inside the editor.
      await page.click('#editor .view-lines');
      await page.keyboard.press('Control+s');
      await waitText(page, '#revision', /^2$/);
      await status(page, /Saved revision 2/);

      // The stale tab's save is refused and shown; its text stays.
      await stale.click('#editor .view-lines');
      await stale.keyboard.press('Control+End');
      await stale.keyboard.type('\n# from the stale tab');
      await stale.click('#save');
      await stale.waitForSelector('#conflict', { timeout: 15_000 });
      await waitText(stale, '#conflict-revision', /^2$/);
      const staleText = await stale.evaluate(() => window.monaco.editor.getEditors()
        .find((e) => e.getContainerDomNode().closest('#editor')).getValue());
      assert(staleText.includes('# from the stale tab'), 'the stale tab keeps its text');
      await shot(stale, 'save-conflict.png');
      await stale.close();

      // Publish.
      await page.click('#publish');
      const published = await status(page, /Published sha256:[0-9a-f]{64}/);
      const candidate = /sha256:[0-9a-f]{64}/.exec(published)[0];

      // Co-authors: besides the author, only the users listed here may save or publish it.
      await page.fill('#coauthors-input', 'admin');
      await page.click('#set-coauthors');
      await status(page, /Co-authors: admin\./);
      await waitText(page, '#coauthor-list', /^admin$/);
      await page.locator('#coauthors').scrollIntoViewIfNeeded();
      await shot(page, 'draft-coauthors.png');

      // Pack page: the approver picker shows the pack's rule (not editable by the requester)
      // and offers only additions; then shadow.
      await openPack(page, server.url);
      await page.selectOption('#approval-digest', candidate);
      const required = await page.locator('#required-groups .required-group').evaluateAll((els) => els.map((e) => e.dataset.group));
      assert(JSON.stringify(required) === JSON.stringify(['Platform Security', 'Repository Owners']), `required groups: ${required}`);
      assert((await page.locator('input.approver-group[value="Platform Security"]').count()) === 0, 'a required group cannot be unticked');
      await page.selectOption('#approval-kind', 'rollback');
      await waitText(page, '#required-groups', /^Platform Security — 1 approver$/);
      await page.selectOption('#approval-kind', 'promotion');
      await page.click('#request-approval');
      await status(page, /Approval request \d+ opened for Platform Security, Repository Owners\./);
      await page.click(`#versions tr[data-digest="${candidate}"] .start-shadow`);
      await status(page, /Shadow started/);
      await page.waitForSelector('#shadow-observations', { timeout: 15_000 });
      const before = Number(await page.textContent('#shadow-observations'));

      // Decisions go to /v1/decisions; the counters move.
      const inputs = [
        { action_type: 'read_file', target: '.env', requested_operation: 'read' },
        { action_type: 'execute_command', target: 'terraform plan', requested_operation: 'terraform plan' },
        { action_type: 'execute_command', target: 'pytest -q', requested_operation: 'pytest -q' },
      ];
      for (const input of inputs) {
        const response = await fetch(`${server.url}/v1/decisions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
          body: JSON.stringify({ schema_version: 'cavra.opa-rego-policy.input.v1', ...input }),
        });
        assert(response.ok, `decision answered: ${response.status}`);
      }
      await page.waitForFunction((n) => Number(document.querySelector('#shadow-observations')?.textContent) >= n, before + 3, { timeout: 15_000 });
      await page.waitForFunction(() => Number(document.querySelector('#shadow-divergences')?.textContent) >= 1, null, { timeout: 15_000 });
      await page.waitForTimeout(1_200);
      await page.locator('#shadow').scrollIntoViewIfNeeded();
      await shot(page, 'shadow.png');

      // The diff viewer replays the recorded decisions through the candidate, on the server.
      await page.locator('#replay').scrollIntoViewIfNeeded();
      await page.click('#replay-run');
      await waitText(page, '#replay-summary', /^[1-9]\d* decisions replayed: [1-9]\d* change outcome/);
      await waitText(page, '.replay-flips', /allow_to_require_approval/);
      await shot(page, 'replay.png');

      // The author has no sign-off controls and cannot waive divergences.
      assert((await page.locator('.approval .signoff-approve').count()) === 0, 'no sign-off controls for the author');
      assert((await page.locator('#acknowledge').count()) === 0, 'no acknowledge button for the author');

      // The approver, in another browser context, acknowledges the divergences, then rejects.
      const approver = await signIn(browser, server.url, 'security');
      contexts.push(approver.context);
      await openPack(approver.page, server.url);
      await approver.page.click('#acknowledge');
      await status(approver.page, /Acknowledged; 0 unacknowledged/);
      // A fresh page: the acknowledgement reloads the panels, which would drop a half-typed comment.
      await openPack(approver.page, server.url);
      let card = approver.page.locator('.approval', { hasText: candidate }).first();
      await card.locator('.what-you-sign').waitFor({ timeout: 15_000 });
      await card.locator('.signoff-comment').fill('pytest needs a ticket reference first.');
      await card.locator('.signoff-reject').click();
      await status(approver.page, /Signed \(reject\)/);

      // A rejected digest is blocked: the author sees why, and asking again does not clear it.
      await openPack(page, server.url);
      await page.waitForSelector('.approval .rejected-banner', { timeout: 15_000 });
      await page.selectOption('#approval-digest', candidate);
      await page.click('#request-approval');
      await status(page, /Approval request \d+ opened/);
      await waitText(page, '#gate-ready', /^not ready$/);
      await waitText(page, '#gate', /rejected/);
      await page.locator('#gate').scrollIntoViewIfNeeded();
      await shot(page, 'gate-rejected.png');

      // The approver withdraws the rejection (resolved in review) and approves.
      await openPack(approver.page, server.url);
      card = approver.page.locator('.approval', { hasText: candidate }).last();
      await card.locator('.signoff-withdraw').first().click();
      await status(approver.page, /withdrawn/);
      await openPack(approver.page, server.url);
      card = approver.page.locator('.approval', { hasText: candidate }).first();
      await card.locator('.what-you-sign').waitFor({ timeout: 15_000 });
      await card.locator('.signoff-comment').fill('Reviewed the diff, dry run and shadow results.');
      await shot(approver.page, 'approver.png');
      await card.locator('.signoff-approve').click();
      await status(approver.page, /Signed \(approve\)/);

      // The repository owner signs the same request for their group.
      const owner = await signIn(browser, server.url, 'owner');
      contexts.push(owner.context);
      await openPack(owner.page, server.url);
      const ownerCard = owner.page.locator('.approval', { hasText: candidate }).first();
      await ownerCard.locator('.what-you-sign').waitFor({ timeout: 15_000 });
      await ownerCard.locator('.signoff-approve').click();
      await status(owner.page, /Signed \(approve\)/);

      // Promotion.
      await openPack(page, server.url);
      await waitText(page, '#gate-ready', /^ready$/);
      await page.locator('#gate').scrollIntoViewIfNeeded();
      await shot(page, 'gate.png');
      await page.click('#promote');
      await status(page, /Promoted sha256/);
      await waitText(page, '#enforced-digest', new RegExp(`^${candidate}$`));

      // Rollback to the previous version: approval-gated.
      await page.check(`input[name="rollback-target"][value="${knownGood}"]`);
      await page.fill('#rollback-reason', 'pytest runs need approval again');
      await page.click('#request-rollback');
      await status(page, /Rollback approval request \d+ opened/);
      await openPack(approver.page, server.url);
      const rollbackCard = approver.page.locator('.approval', { hasText: 'rollback' }).first();
      await rollbackCard.locator('.signoff-approve').click();
      await status(approver.page, /Signed \(approve\)/);
      await openPack(page, server.url);
      await page.check(`input[name="rollback-target"][value="${knownGood}"]`);
      await page.fill('#rollback-reason', 'pytest runs need approval again');
      await page.locator('#rollback-picker').scrollIntoViewIfNeeded();
      await shot(page, 'rollback.png');
      await page.click('#rollback');
      await status(page, /Rolled back to sha256/);
      await waitText(page, '#enforced-digest', new RegExp(`^${knownGood}$`));

      // Evidence: download the promotion packet and validate it with the CLI.
      await page.locator('#evidence').scrollIntoViewIfNeeded();
      await shot(page, 'evidence.png');
      const [download] = await Promise.all([
        page.waitForEvent('download', { timeout: 15_000 }),
        page.locator('#evidence-list tr[data-event="promotion"] a.evidence-download').first().click(),
      ]);
      const file = join(ARTIFACTS, 'promotion-packet.json');
      await download.saveAs(file);
      let output;
      try {
        output = execFileSync(BIN, ['policy', 'lifecycle-readiness', file, '--require-live'], { encoding: 'utf8', env: { ...process.env, RUST_LOG: 'off' } });
      } catch (error) {
        throw new Error(`lifecycle-readiness refused the packet (exit ${error.status}): ${error.stdout}${error.stderr}`);
      }
      console.log(`     lifecycle-readiness --require-live: ${output.trim().split('\n')[0]}`);

      // After the rollback the candidate's approvals are spent: not ready. Only an admin can
      // break glass, with a reason, on the record.
      assert((await page.locator('#break-glass').count()) === 0, 'no break-glass for an author');
      const admin = await signIn(browser, server.url, 'admin');
      contexts.push(admin.context);
      await openPack(admin.page, server.url);
      await waitText(admin.page, '#gate-ready', /^not ready$/);
      await admin.page.locator('#break-glass summary').click();
      await admin.page.fill('#break-glass-reason', 'sev1: pytest runs must be gated again now');
      await admin.page.locator('#break-glass').scrollIntoViewIfNeeded();
      await shot(admin.page, 'break-glass.png');
      await admin.page.click('#break-glass-promote');
      await status(admin.page, /Break-glass: enforced sha256:[0-9a-f]{64}/);
      for (const p of [page, approver.page]) {
        assert(p.errors.length === 0, `no page errors: ${p.errors.join('; ')}`);
      }
    } catch (error) {
      for (const context of contexts) {
        for (const p of context.pages()) {
          if (p.errors?.length) console.log(`     page errors: ${p.errors.join(' | ').slice(0, 1500)}`);
        }
      }
      throw error;
    } finally {
      for (const context of contexts) await context.close();
      await server.stop();
    }
  },
};
