// Run by hand (not part of the Maven build): the real Elastic RUM agent, in Debian's headless
// Chromium, sends through the example intake server from another origin with anonymous access on.
//
//   apt-get install -y chromium && npm ci && node run.mjs [--no-build] [--only NAME] [--keep]
//
// Each scenario starts the server with its own settings (plain HTTP on 127.0.0.1, a secret token so
// that anonymous access means something, RUM on) and a fresh browser profile, so no preflight answer
// is cached from one scenario to the next. Requests are watched through the DevTools protocol, which
// also reports CORS preflights and the browser's CORS verdicts; nothing is intercepted or rewritten
// (Playwright's request routing would answer preflights itself). Exit code 0 only when every
// scenario's assertions hold.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, openSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, inflateSync } from 'node:zlib';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..', '..');
const module = resolve(here, '..');
const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
const option = (name) => argv.includes(name);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : null;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SERVICE = 'browser-test';

/**
 * What each scenario sets and expects: 'accepted' (everything gets through), 'refused' (the origin is
 * not allowed: the browser blocks), 'denied' (the server refuses the events and the page can read why).
 */
const SCENARIOS = [
  { name: 'default-origins', api: 2, expect: 'accepted',
    about: 'apm-server.rum.allow_origins not set (default ["*"]), intake API v2' },
  { name: 'glob-origins-v3', api: 3, expect: 'accepted', rum: { allow_origins: ['http://shop.example', 'http://127.0.0.1:*'] },
    about: 'allow_origins ["http://shop.example", "http://127.0.0.1:*"] (a glob matches the page), intake API v3' },
  { name: 'allow-headers', api: 2, expect: 'accepted', header: 'X-Shop-Tenant', rum: { allow_headers: ['X-Shop-Tenant'] },
    about: 'the page adds a header X-Shop-Tenant to every agent request (apmRequest), allow_headers ["X-Shop-Tenant"]' },
  { name: 'refused-origin', api: 2, expect: 'refused', rum: { allow_origins: ['http://shop.example', 'https://*.shop.example'] },
    about: 'allow_origins ["http://shop.example", "https://*.shop.example"] (nothing matches the page)' },
  { name: 'denied-service', api: 2, expect: 'denied', anonymous: { allow_service: ['shop-frontend'] },
    status: 403, reason: `unauthorized: anonymous access not permitted for service \\"${SERVICE}\\"`,
    about: 'allowed origin, but apm-server.auth.anonymous.allow_service ["shop-frontend"] excludes the page\'s service' },
  { name: 'rate-limited', api: 2, expect: 'denied', anonymous: { 'rate_limit.event_limit': 1 },
    status: 429, reason: 'too many requests: rate limit exceeded',
    about: 'allowed origin, but apm-server.auth.anonymous.rate_limit.event_limit 1 (burst 3) is below one batch' },
];

// ---------------------------------------------------------------------------------------------

function log(...a) {
  console.log(...a);
}

async function freePort() {
  return new Promise((ok, fail) => {
    const s = createNetServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

function run(cmd, args, opts) {
  return new Promise((ok, fail) => {
    const p = spawn(cmd, args, { stdio: 'inherit', ...opts });
    p.on('error', fail);
    p.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`${cmd} ${args.join(' ')} exited ${code}`))));
  });
}

async function build() {
  log('Building the example server (./mvnw -q -pl examples/intake-server -am package -DskipTests) ...');
  await run(join(root, 'mvnw'), ['-q', '-pl', 'examples/intake-server', '-am', 'package', '-DskipTests',
    'dependency:build-classpath', '-DincludeScope=runtime', '-Dmdep.outputFile=target/runtime-classpath.txt'], { cwd: root });
}

