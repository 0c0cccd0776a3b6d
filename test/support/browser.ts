/**
 * Drives real headless Chromium (/usr/bin/chromium, through playwright-core) through the sign-in pages of the
 * test authorization server (./oauth-server.ts): oidc-provider's development login and consent pages and its
 * device-flow verification pages.
 *
 *   const { url, text } = await signInWithBrowser(authorizationUrl, { login: "alice" });
 *   await approveDevice(verificationUri, userCode, { deny: true });
 *
 * One browser process per test file, launched on first use and closed after the file's tests (an `afterAll`
 * registered when this module is imported); every sign-in gets a fresh, empty browser context, so no cookie or
 * session carries over. The browser can reach loopback addresses only: every other request is aborted
 * (oidc-provider's pages @import a Google font) and no host name but localhost resolves.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll } from "vitest";

export const CHROMIUM = "/usr/bin/chromium";

export interface BrowserResult {
  /**
   * The final page's URL: for a sign-in, the loopback callback the server redirected to (with `code` or
   * `error`). When that page could not be loaded (nothing listening), the URL that failed.
   */
  url: string;
  /** The final page's visible text (or a description of the navigation error). */
  text: string;
}

export interface InteractionOptions {
  /** The login name to sign in as (any name works; default "alice"). */
  login?: string;
  /** Cancel at the consent page instead of approving: the client gets `access_denied`. */
  deny?: boolean;
  /**
   * Where requests to `localhost` go, e.g. "[::1]": they are made there (by Playwright, on the browser's
   * behalf) and the answer shown as the page's. By default Chromium picks the address itself.
   */
  localhostAs?: string;
  /**
   * The browser runs on another machine (SSH, a container): `localhost` does not reach codex, so the sign-in
   * ends on a page that cannot connect, whose URL (the callback, with its code) the result reports.
   */
  elsewhere?: boolean;
}

/** OAUTH_BROWSER_DEBUG=1 logs each page and step to stderr. */
const debug = process.env.OAUTH_BROWSER_DEBUG
  ? (...args: unknown[]) => process.stderr.write(`[browser] ${args.map(String).join(" ")}\n`)
  : () => {};

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);
const STEP_TIMEOUT_MS = 10_000;

/** The browser, and the one for `elsewhere` (where `localhost` does not resolve): each launched on first use. */
const browsers = new Map<"here" | "elsewhere", Promise<Browser>>();

function launch(where: "here" | "elsewhere" = "here"): Promise<Browser> {
  let browser = browsers.get(where);
  if (browser === undefined) {
    // Chromium keeps a crash-report database and a dconf cache under the XDG directories (~/.config/chromium,
    // ~/.cache/dconf); point them at a throwaway directory. (The profile is Playwright's own temp dir.)
    const scratch = mkdtempSync(join(tmpdir(), "codex-chromium-"));
    const launching = chromium.launch({
      executablePath: CHROMIUM,
      env: { ...process.env, XDG_CONFIG_HOME: join(scratch, "config"), XDG_CACHE_HOME: join(scratch, "cache") },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // Belt and braces with the request filter below: no host name resolves but localhost (the rule would
        // also catch IP literals, hence the loopback addresses are excluded too). Elsewhere, localhost does
        // not resolve either: Playwright's routes never see a redirect, so it cannot be stopped there.
        `--host-resolver-rules=MAP * ~NOTFOUND, ${where === "here" ? "EXCLUDE localhost, " : ""}EXCLUDE 127.0.0.1, EXCLUDE [::1]`,
      ],
    });
    browser = launching;
    browsers.set(where, launching);
    const forget = () => {
      if (browsers.get(where) === launching) browsers.delete(where);
      rmSync(scratch, { recursive: true, force: true });
    };
    launching.then((b) => b.on("disconnected", forget), forget);
  }
  return browser;
}

/** Closes the shared browsers (done automatically after each test file that imports this module). */
export async function closeBrowser(): Promise<void> {
  const open = [...browsers.values()];
  browsers.clear();
  if (open.length > 0) debug("closing the browser");
  for (const current of open) await (await current.catch(() => undefined))?.close();
}

afterAll(closeBrowser);

async function withPage<T>(
  fn: (page: Page, context: BrowserContext) => Promise<T>,
  options: InteractionOptions = {},
): Promise<T> {
  const context = await (await launch(options.elsewhere ? "elsewhere" : "here")).newContext();
  try {
    await context.route(
      (url) => !(url.protocol === "http:" || url.protocol === "https:") || !LOOPBACK_HOSTS.has(url.hostname),
      (route) => route.abort("blockedbyclient"),
    );
    const localhostAs = options.localhostAs;
    if (localhostAs !== undefined) {
      await context.route(
        (url) => url.hostname === "localhost",
        async (route) => {
          const url = new URL(route.request().url());
          url.hostname = localhostAs;
          debug("localhost request made at", url.href);
          await route.fulfill({ response: await route.fetch({ url: url.href, maxRedirects: 0 }) });
        },
      );
    }
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const page = await context.newPage();
    return await fn(page, context);
  } finally {
    await context.close();
  }
}

