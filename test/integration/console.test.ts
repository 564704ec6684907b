// The operator console in Debian's Chromium at a phone viewport, against the real control plane in
// workerd: sign-in, what each role sees, the typed host-name confirmation, the audit view. Writes
// screenshots of the main screens to artifacts/screenshots/.
import { mkdir } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSigningKey, randomId } from "../../shared/signing.ts";
import { type BrowserWorld, launchPhoneBrowser, openConsole as openIn, signIn } from "../world/browser.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";

const screenshots = "artifacts/screenshots";
const suffix = randomId()
  .slice(0, 6)
  .toLowerCase()
  .replace(/[^a-z0-9]/g, "x");
const hostName = `web-${suffix}`;

let controlPlane: ControlPlaneWorld;
let browser: BrowserWorld;
const tokens: Record<"operator" | "viewer" | "auditor" | "alert-source", string> = {
  operator: "",
  viewer: "",
  auditor: "",
  "alert-source": "",
};

async function json(response: Response): Promise<Record<string, unknown>> {
  const body: unknown = await response.json();
  if (!response.ok || typeof body !== "object" || body === null) {
    throw new Error(`control plane answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return body as Record<string, unknown>;
}

async function mintToken(role: keyof typeof tokens): Promise<string> {
  const body = await json(await controlPlane.api("/v1/tokens", { method: "POST", body: JSON.stringify({ role, label: `console test ${role}` }) }));
  return String(body.token);
}

/** Registers a host the way an agent does (enrollment token, then its public key), without running one. */
async function enrollHost(name: string): Promise<void> {
  const enrollment = await json(await controlPlane.api("/v1/enrollments", { method: "POST", body: JSON.stringify({ host: name }) }));
  const key = await generateSigningKey(`agent-${suffix}`);
  await json(
    await fetch(`${controlPlane.url}/v1/agents/enroll`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: enrollment.token, host: name, publicJwk: key.publicJwk, agentVersion: "0.1.0-test" }),
    }),
  );
}

beforeAll(async () => {
  controlPlane = await startControlPlane();
  for (const role of Object.keys(tokens) as (keyof typeof tokens)[]) tokens[role] = await mintToken(role);
  await enrollHost(hostName);
  browser = await launchPhoneBrowser();
  await mkdir(screenshots, { recursive: true });
});

const openConsole = () => openIn(browser, controlPlane.url);

afterAll(async () => {
  await browser?.close();
  await controlPlane?.stop();
});

describe("console page", () => {
  it("is served at / with a strict CSP and revalidates to a 304", async () => {
    const response = await fetch(controlPlane.url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    const etag = response.headers.get("etag") ?? "";
    const again = await fetch(controlPlane.url, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    // The page is a static asset, served only through the Worker's route (run_worker_first), never bare.
    expect((await fetch(`${controlPlane.url}/console.html`)).status).toBe(404);
  });
});

describe("console at a phone viewport", () => {
  it("refuses an unknown token with a sentence", async () => {
    const { page, problems } = await openConsole();
    await page.screenshot({ path: `${screenshots}/sign-in.png` });
    await signIn(page, "rwt_not-a-real-token");
    const alert = page.getByRole("alert");
    await expect.poll(() => alert.textContent()).toBe("Your token was not accepted (expired or revoked). Sign in again.");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("an operator signs in and sees the hosts, with a way to roll back", async () => {
    const { page, problems } = await openConsole();
    await signIn(page, tokens.operator);
    const card = page.locator(`[data-host="${hostName}"]`);
    await card.waitFor();
    expect(await card.locator("h2").textContent()).toBe(hostName);
    expect(await card.locator(".badge").textContent()).toBe("offline");
    expect(await card.locator("[data-action=trigger]").isVisible()).toBe(true);
    expect(await page.locator("[data-role]").textContent()).toBe("operator");
    expect(await page.locator("[data-tab]").allTextContents()).toEqual(["Hosts", "Rollbacks", "Roll back"]);
    await page.screenshot({ path: `${screenshots}/hosts.png`, fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("a viewer sees the hosts but no trigger button, and cannot reach the trigger screen", async () => {
    const { page, problems } = await openConsole();
    await signIn(page, tokens.viewer);
    await page.locator(`[data-host="${hostName}"]`).waitFor();
    expect(await page.locator("[data-action=trigger]").count()).toBe(0);
    expect(await page.locator("[data-tab]").allTextContents()).toEqual(["Hosts", "Rollbacks"]);
    await page.goto(`${controlPlane.url}/#/trigger?host=${hostName}`);
    await page.locator(`[data-host="${hostName}"]`).waitFor();
    expect(page.url()).toMatch(/#\/hosts$/);
    expect(await page.locator("#trigger-confirm").count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("refuses a wrong host-name confirmation: the button stays disabled, and a forced request's 400 reads as a sentence", async () => {
    const { page, problems } = await openConsole();
    await signIn(page, tokens.operator);
    await page.locator(`[data-host="${hostName}"] [data-action=trigger]`).click();
    const submit = page.locator("[data-action=submit]");
    await expect.poll(() => page.locator("#trigger-host").inputValue()).toBe(hostName);
    await page.locator("#trigger-reason").fill("error rate above 10 % after the deploy");
    await page.locator("#trigger-confirm").fill(`${hostName}x`);
    expect(await submit.isDisabled()).toBe(true);
    await page.screenshot({ path: `${screenshots}/trigger.png`, fullPage: true });

    await page.locator("#trigger-confirm").fill(hostName);
    expect(await submit.isDisabled()).toBe(false);
    await page.locator("#trigger-confirm").fill("web-other");
    expect(await submit.isDisabled()).toBe(true);

    // Forced past the disabled button, the server refuses it too, and says why in words.
    await submit.evaluate((button) => button.removeAttribute("disabled"));
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/v1/rollbacks")), submit.click()]);
    expect(response.status()).toBe(400);
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toBe(`Confirm must equal the host name "${hostName}" to roll that host back.`);
    expect(page.url()).toMatch(/#\/trigger/);
    await page.screenshot({ path: `${screenshots}/trigger-refused.png`, fullPage: true });

    const listed = await json(await controlPlane.api(`/v1/rollbacks?host=${hostName}`));
    expect(listed.rollbacks).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("a machine token (alert-source) is told to use a person's token", async () => {
    const { page, problems } = await openConsole();
    await signIn(page, tokens["alert-source"]);
    const alert = page.getByRole("alert");
    await expect.poll(() => alert.textContent()).toMatch(/meant for machines/);
    expect(await page.locator("[data-tab]").count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("an auditor sees the audit log verified against the signed checkpoint", async () => {
    const { page, problems } = await openConsole();
    await signIn(page, tokens.auditor);
    // Signing in renders asynchronously (the token is checked first): read the screen once it is there.
    const verdict = page.locator(".notice.ok, .notice.error");
    await verdict.waitFor();
    expect(await page.locator("[data-tab]").allTextContents()).toEqual(["Audit"]);
    expect(await verdict.textContent()).toMatch(/^Verified: the first \d+ entries match the checkpoint signed by 'rewind\.test\/audit'\.$/);
    expect(await page.locator(".audit-entry").count()).toBeGreaterThan(0);
    expect(await page.locator(".audit-entry strong").allTextContents()).toContain("enrollment.completed");
    await page.screenshot({ path: `${screenshots}/audit.png`, fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("an auditor is told when the exported entries do not match the signed checkpoint", async () => {
    const { page, problems } = await openConsole();
    // Alters one entry on its way to the browser, as a tampered log store would serve it.
    await page.route(/\/v1\/audit\?/, async (route) => {
      const response = await route.fetch();
      const body = (await response.text()).replace('"action":"token.created"', '"action":"token.revoked"');
      await route.fulfill({ response, body });
    });
    await signIn(page, tokens.auditor);
    const verdict = page.locator(".notice.ok, .notice.error");
    await verdict.waitFor();
    expect(await verdict.textContent()).toMatch(/^Not verified\. The first \d+ entries do not match the signed checkpoint: the log was altered\.$/);
    await page.screenshot({ path: `${screenshots}/audit-tampered.png` });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("the hosts screen is usable on a desktop too", async () => {
    const desktop = await launchPhoneBrowser({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await desktop.context.newPage();
      await page.goto(controlPlane.url);
      await signIn(page, tokens.operator);
      await page.locator(`[data-host="${hostName}"]`).waitFor();
      await page.screenshot({ path: `${screenshots}/hosts-desktop.png` });
    } finally {
      await desktop.close();
    }
  });
});
