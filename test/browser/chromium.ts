/**
 * Headless Chromium from Debian (`chromium`), driven with plain command-line switches: no
 * puppeteer and no browser download. A page reports what it measured by writing it into its
 * own DOM, which `--dump-dom` prints once the page has loaded.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    if (spawnSync('sh', ['-c', `command -v ${name}`]).status === 0) return name;
  }
  return undefined;
}

function switches(width: number): string[] {
  return [
    '--headless',
    // Root in a container has no user namespace for the sandbox; the page is our own file.
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--no-first-run',
    '--hide-scrollbars',
    `--window-size=${width},900`,
    '--virtual-time-budget=3000',
  ];
}

export async function dumpDom(chromium: string, url: string, width: number): Promise<string> {
  const { stdout } = await run(chromium, [...switches(width), '--dump-dom', url], {
    timeout: 60_000,
    maxBuffer: 8 << 20,
  });
  return stdout;
}

export async function screenshot(chromium: string, url: string, width: number, png: string): Promise<void> {
  await run(chromium, [...switches(width), `--screenshot=${png}`, url], { timeout: 60_000 });
}