function classpath() {
  const file = join(module, 'target', 'runtime-classpath.txt');
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run without --no-build first`);
  }
  return [join(module, 'target', 'classes'), readFileSync(file, 'utf8').trim()].join(':');
}

/** The page's origin: a static server on another port that serves the page and the agent's bundle. */
async function startPageServer() {
  const bundle = require.resolve('@elastic/apm-rum/dist/bundles/elastic-apm-rum.umd.js');
  const page = readFileSync(join(here, 'page.html'));
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(page);
    } else if (path === '/elastic-apm-rum.umd.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store' });
      createReadStream(bundle).pipe(res);
    } else if (path === '/favicon.ico') {
      res.writeHead(204);
      res.end();
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

/** Starts the example server; resolves when it prints its address, rejects with its error line. */
async function startIntakeServer(dir, scenario, token) {
  const port = await freePort();
  const list = (values) => `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;
  const lines = ['apm-server:', `  host: "127.0.0.1:${port}"`, '  rum:', '    enabled: true'];
  const value = (v) => (Array.isArray(v) ? list(v) : JSON.stringify(v));
  for (const [key, v] of Object.entries(scenario.rum || {})) {
    lines.push(`    ${key}: ${value(v)}`);
  }
  if (scenario.anonymous) {
    lines.push('  auth:', '    anonymous:');
    for (const [key, v] of Object.entries(scenario.anonymous)) {
      lines.push(`      ${key}: ${value(v)}`);
    }
  }
  // The secret token comes from the environment; plain-HTTP credentials are allowed only so that this
  // script can read the server's counter on loopback with it.
  lines.push('intake-auth:', '  allow_plain_http_credentials: true', '');
  const config = join(dir, `${scenario.name}.yml`);
  writeFileSync(config, lines.join('\n'));
  const logFile = join(dir, `${scenario.name}.server.log`);
  const server = spawn('java', ['-Dorg.slf4j.simpleLogger.defaultLogLevel=info', '-cp', classpath(),
    'dev.intakeauth.examples.intake.IntakeServer', '--config', config], {
    env: { ...process.env, APM_SERVER_AUTH_SECRET_TOKEN: token },
    stdio: ['ignore', 'pipe', openSync(logFile, 'w')],
  });
  const url = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error('the server did not start within 60 s')), 60_000);
    server.stdout.on('data', (d) => {
      out += d;
      const m = /intake-server listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    server.on('exit', (code) => {
      clearTimeout(timer);
      const err = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.startsWith('Error:')).join(' ');
      fail(new Error(`the server exited (${code}) before listening: ${err || out.trim() || 'see ' + logFile}`));
    });
  });
  return { server, url, config, logFile, yaml: lines.join('\n') };
}

async function stop(child) {
  if (child.exitCode !== null) {
    return;
  }
  const gone = new Promise((ok) => child.once('exit', ok));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(timer);
}

async function acceptedEvents(serverUrl, token) {
  const res = await fetch(`${serverUrl}/`, { headers: { Authorization: `Bearer ${token}` } });
  if (res.status !== 200) {
    throw new Error(`GET / with the secret token: ${res.status}`);
  }
  return (await res.json()).accepted_events;
}

// ---------------------------------------------------------------------------------------------

/** Every request the page made to the intake server, as the DevTools protocol reports it. */
class NetworkLog {
  constructor(serverUrl) {
    this.serverUrl = serverUrl;
    this.byId = new Map();
    this.lastEvent = Date.now();
  }

