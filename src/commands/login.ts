/**
 * `codex login`: the browser sign-in by default (as OpenAI's Codex CLI), the device code with
 * `--device-auth` (SSH, headless), or an API key with `--with-api-key` (standard input, never argv: process
 * lists and shell history would keep it). On a terminal with no flag, it asks which.
 */
import { MAX_KEY_BYTES, maskToken, normalizeApiKey } from "../auth/api-key.js";
import { envCredentialVars, selectedProviderAuth } from "../auth/credential.js";
import { checkKeyringFirst, type LoginResult, saveCredential } from "../auth/login.js";
import type { PasteRefusal } from "../auth/oauth/browser.js";
import type { Revocation } from "../auth/oauth/revoke.js";
import { selectAccount, storeSetting } from "../config/accounts.js";
import { issuerHost, type LoginMethod, loginRestrictions, oauthSettings } from "../config/oauth.js";
import { assertTrusted } from "../config/trust.js";
import type { StoredCredential } from "../credentials/store.js";
import { type ExitCode, InvalidInputError, LoginRestrictedError, UsageError } from "../errors.js";
import { oneLine } from "../safe-text.js";
import type { CommandContext } from "./context.js";
import { describeExpiry } from "./expiry.js";
import { showWaiting, type Waiting } from "./waiting.js";

export interface LoginOptions extends CommandContext {
  withApiKey: boolean;
  deviceAuth: boolean;
  /** Loopback port for the browser sign-in (default: config.toml's `[oauth] redirect_port`, 1455). */
  port?: number | undefined;
  /** Print the sign-in URL without opening a browser. */
  noBrowser?: boolean;
}

type Method = "browser" | "device" | "api-key";

async function chooseMethod(opts: LoginOptions, forced: LoginMethod | undefined): Promise<Method> {
  if (opts.withApiKey && opts.deviceAuth) throw new UsageError("choose one of --with-api-key and --device-auth");
  if (opts.withApiKey && (opts.port !== undefined || opts.noBrowser)) {
    throw new UsageError("--port and --no-browser apply to the browser sign-in, not to --with-api-key");
  }
  // Refused before anything is asked, read or opened.
  if (forced === "chatgpt" && opts.withApiKey) {
    throw new LoginRestrictedError(
      'config.toml allows only sign-in with ChatGPT (forced_login_method = "chatgpt"), not an API key; run `codex login` (or `codex login --device-auth`)',
    );
  }
  if (forced === "api" && !opts.withApiKey && (opts.deviceAuth || opts.port !== undefined || opts.noBrowser)) {
    throw new LoginRestrictedError(
      'config.toml allows only API keys (forced_login_method = "api"), not sign-in in a browser or on another device; run `codex login --with-api-key`',
    );
  }
  if (opts.withApiKey || forced === "api") return "api-key";
  if (opts.deviceAuth) return "device";
  if (opts.port !== undefined || opts.noBrowser || !opts.io.canPrompt()) return "browser";
  const choices = [
    { value: "browser", name: "Sign in with your browser" },
    { value: "device", name: "Sign in on another device (a code to enter at a URL)" },
    ...(forced === "chatgpt" ? [] : [{ value: "api-key", name: "Paste an API key" }]),
  ] as Array<{ value: Method; name: string }>;
  return opts.io.choose("How do you want to sign in?", choices);
}

export async function runLogin(options: LoginOptions): Promise<ExitCode> {
  // Settings that decide where the credential goes are checked before anything is asked or opened: the
  // account's own, a profile's file laid over config.toml.
  const opts = { ...options, config: options.config.view(selectAccount(options.env, options.profile).name) };
  storeSetting(opts.config);
  const restrictions = loginRestrictions(opts.config);
  const method = await chooseMethod(opts, restrictions.method);
  if (method === "api-key") await apiKeyLogin(opts);
  else await oauthLogin(opts, method, restrictions.workspaces);
  const provider = selectedProviderAuth(opts.config, opts.env);
  if (provider.envKey !== undefined) {
    // Unsetting the variable would not help: this provider is never sent the account's credential.
    opts.io.warn(
      `the selected provider \`${oneLine(provider.id, 64)}\` takes its key only from ${provider.envKey}, so it does not use the credential just saved`,
    );
    return 0;
  }
  for (const variable of envCredentialVars(opts.config, opts.env, provider)) {
    opts.io.warn(
      `${variable} is set in your environment and takes precedence over the credential just saved; unset it to use this one`,
    );
  }
  return 0;
}

