// Browser-test helpers: Debian's chromium driven by playwright-core
// (never a downloaded browser), headless, with the flags this machine needs.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export const OUT = path.resolve('tests/out/screenshots');
mkdirSync(OUT, { recursive: true });

export async function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic'],
    // playwright gives every launch a new empty profile folder of its own
  });
}

export async function signIn(page, base, username, password) {
  await page.goto(base + '/');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
}
