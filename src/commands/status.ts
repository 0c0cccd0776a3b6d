/** `codex status` (alias `codex login status`): are you signed in, how, and from where. */

import type { CredentialCheck } from "../api/client.js";
import { sourceText } from "../auth/credential.js";
import { type AuthStatus, status, statusAll } from "../auth/status.js";
import { DEFAULT_PROVIDER, OPENAI_BASE_URL } from "../config/providers.js";
import type { ExitCode } from "../errors.js";
import { jsonText, oneLine } from "../safe-text.js";
import type { CommandContext } from "./context.js";
import { describeExpiry } from "./expiry.js";
import type { IO } from "./io.js";

export interface StatusOptions extends CommandContext {
  json: boolean;
  /** `--all`: one line per account. */
  all?: boolean;
  /** `--check`: ask the provider whether the credential works. */
  check?: boolean;
}

export async function runStatus(opts: StatusOptions): Promise<ExitCode> {
  const { io } = opts;
  const options = { config: opts.config, env: opts.env, clock: opts.clock, profile: opts.profile };
  if (opts.all) return runStatusAll(opts, await statusAll(options));
  const st = await status(options);
  const check = opts.check ? await checkNow(opts, st) : undefined;
  if (opts.json) {
    const json = toJson(st);
    io.out(
      jsonText(opts.check ? { ...json, check: check?.result ?? null, check_message: check?.message ?? null } : json),
    );
    return exitCode(st, opts.check === true, check);
  }
  if (st.providerError !== null) io.warn(st.providerError);
  for (const warning of st.warnings) io.warn(warning);
  const session = st.session;
  const login = loginCommand(st);
  const profile = st.accountSelectedBy === null ? "" : `  Profile: ${st.account} (selected by ${st.accountSelectedBy})`;
  if (st.credentialError !== null) {
    io.out(`Not logged in: ${shown(st.credentialError)}`);
    if (profile) io.out(profile);
    noteIgnored(opts, st);
    return 1;
  }
  if (session?.ended) {
    io.out(`Your session expired. Run \`${login}\` to sign in again.`);
    io.out(
      `  Account: ${session.account === null ? "(not named by the server)" : shown(session.account)} at ${shown(session.issuer)}`,
    );
    if (st.source !== null) io.out(`  Source: ${sourceLine(st)}`);
    if (profile) io.out(profile);
    return 1;
  }
  if (!st.authenticated || st.source === null) {
    io.out(`Not logged in. Run \`${login}\` to sign in.`);
    if (profile) io.out(profile);
    noteIgnored(opts, st);
    return 1;
  }
  if (session?.chatgpt != null) {
    const plan = session.chatgpt.plan === null ? "" : ` (${shown(session.chatgpt.plan)} plan)`;
    io.out(
      `Logged in using ChatGPT${session.account === null ? "" : ` as ${io.bold(shown(session.account))}`}${plan}: ${shown(st.hint ?? "")}`,
    );
    if (session.chatgpt.accountId !== null) io.out(`  Workspace: ${shown(session.chatgpt.accountId)}`);
  } else if (session !== null) {
    io.out(
      `Logged in with OAuth${session.account === null ? "" : ` as ${io.bold(shown(session.account))}`}: ${shown(st.hint ?? "")}`,
    );
  }
  if (session !== null) {
    io.out(`  Issuer: ${shown(session.issuer)}`);
    if (session.expiresAt !== null) {
      const when = describeExpiry(session.expiresAt, opts.clock());
      io.out(
        session.expired
          ? `  Access token: expired ${when}; renewed on next use`
          : `  Access token: expires ${when}${session.refreshable ? " (renewed automatically)" : ""}`,
      );
    }
  } else if (st.source.type === "command") {
    io.out(`Logged in with a credential from command \`${st.source.command}\`: ${io.bold(shown(st.hint ?? ""))}`);
  } else {
    io.out(`Logged in using an API key: ${io.bold(shown(st.hint ?? ""))}`);
  }
  io.out(`  Source: ${shown(sourceLine(st))}`);
  if (profile) io.out(profile);
  // Named only when it is not the default, where the credential would go somewhere a user might not expect.
  if (st.provider !== null && (st.provider.id !== DEFAULT_PROVIDER || st.provider.baseUrl !== OPENAI_BASE_URL)) {
    io.out(`  Provider: ${shown(`${st.provider.name} (${st.provider.baseUrl}, ${st.provider.wireApi} API)`)}`);
  }
  if (st.shadowed !== null) {
    io.out(
      st.envKey !== null
        ? `  Note: the key stored in ${shown(`${st.shadowed.path} (${st.shadowed.hint})`)} is not sent to this provider, which takes its key only from ${st.envKey}`
        : `  Note: the key stored in ${shown(`${st.shadowed.path} (${st.shadowed.hint})`)} is not used while the variable is set`,
    );
  }
  noteIgnored(opts, st);
  if (check !== undefined) {
    const path = new URL(check.url).pathname;
    io.out(
      check.result === "refused"
        ? `  Check: refused (nothing sent to ${check.host}: plain http:// to another machine)`
        : `  Check: ${check.result} (GET ${path} at ${check.host}${check.status ? `: HTTP ${check.status}` : ""})`,
    );
    // The refusal is already among the warnings above.
    if (check.result !== "valid" && check.result !== "refused") io.error(check.message);
  }
  return exitCode(st, opts.check === true, check);
}