async function apiKeyLogin(opts: LoginOptions): Promise<void> {
  const { io } = opts;
  // Reading a terminal as plain input would echo the key as it is typed; prompt with echo off instead.
  const input = io.stdinIsTTY() ? await io.promptSecret("Paste your API key:") : await io.readAll(MAX_KEY_BYTES);
  if (input === undefined) {
    throw new InvalidInputError(`the API key on standard input is over ${MAX_KEY_BYTES / 1024} KiB; nothing was stored`);
  }
  const key = normalizeApiKey(input);
  const result = await save(opts, { token: key });
  io.out(`✅ Logged in using an API key (${maskToken(key)}), stored in ${where(result)}`);
  reportReplaced(opts, result.revocation);
}

async function save(opts: LoginOptions, credential: StoredCredential): Promise<LoginResult> {
  const result = await saveCredential(credential, { config: opts.config, env: opts.env, profile: opts.profile });
  for (const warning of result.warnings) opts.io.warn(warning);
  return result;
}

/**
 * What became of the session this login replaced: revoked, or which of its tokens may still work. Said
 * after the "Logged in" line, which the indented note belongs under.
 */
function reportReplaced(opts: LoginOptions, r: Revocation | null): void {
  if (r === null) return;
  const host = issuerHost(r.issuer);
  if (r.notRevoked.length === 0) {
    opts.io.out(`  The previous session was revoked at ${host}.`);
    return;
  }
  const tokens = r.notRevoked.map((kind) => kind.replace("_", " ")).join(" and ");
  opts.io.warn(
    `the previous session was replaced here but not revoked at ${host}: ${r.reason}; its ${tokens} may stay valid there until ${r.notRevoked.includes("refresh_token") ? "the server expires them" : "it expires"}`,
  );
}

function where(result: LoginResult): string {
  return result.account === "default" ? result.storedIn : `${result.storedIn} (profile ${result.account})`;
}