  attach(cdp) {
    const mine = (url) => url && url.startsWith(this.serverUrl);
    // The ...ExtraInfo events (the headers as sent and received on the wire) may come before or after
    // the event they complete, and come even for responses that CORS then hides from the page.
    const extra = new Map();
    const withEntry = (id, fn) => {
      const r = this.byId.get(id);
      if (r) {
        fn(r);
      } else {
        extra.set(id, [...(extra.get(id) || []), fn]);
      }
    };
    cdp.on('Network.requestWillBeSent', (e) => {
      if (!mine(e.request.url) || this.byId.has(e.requestId)) {
        return;
      }
      this.lastEvent = Date.now();
      const r = {
        id: e.requestId, type: e.type, initiator: e.initiator?.type, initiatorRequestId: e.initiator?.requestId, method: e.request.method, url: e.request.url,
        requestHeaders: lower(e.request.headers), postDataEntries: e.request.postDataEntries, hasPostData: e.request.hasPostData,
        status: null, responseHeaders: null, wireStatus: null, wireResponseHeaders: null, finished: false, failed: null,
      };
      this.byId.set(e.requestId, r);
      for (const fn of extra.get(e.requestId) || []) {
        fn(r);
      }
      extra.delete(e.requestId);
    });
    cdp.on('Network.requestWillBeSentExtraInfo', (e) => withEntry(e.requestId, (r) => {
      r.requestHeaders = { ...r.requestHeaders, ...lower(e.headers) };
    }));
    cdp.on('Network.responseReceivedExtraInfo', (e) => withEntry(e.requestId, (r) => {
      r.wireStatus = e.statusCode;
      r.wireResponseHeaders = lower(e.headers);
    }));
    cdp.on('Network.responseReceived', (e) => withEntry(e.requestId, (r) => {
      this.lastEvent = Date.now();
      r.status = e.response.status;
      r.responseHeaders = lower(e.response.headers);
    }));
    cdp.on('Network.loadingFinished', (e) => withEntry(e.requestId, (r) => {
      this.lastEvent = Date.now();
      r.finished = true;
    }));
    cdp.on('Network.loadingFailed', (e) => withEntry(e.requestId, (r) => {
      this.lastEvent = Date.now();
      r.failed = { errorText: e.errorText, blockedReason: e.blockedReason, cors: e.corsErrorStatus };
    }));
  }

  all() {
    return [...this.byId.values()];
  }

  pending() {
    return this.all().filter((r) => !r.finished && !r.failed);
  }
}

function lower(headers) {
  const out = {};
  for (const [k, v] of Object.entries(headers || {})) {
    out[k.toLowerCase()] = v;
  }
  return out;
}

/** Preflights carry the request's own id plus a suffix, or name it as their initiator. */
function isPreflight(r) {
  return r.type === 'Preflight' || r.initiator === 'preflight' || (r.method === 'OPTIONS' && 'access-control-request-method' in r.requestHeaders);
}

async function postBody(cdp, r) {
  if (r.postDataEntries && r.postDataEntries.every((e) => e.bytes !== undefined)) {
    return Buffer.concat(r.postDataEntries.map((e) => Buffer.from(e.bytes, 'base64')));
  }
  try {
    const { postData, base64Encoded } = await cdp.send('Network.getRequestPostData', { requestId: r.id });
    return Buffer.from(postData, base64Encoded ? 'base64' : 'latin1');
  } catch {
    return null;
  }
}

function decode(body, encoding) {
  if (encoding === 'gzip') {
    return gunzipSync(body);
  }
  if (encoding === 'deflate') {
    return inflateSync(body);
  }
  return body;
}

/** The NDJSON lines of one intake request, by kind (v2 names, with v3's short names mapped). */
function eventsOf(text) {
  const short = { m: 'metadata', x: 'transaction', y: 'span', e: 'error', me: 'metricset' };
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) {
      continue;
    }
    const obj = JSON.parse(line);
    const kind = Object.keys(obj)[0];
    const body = obj[kind];
    const k = short[kind] || kind;
    const v3 = kind in short;
    const e = { kind: k };
    if (k === 'transaction') {
      e.name = v3 ? body.n : body.name;
      e.type = v3 ? body.t : body.type;
      e.spans = v3 ? (body.y || []).length : undefined;
    } else if (k === 'error') {
      e.message = v3 ? body.ex?.mg : body.exception?.message;
    } else if (k === 'span') {
      e.name = body.name;
    }
    out.push(e);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