/** OpenAI's variables that are set but not sent to this provider: said, so nobody wonders why they are not used. */
function noteIgnored(opts: StatusOptions, st: AuthStatus): void {
  // With env_key the credential error already says the setting ignores the variable.
  const bySetting = st.ignoredBySetting;
  if (bySetting !== null && st.missingEnvKey === null) {
    const which = `${bySetting.variables.join(" and ")} ${bySetting.variables.length === 1 ? "is" : "are"}`;
    opts.io.out(`  Note: ${which} set but not used: credential_source = "stored" in ${shown(bySetting.path)}`);
  }
  if (st.ignoredEnv.length === 0 || st.provider === null) return;
  const which = `${st.ignoredEnv.join(" and ")} ${st.ignoredEnv.length === 1 ? "is" : "are"}`;
  const why =
    st.envKey !== null
      ? `, which takes its key only from ${st.envKey}`
      : ": OpenAI's keys go only to providers with requires_openai_auth = true";
  opts.io.out(`  Note: ${which} set but not sent to provider \`${oneLine(st.provider.id, 64)}\`${why}`);
}

/** What --check could not do: the provider's base_url would carry the credential unencrypted. */
type Refused = Omit<CredentialCheck, "result"> & { result: "refused" };

/**
 * `--check`: one request to the provider, when there is a credential to check and a provider to ask.
 * The client code runs only here: status without --check sends nothing. A base_url that would carry the
 * credential in clear text is refused here, without a request (or a DNS lookup).
 */
async function checkNow(opts: StatusOptions, st: AuthStatus): Promise<CredentialCheck | Refused | undefined> {
  if (!st.authenticated || st.provider === null) return undefined;
  const insecure = st.insecureHttp.find((i) => i.what === "provider");
  if (insecure !== undefined) {
    return {
      result: "refused",
      host: insecure.host,
      url: `${st.provider.baseUrl}/models`,
      message: insecure.message,
      elapsedMs: 0,
    };
  }
  const { openClient } = await import("../api/open.js");
  const client = await openClient({
    config: opts.config,
    env: opts.env,
    fetch: opts.fetch,
    clock: opts.clock,
    profile: opts.profile,
  });
  return client.check();
}

/**
 * 0 logged in (and, with --check, accepted) · 4 rejected by the server · 1 otherwise, including a --check
 * that could not be made (no provider to ask).
 */
function exitCode(st: AuthStatus, asked: boolean, check: CredentialCheck | Refused | undefined): ExitCode {
  if (!st.authenticated) return 1;
  if (!asked) return 0;
  return check?.result === "valid" ? 0 : check?.result === "rejected" ? 4 : 1;
}