async function oauthLogin(
  opts: LoginOptions,
  method: "browser" | "device",
  workspaces: string[] | undefined,
): Promise<void> {
  const { io } = opts;
  // Read (and validated) before anything is opened or printed.
  const settings = oauthSettings(opts.config);
  assertTrusted(opts.config, "credential");
  if (workspaces !== undefined && settings.protocol !== "openai") {
    // Only OpenAI's sign-in says which workspace a session is for: any other could never be checked.
    throw new LoginRestrictedError(
      `config.toml restricts sign-in to a ChatGPT workspace (forced_chatgpt_workspace_id), which only a ChatGPT sign-in can satisfy, and [oauth] speaks the standard protocol to ${issuerHost(settings.issuer)}; nothing was opened or stored`,
    );
  }
  // Before the issuer is asked anything: a sign-in with nowhere to be stored would be thrown away.
  await checkKeyringFirst({ config: opts.config, env: opts.env, profile: opts.profile });
  const interrupt = io.interruptSignal();
  let stopWaiting = () => {};
  let credential: StoredCredential;
  try {
    if (method === "device") {
      const { loginWithDevice } = await import("../auth/oauth/device.js");
      credential = await loginWithDevice({
        settings,
        workspaces,
        fetch: opts.fetch,
        signal: interrupt.signal,
        clock: opts.clock,
        onCode: (code) => {
          io.err(`To sign in, open this page on any device:\n\n  ${code.verificationUri}\n`);
          io.err(`and enter the code: ${code.userCode}\n`);
          // OpenAI's own warning with its device code: a code someone else enters signs them in as you.
          if (settings.protocol === "openai") io.err("Device codes are a common phishing target. Never share this code.\n");
          if (code.verificationUriComplete !== undefined) {
            io.err(`(or open ${code.verificationUriComplete}, which fills in the code)\n`);
          }
          stopWaiting = showWaiting(io, opts.clock, "you to enter the code", code.expiresAt);
        },
      });
    } else {
      const { loginWithBrowser } = await import("../auth/oauth/browser.js");
      // A browser on another machine (SSH, a container, WSL) cannot reach the loopback: on a terminal, the
      // address it ends on may be pasted instead.
      const pasteBack = io.stdinIsTTY();
      let typed = 0;
      let waiting: Waiting | undefined;
      credential = await loginWithBrowser({
        settings,
        workspaces,
        fetch: opts.fetch,
        port: opts.port,
        signal: interrupt.signal,
        clock: opts.clock,
        paste: pasteBack
          ? {
              start: (offer, maxChars) =>
                io.readLines({
                  maxChars,
                  onLine: (line) => {
                    const refusal = offer(line);
                    if (refusal !== undefined) io.warn(refusalLine(refusal));
                  },
                  onCancel: () => interrupt.cancel(),
                  onTyping: (chars) => {
                    typed = chars;
                    waiting?.redraw();
                  },
                }),
            }
          : undefined,
        onUrl: async (url, expiresAt) => {
          const { browserUnavailable, openBrowser } = await import("./open-browser.js");
          const why = opts.noBrowser ? "--no-browser" : browserUnavailable(opts.env);
          const opened = why === undefined && (await openBrowser(url, opts.env));
          const host = issuerHost(settings.issuer);
          if (opened) io.err(`Opening your browser to sign in to ${host}. If it does not open, visit:\n\n  ${url}\n`);
          else if (pasteBack) {
            io.err(`Open this URL in any browser to sign in to ${host}:\n\n  ${url}\n`);
            io.err(
              "After you approve, a browser on this machine returns to codex by itself. A browser elsewhere ends on a page that cannot connect: paste that page's address here and press Enter.\n",
            );
          } else {
            io.err(`Open this URL in a browser on this machine to sign in to ${host}:\n\n  ${url}\n`);
            if (opts.env.SSH_CONNECTION || opts.env.SSH_TTY) {
              io.err("On a machine without a browser (SSH)? Run `codex login --device-auth` instead.\n");
            }
          }
          waiting = showWaiting(io, opts.clock, "you to sign in in the browser", expiresAt, () =>
            typed === 0 ? undefined : `Pasted ${typed} characters: press Enter to use them…`,
          );
          stopWaiting = waiting;
        },
      });
    }
  } finally {
    stopWaiting();
    interrupt.release();
  }
  const result = await save(opts, credential);
  const session = credential.oauth;
  // The account name is the ID token's email claim: the server's text.
  const who = session?.account === undefined ? "" : ` as ${oneLine(session.account, 200)}`;
  if (session?.protocol === "openai") {
    const plan = session.chatgptPlanType === undefined ? "" : ` (${oneLine(session.chatgptPlanType, 64)} plan)`;
    io.out(`✅ Logged in using ChatGPT${who}${plan}, stored in ${where(result)}`);
  } else {
    io.out(
      `✅ Logged in${who} with ${issuerHost(session?.issuer ?? settings.issuer)} (OAuth), stored in ${where(result)}`,
    );
  }
  if (session?.expiresAt !== undefined) {
    io.out(
      `  The access token expires ${describeExpiry(session.expiresAt, opts.clock())}${
        session.refreshToken === undefined
          ? "; no refresh token was issued, so sign in again then"
          : "; codex renews it automatically"
      }.`,
    );
  }
  reportReplaced(opts, result.revocation);
}

/**
 * Why a pasted line was not used (a warning: the wait goes on), and what to paste instead; never the line
 * itself, which may hold a code.
 */
function refusalLine({ why, callback, maxChars }: PasteRefusal): string {
  const paste = `paste the whole address the browser ended on (${callback}?code=…&state=…) and press Enter`;
  switch (why) {
    case "too-long":
      return `the pasted line is over ${maxChars} characters, longer than any sign-in address; ${paste}`;
    case "code-alone":
      return `that looks like a code alone, which carries nothing to show it is from this sign-in, so it was not used; ${paste}`;
    case "no-state":
      return `that has no state, which would show it is from this sign-in, so it was not used; ${paste}`;
    case "not-callback":
      return `that is not the address of codex's sign-in callback; ${paste}`;
    case "foreign":
      return "that address is from another sign-in (its state is not this one's); paste the address of the sign-in started here, or press Ctrl-C and run `codex login` again; nothing was stored";
  }
}