async function runScenario(scenario, page0, dir, token, versions) {
  const result = { scenario: scenario.name, about: scenario.about, checks: [], requests: [], console: [], events: [] };
  const check = (ok, what) => {
    result.checks.push({ ok: !!ok, what });
    log(`  ${ok ? 'PASS' : 'FAIL'}  ${what}`);
  };
  log(`\n== ${scenario.name}: ${scenario.about}`);
  let server;
  try {
    server = await startIntakeServer(dir, scenario, token);
  } catch (e) {
    check(false, `server starts with these settings (${e.message})`);
    return result;
  }
  const profile = mkdtempSync(join(dir, `profile-${scenario.name}-`));
  let context;
  try {
    log(`  server ${server.url}, page ${page0.origin}`);
    // Anonymous access is meaningful: without a credential the backend-only route is refused.
    const probe = await fetch(`${server.url}/intake/v2/events`, { method: 'POST', headers: { 'Content-Type': 'application/x-ndjson' }, body: '' });
    check(probe.status === 401, `without a credential POST /intake/v2/events (not a RUM route) is refused: ${probe.status}`);
    const before = await acceptedEvents(server.url, token);

    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    versions.chromium = context.browser()?.version() || versions.chromium;
    const page = context.pages()[0] || (await context.newPage());
    const cdp = await context.newCDPSession(page);
    const network = new NetworkLog(server.url);
    network.attach(cdp);
    await cdp.send('Network.enable', { maxPostDataSize: 1 << 20 });
    page.on('console', (m) => result.console.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => result.console.push(`pageerror: ${e.message}`));
    // Playwright's own view, for the record: it does not report preflights.
    page.on('response', (r) => r.url().startsWith(server.url) && result.console.push(`[playwright] response ${r.request().method()} ${r.url()} ${r.status()}`));
    page.on('requestfailed', (r) => r.url().startsWith(server.url) && result.console.push(`[playwright] requestfailed ${r.method()} ${r.url()} ${r.failure()?.errorText}`));

    const query = new URLSearchParams({ server: server.url, api: String(scenario.api), ...(scenario.header ? { header: scenario.header } : {}) });
    await page.goto(`${page0.origin}/?${query}`, { waitUntil: 'load' });
    versions.agent = await page.evaluate(() => window.elasticApm && window.elasticApm.serviceFactory && window.elasticApm.serviceFactory.getService('ConfigService').version);
    try {
      await page.waitForFunction(() => window.__test.sent, null, { timeout: 30_000 });
    } catch {
      check(false, 'the page-load transaction ends and the page sends the custom transaction and the error within 30 s');
    }
    // The agent flushes its queue every 500 ms: wait until the network has been quiet for 2 s.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (network.pending().length > 0 || Date.now() - network.lastEvent < 2_000)) {
      await new Promise((ok) => setTimeout(ok, 100));
    }
    const after = await acceptedEvents(server.url, token);
    const delta = after - before;

    // In the order the page made them, each preflight just before the request it was made for.
    const seen = network.all();
    const all = [];
    for (const r of seen.filter((x) => !isPreflight(x))) {
      all.push(...seen.filter((p) => isPreflight(p) && p.initiatorRequestId === r.id), r);
    }
    all.push(...seen.filter((x) => !all.includes(x)));
    const preflights = all.filter(isPreflight);
    const config = all.filter((r) => !isPreflight(r) && r.url.includes('/config/v1/rum/agents'));
    const intakePath = `/intake/v${scenario.api}/rum/events`;
    const posts = all.filter((r) => !isPreflight(r) && r.method === 'POST' && r.url.includes(intakePath));
    const others = all.filter((r) => !preflights.includes(r) && !config.includes(r) && !posts.includes(r));

    // What was sent, decoded, for the counts.
    let sentEvents = 0;
    let bodiesRead = true;
    for (const r of posts) {
      const raw = await postBody(cdp, r);
      if (!raw) {
        bodiesRead = false;
        continue;
      }
      r.bodyBytes = raw.length;
      const events = eventsOf(decode(raw, r.requestHeaders['content-encoding']).toString('utf8'));
      r.events = events.filter((e) => e.kind !== 'metadata');
      if (r.status === 202) {
        sentEvents += r.events.length;
      }
      result.events.push(...r.events);
    }

    for (const r of all) {
      result.requests.push({
        kind: isPreflight(r) ? 'preflight' : r.method, url: r.url.slice(server.url.length), status: r.status, wireStatus: r.wireStatus,
        origin: r.requestHeaders.origin, contentEncoding: r.requestHeaders['content-encoding'],
        acrm: r.requestHeaders['access-control-request-method'], acrh: r.requestHeaders['access-control-request-headers'],
        acao: r.responseHeaders?.['access-control-allow-origin'], responseHeaders: r.responseHeaders || r.wireResponseHeaders,
        failed: r.failed, events: r.events?.map((e) => e.kind + (e.type ? `(${e.type})` : '')).join(', '),
      });
      log(`  ${(isPreflight(r) ? 'OPTIONS (preflight)' : r.method).padEnd(19)} ${r.url.slice(server.url.length).padEnd(48)} ${String(r.status ?? '-').padEnd(4)}`
        + (r.status === null && r.wireStatus !== null ? ` (the server answered ${r.wireStatus}, hidden from the page)` : '')
        + ` ACAO=${r.responseHeaders?.['access-control-allow-origin'] ?? '-'}`
        + (r.requestHeaders['content-encoding'] ? ` Content-Encoding=${r.requestHeaders['content-encoding']}` : '')
        + (r.events ? ` events=[${r.events.map((e) => e.kind + (e.type ? `(${e.type})` : '')).join(', ')}]` : '')
        + (r.failed ? ` FAILED ${r.failed.errorText}${r.failed.cors ? ' cors=' + r.failed.cors.corsError : ''}${r.failed.blockedReason ? ' blocked=' + r.failed.blockedReason : ''}` : ''));
    }
    result.accepted = { before, after, delta, sentInAccepted: sentEvents, bodiesRead };
    log(`  server accepted_events: ${before} -> ${after} (+${delta}); event lines in the requests answered 202: ${sentEvents}`);

    const origin = page0.origin;
    if (scenario.expect === 'accepted') {
      check(config.length >= 1 && config.every((r) => r.status === 200 && !r.failed && r.responseHeaders['access-control-allow-origin'] === origin),
        `central config GET /config/v1/rum/agents: 200 with Access-Control-Allow-Origin ${origin}, not blocked (${config.map((r) => r.status ?? r.failed?.cors?.corsError ?? r.failed?.errorText).join(', ') || 'not seen'})`);
      check(config.length >= 1 && config.every((r) => (r.responseHeaders?.['access-control-expose-headers'] || '').toLowerCase().split(/\s*,\s*/).includes('etag')),
        `the central config answer lets the agent read its Etag (Access-Control-Expose-Headers: ${config.map((r) => r.responseHeaders?.['access-control-expose-headers'] ?? 'absent').join(', ')})`);
      check(posts.length >= 1 && preflights.length >= 1, `preflights seen before the event POSTs (${preflights.length} preflight(s), ${posts.length} POST(s))`);
      for (const p of preflights) {
        const h = p.responseHeaders || {};
        const list = (v) => (v || '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
        check(p.status === 200 && !p.failed, `preflight ${p.url.slice(server.url.length)}: 200 (${p.status ?? p.failed?.cors?.corsError ?? p.failed?.errorText})`);
        check(h['access-control-allow-origin'] === origin, `preflight echoes Access-Control-Allow-Origin ${origin} (${h['access-control-allow-origin'] ?? 'absent'})`);
        check(list(h['access-control-allow-methods']).includes('post'), `preflight Access-Control-Allow-Methods includes POST (${h['access-control-allow-methods'] ?? 'absent'})`);
        const asked = list(p.requestHeaders['access-control-request-headers']);
        const allowed = list(h['access-control-allow-headers']);
        check(asked.length > 0 && asked.every((a) => allowed.includes(a)),
          `preflight allows the requested headers [${asked.join(', ')}] (Access-Control-Allow-Headers: ${h['access-control-allow-headers'] ?? 'absent'})`);
        check(h['access-control-max-age'] === '3600', `preflight Access-Control-Max-Age 3600 (${h['access-control-max-age'] ?? 'absent'})`);
        check(list(h.vary).includes('origin'), `preflight Vary includes Origin (${h.vary ?? 'absent'})`);
        check(list(h['access-control-expose-headers']).includes('etag'), `preflight Access-Control-Expose-Headers includes Etag (${h['access-control-expose-headers'] ?? 'absent'})`);
      }
      check(posts.length >= 1 && posts.every((r) => r.status === 202 && !r.failed && r.responseHeaders['access-control-allow-origin'] === origin),
        `every event POST ${intakePath}: 202 with Access-Control-Allow-Origin ${origin} (${posts.map((r) => r.status ?? r.failed?.cors?.corsError ?? r.failed?.errorText).join(', ') || 'none seen'})`);
      check(posts.some((r) => r.requestHeaders['content-encoding'] === 'gzip'), 'the agent sent gzip-compressed batches (Content-Encoding: gzip), which the server read');
      check(bodiesRead, 'every POST body could be read back from the browser for counting');
      check(result.events.some((e) => e.kind === 'transaction' && e.type === 'page-load'), 'a page-load transaction was sent');
      check(result.events.some((e) => e.kind === 'transaction' && e.name === 'browser-test custom'), 'the custom transaction "browser-test custom" was sent');
      check(result.events.some((e) => e.kind === 'error' && e.message === 'browser-test error'), 'the error "browser-test error" was sent');
      check(delta === sentEvents && delta >= 3, `the server counted exactly the events of the accepted requests: +${delta} = ${sentEvents}`);
      check(others.length === 0, `no other request to the server (${others.map((r) => r.method + ' ' + r.url).join(', ') || 'none'})`);
      const failures = result.console.filter((l) => /Failed sending events|failed fetching config/i.test(l));
      check(failures.length === 0, `the agent logged no send or config failure${failures.length ? ': ' + failures.map((f) => f.split('\n')[0]).join(' | ') : ''}`);
    } else if (scenario.expect === 'denied') {
      // The origin is allowed, so the page can read the server's refusal: the agent sees 403 with
      // its reason, not an opaque network error.
      check(preflights.length >= 1 && preflights.every((p) => p.status === 200 && p.responseHeaders?.['access-control-allow-origin'] === origin),
        `preflights: 200 with Access-Control-Allow-Origin ${origin} (${preflights.map((p) => `${p.status} ${p.responseHeaders?.['access-control-allow-origin'] ?? 'no ACAO'}`).join(', ') || 'none seen'})`);
      check(posts.length >= 1 && posts.every((r) => r.status === scenario.status && !r.failed && r.responseHeaders['access-control-allow-origin'] === origin),
        `every event POST: ${scenario.status} with Access-Control-Allow-Origin ${origin}, readable by the page (${posts.map((r) => r.status ?? r.failed?.cors?.corsError ?? r.failed?.errorText).join(', ') || 'none seen'})`);
      const bodies = [];
      for (const r of posts) {
        try {
          const { body, base64Encoded } = await cdp.send('Network.getResponseBody', { requestId: r.id });
          bodies.push(base64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body);
        } catch (e) {
          bodies.push(`(no body: ${e.message})`);
        }
      }
      result.deniedBodies = bodies;
      check(bodies.length >= 1 && bodies.every((b) => b.includes(scenario.reason)), `the page received the reason ${scenario.reason} (${bodies.join(' | ')})`);
      check(result.console.some((l) => new RegExp(`Failed sending events.*HTTP status: ${scenario.status}`).test(l)),
        `the agent logged "Failed sending events! ... HTTP status: ${scenario.status}"`);
      check(delta === 0, `the server accepted no event: +${delta}`);
    } else {
      // APM Server's rules: a preflight from an origin not allowed is answered without
      // Access-Control-Allow-Origin (so the browser never sends the request), and any other request
      // from it gets 403 "origin: '<origin>' is not allowed".
      check(preflights.length >= 1 && preflights.every((p) => !(p.responseHeaders || p.wireResponseHeaders || {})['access-control-allow-origin']),
        `the browser's preflights got no Access-Control-Allow-Origin (status ${preflights.map((p) => p.status ?? p.wireStatus ?? p.failed?.errorText).join(', ') || 'none seen'})`);
      check(posts.length >= 1 && posts.every((r) => r.failed && r.status === null && r.wireStatus === null),
        `every event POST was blocked by the browser before it was sent (${posts.map((r) => r.failed?.cors?.corsError ?? r.failed?.errorText ?? r.status).join(', ') || 'none seen'})`);
      check(config.length >= 1 && config.every((r) => r.failed && r.status === null && r.wireStatus === 403),
        `the central config GET reached the server, got 403 and was hidden from the page (${config.map((r) => `${r.wireStatus ?? '-'} ${r.failed?.cors?.corsError ?? r.failed?.errorText ?? ''}`).join(', ') || 'not seen'})`);
      const refusal = await fetch(`${server.url}${intakePath}`, { method: 'POST', headers: { Origin: origin, 'Content-Type': 'application/x-ndjson' }, body: '' });
      const refusalText = await refusal.text();
      result.refusal = { status: refusal.status, body: refusalText };
      log(`  (outside the browser) POST ${intakePath} with Origin ${origin}: ${refusal.status} ${refusalText}`);
      check(refusal.status === 403 && refusalText.includes(`origin: '${origin}' is not allowed`),
        `the server answers the page's origin 403 "origin: '${origin}' is not allowed" (${refusal.status} ${refusalText})`);
      check(delta === 0, `the server accepted no event: +${delta}`);
      check(result.console.some((l) => /Failed sending events/.test(l)), 'the agent logged that it failed sending events');
    }
  } catch (e) {
    check(false, `scenario ran to the end (${e.stack || e})`);
  } finally {
    if (context) {
      await context.close().catch(() => {});
    }
    await stop(server.server);
    result.serverLog = readFileSync(server.logFile, 'utf8').split('\n').filter((l) => l && !/settings:/.test(l)).slice(-20);
    if (!option('--keep')) {
      rmSync(profile, { recursive: true, force: true });
    }
  }
  return result;
}