function loginCommand(st: AuthStatus): string {
  return st.accountSelectedBy === "--profile" && st.account !== "default"
    ? `codex login --profile ${st.account}`
    : "codex login";
}

function sourceLine(st: AuthStatus): string {
  const source = st.source;
  switch (source?.type) {
    case "env":
      return `environment variable ${source.variable}`;
    case "keyring":
      return source.name;
    case "command":
      return `auth_command \`${source.command}\` in ${source.path}, run at each use`;
    case "file":
      return source.path;
    default:
      return st.configPath;
  }
}

function toJson(st: AuthStatus): object {
  const session = st.session;
  return {
    account: st.account,
    active: st.active,
    authenticated: st.authenticated,
    method: st.method,
    source: st.source === null ? null : sourceText(st.source),
    source_type: st.source?.type ?? null,
    hint: st.hint,
    config_path: st.configPath,
    legacy: st.legacy,
    shadowed: st.shadowed,
    oauth:
      session === null
        ? null
        : {
            issuer: session.issuer,
            account: session.account,
            expires_at: session.expiresAt?.toISOString() ?? null,
            expired: session.expired,
            refreshable: session.refreshable,
            session_ended: session.ended,
          },
    chatgpt: session?.chatgpt == null ? null : { account_id: session.chatgpt.accountId, plan: session.chatgpt.plan },
    provider:
      st.provider === null
        ? null
        : {
            id: st.provider.id,
            name: st.provider.name,
            base_url: st.provider.baseUrl,
            wire_api: st.provider.wireApi,
            model: st.provider.model,
          },
    provider_error: st.providerError,
    credential_error: st.credentialError,
    env_key: st.envKey,
    missing_env_key: st.missingEnvKey,
    ignored_env: st.ignoredEnv,
    credential_source: st.credentialSource,
    ignored_by_setting: st.ignoredBySetting?.variables ?? [],
    insecure_http: st.insecureHttp.map(({ what, setting, host }) => ({ what, setting, host })),
    warnings: st.warnings,
  };
}

/** One line per account; exit 0 when the active account is authenticated. */
function runStatusAll(opts: StatusOptions, all: AuthStatus[]): ExitCode {
  const { io } = opts;
  const active = all.find((s) => s.active) as AuthStatus;
  if (opts.json) {
    io.out(jsonText(all.map(toJson)));
    return active.authenticated ? 0 : 1;
  }
  for (const warning of active.warnings) io.warn(warning);
  const width = Math.max(...all.map((s) => s.account.length));
  for (const st of all) io.out(`${st.active ? "*" : " "} ${st.account.padEnd(width)}  ${summary(st, opts, io)}`);
  if (active.source?.type === "env") {
    io.out(
      `Note: ${active.source.variable} is set in your environment; codex uses it instead of any stored credential`,
    );
  }
  return active.authenticated ? 0 : 1;
}

function summary(st: AuthStatus, opts: StatusOptions, io: IO): string {
  if (st.credentialError !== null) return `not available: ${shown(st.credentialError)}`;
  if (st.source === null) return "not logged in";
  // codex 0.1.0's place for a profile's credential: said, so the user knows a login moves it.
  const where = shown(st.legacy ? `${sourceLine(st)} [profiles.${st.account}], legacy` : sourceLine(st));
  const session = st.session;
  if (session === null) return `API key ${io.bold(shown(st.hint ?? ""))} (${where})`;
  const who = session.account === null ? "" : ` as ${shown(session.account)}`;
  const state = session.ended
    ? "session ended"
    : session.expiresAt === null
      ? "active"
      : session.expired
        ? "expired, renewed on next use"
        : `expires ${describeExpiry(session.expiresAt, opts.clock())}`;
  return `${session.chatgpt === null ? "OAuth" : "ChatGPT"}${who} ${shown(st.hint ?? "")} (${where}; ${state})`;
}

/**
 * A value from outside codex (an ID token's email, a stored issuer, a keyring's or a command's error, a
 * variable's value in a masked hint) as part of a line on a terminal: no control characters, one line.
 */
function shown(text: string): string {
  return oneLine(text, 1000);
}