/** Tracks the last main-frame navigation request and its failure, to report a redirect nobody answered. */
function trackNavigation(page: Page): { lastUrl: () => string | undefined; failure: () => string | undefined } {
  let lastUrl: string | undefined;
  let failure: string | undefined;
  page.on("request", (req) => {
    if (req.isNavigationRequest() && req.frame() === page.mainFrame()) {
      lastUrl = req.url();
      failure = undefined;
    }
  });
  page.on("requestfailed", (req) => {
    if (req.isNavigationRequest() && req.frame() === page.mainFrame()) failure = req.failure()?.errorText;
  });
  return { lastUrl: () => lastUrl, failure: () => failure };
}

/** Runs an action that may navigate; a failed navigation is not an error here (the result reports it). */
async function act(page: Page, action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
    await page.waitForLoadState("load");
  } catch (err) {
    debug("navigation failed:", err);
    if (!/net::ERR_|interrupted by another navigation/.test(String(err))) throw err;
  }
}

async function present(page: Page, selector: string): Promise<boolean> {
  return (await page.locator(selector).count()) > 0;
}

async function result(page: Page, nav: ReturnType<typeof trackNavigation>): Promise<BrowserResult> {
  const url = page.url();
  if (url.startsWith("chrome-error:") || nav.failure() !== undefined) {
    return { url: nav.lastUrl() ?? url, text: `navigation failed: ${nav.failure() ?? "unknown error"}` };
  }
  const text = await page
    .locator("body")
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the text a user sees
    .innerText()
    .catch(() => "");
  return { url, text };
}

/**
 * Walks the server's pages from wherever the page is now: the device user-code form, the device confirmation,
 * the login form, the consent form. Stops when the page leaves the server's origin (the redirect to the client)
 * or shows none of them (an error page, the device flow's success page), or a form comes back (a rejected
 * user code, a cancelled device sign-in).
 */
async function walk(page: Page, serverOrigin: string, userCode: string | undefined, options: InteractionOptions) {
  const login = options.login ?? "alice";
  const done = new Set<string>();
  for (let step = 0; step < 10; step++) {
    if (page.url().startsWith("chrome-error:") || new URL(page.url()).origin !== serverOrigin) return;
    let kind: string;
    if (await present(page, 'form[id="op.deviceInputForm"]')) kind = "user_code";
    else if (await present(page, 'form[id="op.deviceConfirmForm"]')) kind = "confirm";
    else if (await present(page, 'input[name="prompt"][value="login"]')) kind = "login";
    else if (await present(page, 'input[name="prompt"][value="consent"]')) kind = "consent";
    else return;
    debug(`step ${step}: ${kind} at ${page.url()}`);
    // The same form again means the server rejected what was entered; the user-code form after any other step
    // is the device flow's answer to a cancelled sign-in ("The Sign-in request was interrupted").
    if (done.has(kind) || (kind === "user_code" && done.size > 0)) return;
    done.add(kind);
    switch (kind) {
      case "user_code":
        if (userCode === undefined) throw new Error("the device verification page asks for a user code");
        await page.locator('input[name="user_code"]').fill(userCode);
        await act(page, () => page.locator('button[form="op.deviceInputForm"]').click());
        break;
      case "confirm":
        await act(page, () => page.locator('button[form="op.deviceConfirmForm"]:not([name="abort"])').click());
        break;
      case "login":
        await page.locator('input[name="login"]').fill(login);
        await page.locator('input[name="password"]').fill("any password");
        await act(page, () => page.locator('button[type="submit"]').click());
        break;
      case "consent":
        if (options.deny) await act(page, () => page.getByRole("link", { name: "[ Cancel ]" }).click());
        else await act(page, () => page.locator('button[type="submit"]').click());
        break;
    }
  }
}

/**
 * Opens `url` (an authorization URL printed by the CLI), signs in as `login` on the provider's own pages, then
 * consents (or cancels when deny=true), and follows the redirect to the CLI's loopback callback. Returns the
 * final page's URL and visible text.
 */
export async function signInWithBrowser(url: string, options: InteractionOptions = {}): Promise<BrowserResult> {
  const serverOrigin = new URL(url).origin;
  return withPage(async (page) => {
    const nav = trackNavigation(page);
    debug("open", url);
    await act(page, () => page.goto(url));
    await walk(page, serverOrigin, undefined, options);
    return result(page, nav);
  }, options);
}

/**
 * Opens the device verification URL, enters `userCode` (unless the URL is verification_uri_complete, which
 * carries it), confirms, signs in as `login`, consents (or cancels when deny=true: the device's token poll then
 * gets `access_denied`). Returns the final page (the server's success or error page).
 */
export async function approveDevice(
  verificationUri: string,
  userCode: string | undefined,
  options: InteractionOptions = {},
): Promise<BrowserResult> {
  const serverOrigin = new URL(verificationUri).origin;
  return withPage(async (page) => {
    const nav = trackNavigation(page);
    await act(page, () => page.goto(verificationUri));
    await walk(page, serverOrigin, userCode, options);
    return result(page, nav);
  });
}