let chromium;

async function main() {
  try {
    require.resolve('@elastic/apm-rum/package.json');
    ({ chromium } = await import('playwright-core'));
  } catch {
    throw new Error(`the npm packages are missing: run "npm ci" in ${here}`);
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (or set CHROMIUM)`);
  }
  if (!option('--no-build')) {
    await build();
  }
  const dir = mkdtempSync(join(tmpdir(), 'intake-browser-test-'));
  const token = randomBytes(24).toString('base64url');
  const page = await startPageServer();
  const versions = {
    agentPackage: JSON.parse(readFileSync(require.resolve('@elastic/apm-rum/package.json'), 'utf8')).version,
    playwright: JSON.parse(readFileSync(require.resolve('playwright-core/package.json'), 'utf8')).version,
    node: process.version,
  };
  const results = [];
  try {
    for (const s of SCENARIOS) {
      if (!only || only === s.name) {
        results.push(await runScenario(s, page, dir, token, versions));
      }
    }
  } finally {
    page.server.close();
  }
  const failed = results.flatMap((r) => r.checks.filter((c) => !c.ok).map((c) => `${r.scenario}: ${c.what}`));
  const passed = results.reduce((n, r) => n + r.checks.filter((c) => c.ok).length, 0);
  const keep = option('--keep') || failed.length > 0;
  log(`\nChromium ${versions.chromium}, @elastic/apm-rum ${versions.agentPackage} (agent ${versions.agent}), playwright-core ${versions.playwright}, Node ${versions.node}`);
  if (keep) {
    writeFileSync(join(dir, 'results.json'), JSON.stringify({ versions, results }, null, 2));
    log(`Details (requests, headers, agent console, server logs): ${join(dir, 'results.json')}`);
  }
  for (const f of failed) {
    log(`FAILED  ${f}`);
  }
  log(`${passed} passed, ${failed.length} failed`);
  if (!keep) {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exitCode = failed.length === 0 && results.length > 0 ? 0 : 1;
}

main().catch((e) => {
  console.error(`Error: ${e.message}`);
  process.exitCode = 2;
});
