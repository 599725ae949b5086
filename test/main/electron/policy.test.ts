/** The Electron shell's rules, without an Electron binary: window options, navigation, IPC senders, save arguments. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { backendArgs, navigationAllowed, nodeCanInstallElectron, parseSaveRequest, secureWebPreferences, senderAllowed } from '../../../src/main/electron/policy.js';
import { pageCsp } from '../../../src/main/server/guard.js';
import { repoRoot } from '../../helpers/paths.js';

const ORIGIN = 'http://127.0.0.1:41234';

describe('Electron shell policy', () => {
  it('window: context isolation, sandbox, no Node anywhere, web security, no webview', () => {
    const w = secureWebPreferences('/app/preload.cjs');
    assert.equal(w.contextIsolation, true);
    assert.equal(w.sandbox, true);
    assert.equal(w.nodeIntegration, false);
    assert.equal(w.nodeIntegrationInSubFrames, false);
    assert.equal(w.nodeIntegrationInWorker, false);
    assert.equal(w.webSecurity, true);
    assert.equal(w.allowRunningInsecureContent, false);
    assert.equal(w.webviewTag, false);
    assert.equal(w.preload, '/app/preload.cjs');
  });

  it('navigation stays on the backend origin', () => {
    assert.equal(navigationAllowed(`${ORIGIN}/`, ORIGIN), true);
    assert.equal(navigationAllowed(`${ORIGIN}/frame`, ORIGIN), true);
    assert.equal(navigationAllowed('http://127.0.0.1:41235/', ORIGIN), false, 'another port');
    assert.equal(navigationAllowed('http://localhost:41234/', ORIGIN), false, 'another host name is another origin');
    assert.equal(navigationAllowed('https://example.com/', ORIGIN), false);
    assert.equal(navigationAllowed('file:///etc/passwd', ORIGIN), false);
    assert.equal(navigationAllowed('javascript:alert(1)', ORIGIN), false);
    assert.equal(navigationAllowed('not a url', ORIGIN), false);
  });

  it('IPC answers only the backend’s top-level page', () => {
    assert.equal(senderAllowed({ url: `${ORIGIN}/`, isMainFrame: true }, ORIGIN), true);
    assert.equal(senderAllowed({ url: `${ORIGIN}/frame`, isMainFrame: false }, ORIGIN), false, 'an HTML output frame');
    assert.equal(senderAllowed({ url: 'https://evil.example/', isMainFrame: true }, ORIGIN), false);
    assert.equal(senderAllowed({ url: 'about:blank', isMainFrame: true }, ORIGIN), false);
    assert.equal(senderAllowed(null, ORIGIN), false);
  });

  it('save requests: a bare file name of a known kind, bounded size', () => {
    assert.deepEqual(parseSaveRequest('fig.svg', '<svg/>', false, 1000), { name: 'fig.svg', data: '<svg/>', base64: false });
    assert.deepEqual(parseSaveRequest('fig.png', 'AAAA', true, 1000), { name: 'fig.png', data: 'AAAA', base64: true });
    assert.match(parseSaveRequest('../x.svg', '', false, 1000) as string, /folder/);
    assert.match(parseSaveRequest('/etc/x.svg', '', false, 1000) as string, /folder/);
    assert.match(parseSaveRequest('.bashrc', '', false, 1000) as string, /folder|cannot/);
    assert.match(parseSaveRequest('run.sh', '', false, 1000) as string, /cannot save \.sh/);
    assert.match(parseSaveRequest('fig.svg', 42, false, 1000) as string, /data/);
    assert.match(parseSaveRequest('fig.svg', 'x'.repeat(2000), false, 1000) as string, /over/);
    assert.match(parseSaveRequest(42, '', false, 1000) as string, /name/);
  });

  it('CSP of the page the window shows: no inline or remote script, sockets only to the backend, no framing', () => {
    const csp = pageCsp(41234);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /connect-src 'self' ws:\/\/127\.0\.0\.1:41234 ws:\/\/localhost:41234(;|$)/);
  });

  it('the backend child is `serve --json --no-open` for the workspace; Electron 45’s installer Node requirement is checked', () => {
    assert.deepEqual(backendArgs('/cli.js', '/ws', undefined, 'cpu'), ['/cli.js', 'serve', '/ws', '--json', '--no-open', '--device', 'cpu']);
    assert.equal(nodeCanInstallElectron('v20.20.2'), false);
    assert.equal(nodeCanInstallElectron('v22.11.0'), false);
    assert.equal(nodeCanInstallElectron('v22.12.0'), true);
    assert.equal(nodeCanInstallElectron('v24.1.0'), true);
    const engines = (JSON.parse(readFileSync(join(repoRoot, 'node_modules', 'electron', 'package.json'), 'utf8')) as { engines?: { node?: string } }).engines?.node ?? '';
    assert.match(engines, /22\.12/, `the installed Electron declares ${engines}; update ELECTRON_INSTALL_NODE in policy.ts`);
  });

  it('the preload exposes only dialogs and print-to-PDF, through invoke', () => {
    const preload = readFileSync(join(repoRoot, 'src', 'main', 'electron', 'preload.cts'), 'utf8');
    const channels = [...preload.matchAll(/invoke\('([^']+)'/g)].map((m) => m[1]);
    assert.deepEqual(channels, ['babelscope:save-file', 'babelscope:open-notebook', 'babelscope:print-pdf']);
    assert.doesNotMatch(preload, /ipcRenderer\.(send|on)\(|exposeInMainWorld\('[^']+', ipcRenderer/);
    const main = readFileSync(join(repoRoot, 'src', 'main', 'electron', 'main.ts'), 'utf8');
    for (const c of channels) assert.match(main, new RegExp(`handle\\('${c}', async \\(event[^)]*\\) => \\{\\n\\s+guard\\(event\\);`), `${c} checks its sender first`);
  });
});
