// What the browser tests share: Debian's headless Chromium, a real
// `careerbot serve` on a loopback port, named checks that print one line each,
// a watch on every request the page makes, and the run's end (screenshot on
// failure, clean-up, "N passed, N failed", exit status).
//
// A test calls run(name, main) once; main receives nothing and uses the
// exports below. The checks build on each other, so the first failure ends
// the run.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// Without the networking flags Chromium keeps dialing out (and failing) here.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TEST_TIMEOUT_MS = 180_000;

let passed = 0;
let failed = 0;
const cleanups = [];

export function log(line) {
  process.stdout.write(line + '\n');
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class StopRun extends Error {}

// Runs one named check; the first failure ends the run.
export async function check(name, fn) {
  try {
    await fn();
    passed++;
    log(`ok - ${name}`);
  } catch (e) {
    failed++;
    log(`not ok - ${name}\n  ${String(e && e.stack ? e.stack : e).split('\n').join('\n  ')}`);
    throw new StopRun();
  }
}

// The command line every browser test takes: PATH/TO/careerbot [ARTIFACTS_DIR]
// (ARTIFACTS_DIR defaults to artifacts/ beside the binary). Also makes the
// test's temporary directory, removed when the run ends.
export function setup(script) {
  const binary = process.argv[2];
  if (!binary || !fs.existsSync(binary)) {
    console.error(`usage: node ${script} PATH/TO/careerbot [ARTIFACTS_DIR]`);
    process.exit(2);
  }
  const artifacts = path.resolve(process.argv[3] || path.join(path.dirname(binary), 'artifacts'));
  fs.mkdirSync(artifacts, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'careerbot-browser-'));
  cleanups.push(() => fs.rmSync(tmp, { recursive: true, force: true }));
  return { binary, artifacts, tmp };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Starts `careerbot serve` on a free loopback port and waits until /healthz
// answers; retries on another port when the one picked was taken meanwhile.
// The server's output is kept in server.output() (for checks that it logged
// no secret). It is stopped (SIGTERM, then SIGKILL after 5 s) when the run ends.
export async function startServer(binary, dbPath, { env = {}, logLevel = 'warn' } = {}) {
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    let output = '';
    const child = spawn(binary, ['serve', '--host', '127.0.0.1', '--port', String(port), '--db', dbPath,
      '--threads', '8', '--log-level', logLevel], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (d) => {
        output += d;
        process.stderr.write(d);
      });
    }
    let exited = false;
    child.on('exit', () => { exited = true; });
    const deadline = Date.now() + 60_000;
    while (!exited && Date.now() < deadline) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (r.ok) {
          const server = { child, port, base: `http://127.0.0.1:${port}`, output: () => output };
          cleanups.unshift(() => stopServer(server));
          return server;
        }
      } catch (e) {
        // not listening yet
      }
      await sleep(100);
    }
    if (!exited) child.kill('SIGKILL');
  }
  throw new Error('careerbot serve did not come up');
}

// Stops the server (SIGTERM, then SIGKILL after 5 s); once stopped, a no-op.
export function stopServer(server) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.child.kill('SIGKILL'), 5000);
    server.child.once('exit', () => { clearTimeout(timer); resolve(); });
    server.child.kill('SIGTERM');
  });
}

// POST /v1/ask as a program would.
export async function askApi(server, question, conversationId) {
  const body = { question };
  if (conversationId) body.conversation_id = conversationId;
  const r = await fetch(`${server.base}/v1/ask`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return r.json();
}

let failureShot = null;

// Headless Chromium with a fresh profile under `tmp`, and its first page.
// Every request the page makes is recorded in `urls`; those that leave the
// server's own origin in `outside`. Console errors and page errors are
// collected in `consoleErrors`. On a failed run the page's screenshot is
// saved as `failureShot`.
export async function openBrowser(tmp, server, viewport, failureShotPath) {
  const context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport,
  });
  cleanups.unshift(() => context.close().catch(() => {}));
  const page = context.pages()[0] || (await context.newPage());
  failureShot = async () => page.screenshot({ path: failureShotPath }).catch(() => {});
  const urls = [];
  const outside = [];
  context.on('request', (req) => {
    const url = req.url();
    urls.push(url);
    if (url.startsWith('data:') || url === 'about:blank') return;
    const u = new URL(url);
    if (u.hostname !== '127.0.0.1' || u.port !== String(server.port)) outside.push(url);
  });
  const consoleErrors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
  page.on('pageerror', (err) => consoleErrors.push(String(err)));
  return { context, page, urls, outside, consoleErrors };
}

// Runs the test's main function under a watchdog, then cleans up and exits
// with the summary line.
export async function run(main) {
  const watchdog = setTimeout(() => {
    log('not ok - the test did not finish within its time limit');
    process.exit(1);
  }, TEST_TIMEOUT_MS);
  watchdog.unref();
  let exitCode = 0;
  try {
    await main();
  } catch (e) {
    if (!(e instanceof StopRun)) {
      failed++;
      log(`not ok - ${String(e && e.stack ? e.stack : e).split('\n').join('\n  ')}`);
    }
    if (failureShot) await failureShot();
    exitCode = 1;
  } finally {
    for (const cleanup of cleanups) await cleanup();
  }
  log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : exitCode);
}
