// Debian's Chromium driven by playwright-core at a phone viewport, with a fresh profile per launch
// so runs never share cookies, storage or caches.
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, devices, type Page } from "playwright-core";

/** The real binary: the /usr/bin/chromium wrapper script prints a spurious shell error. */
const chromiumPath = "/usr/lib/chromium/chromium";

const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];

/** Pixel 7's touch and pixel density at the 390×844 viewport the console is designed for. */
export const phone = { ...devices["Pixel 7"], viewport: { width: 390, height: 844 } };

export interface BrowserWorld {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchPhoneBrowser(options: { viewport?: { width: number; height: number } } = {}): Promise<BrowserWorld> {
  try {
    await access(chromiumPath);
  } catch {
    throw new Error(`Chromium not found at ${chromiumPath}: install it with 'apt-get install -y chromium'`);
  }
  const userDataDir = await mkdtemp(join(tmpdir(), "rewind-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    args: chromiumArgs,
    ...phone,
    ...(options.viewport ? { viewport: options.viewport, deviceScaleFactor: 1, isMobile: false, hasTouch: false } : {}),
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

export interface ConsolePage {
  page: Page;
  /** Script errors and CSP violations seen in the page: a test expects none. */
  problems: string[];
}

/** Opens the console served at `url` in a new tab, recording page errors and CSP violations. */
export async function openConsole(browser: BrowserWorld, url: string): Promise<ConsolePage> {
  const page = await browser.context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) problems.push(message.text());
  });
  await page.goto(url);
  return { page, problems };
}

export async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
}
