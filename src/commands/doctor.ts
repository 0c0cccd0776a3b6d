/**
 * `codex doctor`: one screen that checks what commonly goes wrong, each with how to fix it. It reads, and
 * asks the keyring and the provider; it changes nothing the user owns (an OAuth access token that has
 * expired is renewed by the provider check, as any request would renew it).
 *
 * Each check is independent: a config.toml that does not parse stops the checks that need its contents,
 * not the others (the environment, the directory, the lock). Nothing secret is printed: credentials appear
 * only as masked hints.
 */
import { statSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { basename } from "node:path";
import { maskToken } from "../auth/api-key.js";
import { legacyTableRefusal, selectorRefusal } from "../auth/codex-cli.js";
import {
  type CredentialSource,
  describeSource,
  type ResolvedCredential,
  resolveCredential,
  sessionEnded,
} from "../auth/credential.js";
import { ignoredEnvVars, OPENAI_AUTH, type ProviderAuth, tokenEnvVars, tokenEnvVarsSet } from "../auth/env.js";
import { type Breach, restrictionBreach } from "../auth/restrictions.js";
import { recordedNote } from "../auth/status.js";
import {
  type Account,
  authCommand,
  commandName,
  credentialSourceSetting,
  DEFAULT_ACCOUNT,
  legacyProfiles,
  profileFiles,
  recordedStorage,
  selectAccount,
  storeSetting,
} from "../config/accounts.js";
import { Config } from "../config/config.js";
import { isCode, nearestAbove } from "../config/fs-errors.js";
import { inspectLock } from "../config/lock.js";
import { loginRestrictions, oauthSettings, sessionIssuerRefusal } from "../config/oauth.js";
import { codexHome, configPath, type Env, lockPath, profilePath } from "../config/paths.js";
import { cleartextRefusal, type ProviderSettings, selectModel } from "../config/providers.js";
import { NOT_REGULAR, TOO_LARGE } from "../config/regular-file.js";
import { resolveTarget } from "../config/symlink.js";
import { customCaVariable, readCaFile } from "../config/ca.js";
import { networkFailure } from "../config/network.js";
import { PROXY_VARIABLES, parseProxy, proxyDecision } from "../config/proxy.js";
import { isLoopbackHost } from "../config/transport.js";
import { trustProblem } from "../config/trust.js";
import { findCodexAuth } from "../credentials/codex-auth.js";
import type { Keyring } from "../credentials/keyring.js";
import { accountReaders, accountStores, loadKeyring } from "../credentials/stores.js";
import {
  CodexError,
  ConfigAccessError,
  ConfigValueError,
  type ExitCode,
  InsecureTransportError,
  InvalidKeyError,
  MissingEnvKeyError,
  NetworkSettingError,
  StoredKeyError,
  UntrustedConfigError,
} from "../errors.js";
import { jsonText, oneLine } from "../safe-text.js";
import type { CommandContext } from "./context.js";
import { describeExpiry } from "./expiry.js";

export interface DoctorOptions extends Omit<CommandContext, "config"> {
  json: boolean;
  /** Skip the request to the provider. */
  offline: boolean;
}

/** "warning": works for codex, but worth knowing (what OpenAI's Codex CLI refuses); not counted as a problem. */
export type CheckStatus = "ok" | "problem" | "warning" | "skipped";

export interface DoctorCheck {
  /**
   * Stable name: config, settings, codex-cli, permissions, credential, places, environment, session, keyring,
   * lock, proxy, ca, reach, provider.
   */
  id: string;
  status: CheckStatus;
  /** What was found, in one line. */
  message: string;
  /** How to fix it (problems only). */
  fix?: string | undefined;
}

/** An OAuth session that cannot renew itself and ends within this is reported before it ends. */
const SOON_MS = 24 * 3_600_000;

const ok = (id: string, message: string): DoctorCheck => ({ id, status: "ok", message });
const skipped = (id: string, message: string): DoctorCheck => ({ id, status: "skipped", message });
const problem = (id: string, message: string, fix: string): DoctorCheck => ({ id, status: "problem", message, fix });
const warning = (id: string, message: string, fix: string): DoctorCheck => ({ id, status: "warning", message, fix });

/** What the checks learn along the way and pass on. */
interface Findings {
  env: Env;
  home: string;
  path: string;
  config: Config | undefined;
  account: Account | undefined;
  /** Why --profile or CODEX_PROFILE names no account (the settings check reports it). */
  accountError: CodexError | undefined;
  provider: { settings: ProviderSettings; model: string } | undefined;
  credential: ResolvedCredential | undefined;
  /** The credential breaks config.toml's sign-in restrictions: codex will not use it, so it is not sent. */
  ruledOut: boolean;
  /** The keyring, once asked: reachable, or why not. */
  keyring: { keyring: Keyring } | { error: string } | undefined;
  /**
   * What CODEX_HOME is: a directory, nothing yet, something else in its place, or behind a directory the user
   * may not enter (the config check says which, and what to do).
   */
  homeKind: "directory" | "missing" | "other" | "unreachable";
  /** The path the config check could not read: its cause is reported there, and no other check judges it. */
  unreadable: string | undefined;
  /** Profile files (other than the selected one) that do not load. */
  badProfiles: number;
  /** Hosts the network check found not answering: the provider check does not ask again. */
  unanswered: Set<string>;
  /** A proxy or CA variable codex cannot use: every request would fail with it, so none is sent. */
  networkUnusable: boolean;
}

export async function runDoctor(opts: DoctorOptions): Promise<ExitCode> {
  const checks = await diagnose(opts);
  const problems = checks.filter((c) => c.status === "problem").length;
  const { io } = opts;
  if (opts.json) {
    io.out(jsonText({ ok: problems === 0, problems, checks }));
    return problems === 0 ? 0 : 1;
  }
  for (const c of checks) {
    const mark = c.status === "ok" ? "✓" : c.status === "problem" ? "✗" : c.status === "warning" ? "!" : "-";
    // Messages can quote a server or another program: no control characters, and one line each.
    const message = oneLine(c.message, Number.MAX_SAFE_INTEGER);
    io.out(c.status === "problem" ? io.bold(`${mark} ${message}`) : `${mark} ${message}`);
    if (c.fix !== undefined) io.out(`    fix: ${oneLine(c.fix, Number.MAX_SAFE_INTEGER)}`);
  }
  io.out("");
  io.out(problems === 0 ? "No problems found." : `${problems} ${problems === 1 ? "problem" : "problems"} found.`);
  return problems === 0 ? 0 : 1;
}

/** Every check, in the order a user would fix things. */
export async function diagnose(opts: DoctorOptions): Promise<DoctorCheck[]> {
  const home = codexHome(opts.env);
  const f: Findings = {
    env: opts.env,
    home,
    path: configPath(home),
    config: undefined,
    account: undefined,
    accountError: undefined,
    provider: undefined,
    credential: undefined,
    ruledOut: false,
    keyring: undefined,
    homeKind: kindOfHome(home),
    unreadable: undefined,
    badProfiles: 0,
    unanswered: new Set(),
    networkUnusable: false,
  };
  const checks: DoctorCheck[] = [];
  checks.push(...(await checkConfig(f, opts.profile)));
  checks.push(...checkSettings(f));
  checks.push(...checkCodexCli(f));
  checks.push(...checkPermissions(f));
  // One story: while the credential check reports a problem, or could not look, no check gives a ✓ about
  // the credential (where it is stored, which variable supplies it).
  const credential = await checkCredential(f, opts.clock);
  checks.push(credential);
  const inUse = credential.status === "ok";
  checks.push(await checkPlaces(f, inUse));
  checks.push(await checkEnvironment(f, inUse));
  checks.push(checkSession(f, opts.clock()));
  checks.push(await checkKeyring(f));
  checks.push(checkLock(f));
  const targets = await destinations(f);
  const proxy = checkProxy(f, targets);
  const ca = checkCa(f);
  f.networkUnusable = proxy.status === "problem" || ca.status === "problem";
  checks.push(proxy, ca, await checkReach(f, opts, targets, !f.networkUnusable));
  checks.push(await checkProvider(f, opts));
  return checks;
}

function kindOfHome(home: string): Findings["homeKind"] {
  try {
    return statSync(home).isDirectory() ? "directory" : "other";
  } catch (err) {
    // ENOTDIR: a file above it, so it cannot be created either.
    return isCode(err, "ENOTDIR") ? "other" : isCode(err, "EACCES") ? "unreachable" : "missing";
  }
}

function homeIs(f: Findings): string {
  return f.homeKind === "unreachable" ? "cannot be reached" : "is not a directory";
}

async function checkConfig(f: Findings, profile: string | undefined): Promise<DoctorCheck[]> {
  try {
    f.account = selectAccount(f.env, profile);
  } catch (err) {
    if (!(err instanceof CodexError)) throw err;
    f.accountError = err;
  }
  let base: Config | undefined;
  try {
    base = await Config.load({ env: f.env });
    // A profile's file is laid over config.toml: one that does not parse stops the same checks.
    if (f.account !== undefined && f.account.name !== DEFAULT_ACCOUNT) {
      f.path = profilePath(f.home, f.account.name);
      f.config = base.view(f.account.name);
    } else f.config = base;
  } catch (err) {
    if (!(err instanceof CodexError)) throw err;
    if (err instanceof ConfigAccessError) f.unreadable = err.path;
    return [unloadable(err, f.path, "")];
  }
  const files = f.config.layers.map((c) => (c.exists ? `${c.path} parses` : `no ${c.path} yet`));
  const found = [
    ok("config", `${files.join("; ")}${f.config.exists || base?.exists ? "" : ": codex uses its defaults"}`),
  ];
  // The other profiles' files: `codex status --all` and `codex logout --all` read them all, and stop at the
  // first that does not load.
  for (const name of profileFiles(f.home)) {
    if (name === f.account?.name) continue;
    try {
      base.view(name);
    } catch (err) {
      if (!(err instanceof CodexError)) throw err;
      f.badProfiles++;
      const uses = `\`codex --profile ${name}\`, \`codex status --all\` and \`codex logout --all\` stop at it`;
      found.push(unloadable(err, profilePath(f.home, name), ` (${uses})`));
    }
  }
  return found;
}

/** A config file that did not load: what is wrong with it (`note` added), and the fix for that cause. */
function unloadable(err: CodexError, path: string, note: string): DoctorCheck {
  if (!(err instanceof ConfigAccessError)) {
    return problem(
      "config",
      `${err.message}${note}`,
      err.code === "CONFIG_PARSE"
        ? `correct ${path} at that line (codex will not change a file it cannot parse)`
        : "correct the file",
    );
  }
  const syscall = err.syscallCode;
  const fix =
    err.fix ??
    (syscall === NOT_REGULAR
      ? `replace ${path} with a regular file (a symbolic link to one is fine)`
      : syscall === TOO_LARGE
        ? `remove what does not belong in ${path}`
        : syscall === "EACCES"
          ? unreadableFix(err.path)
          : `make ${path} readable by you`);
  return problem("config", `${err.problem}${note}`, fix);
}

/**
 * Permission denied: on a directory above the file, which the user may not enter; on the file, another
 * user's (chown), or the user's own with no read bit (chmod).
 */
function unreadableFix(path: string): string {
  const uid = process.getuid?.();
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    const closed = closedDirectoryAbove(path);
    return closed === undefined
      ? `make ${path} and the directories above it readable by you`
      : `use a CODEX_HOME of your own: you may not enter ${closed.path} (owner uid ${closed.uid}, mode ${closed.mode.toString(8).padStart(4, "0")})`;
  }
  if (uid !== undefined && st.uid !== uid) {
    return `sudo chown ${userName(uid)} ${path} (it belongs to uid ${st.uid}), or use a CODEX_HOME of your own`;
  }
  return `chmod 600 ${path}`;
}

/** The directory whose search permission stops the user reaching `path`: the nearest above it they can stat. */
function closedDirectoryAbove(path: string): { path: string; uid: number; mode: number } | undefined {
  const found = nearestAbove(path, () => true);
  return found === undefined ? undefined : { path: found.path, uid: found.stat.uid, mode: found.stat.mode & 0o7777 };
}

function userName(uid: number): string {
  try {
    return userInfo().username;
  } catch {
    return String(uid);
  }
}

/** The settings commands need: the account, the provider and model, where logins store, [oauth]. */
function checkSettings(f: Findings): DoctorCheck[] {
  const config = f.config;
  if (f.accountError !== undefined) {
    return [problem("settings", f.accountError.message, "give a profile name: letters, digits, '-' or '_'")];
  }
  if (config === undefined) return [skipped("settings", `settings not checked: ${basename(f.path)} did not load`)];
  const problems: DoctorCheck[] = [];
  const attempt = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof CodexError)) throw err;
      problems.push(
        err instanceof InsecureTransportError
          ? problem("settings", err.problem, err.fix)
          : problem("settings", err.message, "correct the setting; `codex --help` and docs/cli.md list them"),
      );
      return undefined;
    }
  };
  const selection = attempt(() => selectModel(config, f.env));
  if (selection !== undefined) f.provider = { settings: selection.provider, model: selection.model };
  const cleartext = selection === undefined ? undefined : cleartextRefusal(selection.provider);
  if (cleartext !== undefined) problems.push(problem("settings", cleartext.problem, cleartext.fix));
  const store = attempt(() => storeSetting(config));
  attempt(() => credentialSourceSetting(config));
  attempt(() => oauthSettings(config));
  attempt(() => loginRestrictions(config));
  if (f.account !== undefined) {
    const acct = f.account;
    attempt(() => authCommand(config, acct));
  }
  if (problems.length > 0) return problems;
  const account = f.account?.name === "default" ? "" : `account ${f.account?.name}, `;
  const where =
    store === "file" ? "config.toml" : store === "keyring" ? "the system keyring" : "the keyring when it answers";
  return [
    ok(
      "settings",
      `settings are valid: ${account}model ${f.provider?.model} at ${f.provider?.settings.name} (${f.provider?.settings.baseUrl}); \`codex login\` stores the credential in ${where}`,
    ),
  ];
}

/** OpenAI's Codex CLI's own providers (model-provider-info), which a [model_providers.ID] table may not redefine. */
const BUILT_IN_PROVIDERS = ["openai", "ollama", "lmstudio"];
/** codex's keys in a provider's table, which the real Codex ignores (they alone do not redefine it). */
const CODEX_IGNORES = ["allow_insecure_http", "request_timeout_ms"];

/**
 * What OpenAI's Codex CLI (0.134 and later), which shares this CODEX_HOME, refuses: the legacy `profile = "…"`
 * selector (it loads no config with it), each `[profiles.NAME]` table (it refuses `--profile NAME` beside it),
 * a table redefining one of its built-in providers or a provider without a name (it loads no config with
 * either), and `wire_api = "chat"` (likewise, in config.toml or in the profile it is given).
 */
function checkCodexCli(f: Findings): DoctorCheck[] {
  const config = f.config;
  if (config === undefined) return [skipped("codex-cli", `not checked: ${basename(f.path)} did not load`)];
  const base = config.base;
  const found: DoctorCheck[] = [];
  const refusals = [selectorRefusal(config), ...legacyProfiles(config).map((name) => legacyTableRefusal(config, name))];
  for (const r of refusals) if (r !== undefined) found.push(problem("codex-cli", r.problem, r.fix));
  // Each file's own tables: a profile's view would show config.toml's too, and name them twice.
  for (const file of config.layers) {
    const providers = file.own("model_providers");
    if (typeof providers !== "object" || providers === null || Array.isArray(providers)) continue;
    for (const [id, p] of Object.entries(providers as Record<string, unknown>)) {
      const table = typeof p === "object" && p !== null ? (p as Record<string, unknown>) : {};
      const shown = oneLine(id, 64);
      // Codex's built-in providers cannot be redefined: a table setting any of Codex's keys for one is refused.
      if (BUILT_IN_PROVIDERS.includes(id) && Object.keys(table).some((k) => !CODEX_IGNORES.includes(k))) {
        found.push(
          problem(
            "codex-cli",
            `${file.path} has a [model_providers.${shown}] table: OpenAI's Codex CLI refuses to load it ("model_providers contains reserved built-in provider IDs: \`${shown}\`")`,
            id === "openai"
              ? 'set the built-in provider\'s URL with openai_base_url = "…" at the top level instead (codex reads it too), and remove the table'
              : `give it an id of your own (e.g. [model_providers.local], and model_provider = "local")`,
          ),
        );
      } else if (!BUILT_IN_PROVIDERS.includes(id) && (typeof table.name !== "string" || table.name.trim() === "")) {
        found.push(
          problem(
            "codex-cli",
            `model_providers.${shown} in ${file.path} has no name: OpenAI's Codex CLI refuses to load it ("provider name must not be empty")`,
            `add name = "…" to [model_providers.${shown}] (what status shows as the provider)`,
          ),
        );
      }
      if (table.wire_api !== "chat") continue;
      found.push(
        warning(
          "codex-cli",
          `model_providers.${shown}.wire_api = "chat" in ${file.path}: codex speaks Chat Completions to it, but OpenAI's Codex CLI refuses to load a config with it (it says wire_api = "chat" is no longer supported)`,
          file === base
            ? `if you also use OpenAI's Codex CLI, move this provider into a profile file (e.g. ${profilePath(base.home, "chat")}, used with \`codex --profile chat\`), which it reads only when given that profile; or use a server that speaks the Responses API (wire_api = "responses")`
            : `only \`--profile ${config.profile}\` loads it; OpenAI's Codex CLI refuses that profile, not config.toml`,
        ),
      );
    }
  }
  if (found.length > 0) return found;
  const profiles = profileFiles(base.home).length - f.badProfiles;
  return [
    ok(
      "codex-cli",
      `nothing here that OpenAI's Codex CLI refuses${profiles > 0 ? ` (${profiles} profile ${profiles === 1 ? "file" : "files"})` : ""}`,
    ),
  ];
}

/** Modes: the directory 0700, files holding credentials 0600, and owned by the user running codex. */
function checkPermissions(f: Findings): DoctorCheck[] {
  // The config check names what is there instead; modes of a file where the directory should be mean nothing.
  if (f.homeKind === "other" || f.homeKind === "unreachable") {
    return [skipped("permissions", `permissions not checked: ${f.home} ${homeIs(f)}`)];
  }
  const found: DoctorCheck[] = [];
  const octal = (mode: number) => mode.toString(8).padStart(4, "0");
  const uid = process.getuid?.();
  // Before the modes: someone else may have written the settings, which matters more than who can read them.
  const untrusted = f.config === undefined ? undefined : trustProblem(f.config);
  let trust = untrusted === undefined ? undefined : problem("permissions", untrusted.problem, untrusted.fix);
  if (trust !== undefined) found.push(trust);
  let seen = 0;
  const look = (path: string, kind: "directory" | "file", wanted: number, rewritten = false) => {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(path);
    } catch {
      return;
    }
    // What the config check could not read, or something other than what belongs there, is reported by the
    // config check, with its real cause; its mode is beside the point.
    if (path === f.unreadable || (kind === "directory" ? !st.isDirectory() : !st.isFile())) return;
    seen++;
    const mode = st.mode & 0o777;
    // Owned by someone else and so not trusted: the trust problem above says so, with its chown.
    const ownerReported = untrusted?.path === path && untrusted.fix.startsWith("sudo chown ");
    if (uid !== undefined && st.uid !== uid && !ownerReported) {
      found.push(
        problem(
          "permissions",
          `${path} belongs to another user (uid ${st.uid}), so codex cannot keep it private`,
          `chown ${uid} ${path} (or use a CODEX_HOME of your own)`,
        ),
      );
    }
    if ((mode & 0o077) !== 0) {
      const chmod = `chmod ${octal(wanted).slice(1)} ${path}${rewritten ? " (codex also does this on its next write)" : ""}`;
      // One mode, one problem: a file others can write (not trusted) and read is fixed by the one chmod.
      if (trust !== undefined && untrusted?.path === path && untrusted.fix.startsWith("chmod ")) {
        const merged = { ...trust, fix: chmod };
        found[found.indexOf(trust)] = merged;
        trust = merged;
        return;
      }
      const who = (mode & 0o007) !== 0 ? "other users" : "its group";
      found.push(
        problem(
          "permissions",
          `${path} can be ${kind === "directory" ? "listed" : "read"} by ${who} (mode ${octal(mode)}, should be ${octal(wanted)})`,
          chmod,
        ),
      );
    }
  };
  look(f.home, "directory", 0o700);
  for (const path of f.config?.layers.map((c) => c.path) ?? [f.path]) look(path, "file", 0o600, true);
  const codexAuth = findCodexAuth(f.home);
  if (codexAuth !== undefined) look(codexAuth.path, "file", 0o600);
  if (found.length > 0) return found;
  if (seen === 0) return [ok("permissions", `no ${f.home} yet: codex creates it private to you (0700)`)];
  return [ok("permissions", `${f.home} and the files in it are private to you`)];
}

async function checkCredential(f: Findings, clock: () => Date): Promise<DoctorCheck> {
  if (f.config === undefined) return skipped("credential", `credential not checked: ${basename(f.path)} did not load`);
  if (f.account === undefined) {
    return skipped("credential", "credential not checked: the settings it depends on are broken");
  }
  const provider = providerAuth(f);
  try {
    f.credential = await resolveCredential(f.config, f.env, { provider, clock, account: f.account });
  } catch (err) {
    if (err instanceof MissingEnvKeyError && err.ignoredBy !== undefined) {
      return problem(
        "credential",
        `the provider \`${oneLine(err.provider, 64)}\` reads its key only from ${err.variable}, which is set but ignored: credential_source = "stored" in ${err.ignoredBy}`,
        `set credential_source = "auto" in ${f.config.view(f.account.name).path} for this account, or choose another provider with model_provider`,
      );
    }
    // An invalid credential_source: the settings check names it and its fix.
    if (err instanceof ConfigValueError && err.key === "credential_source") {
      return skipped("credential", "credential not checked: the settings it depends on are broken");
    }
    if (err instanceof MissingEnvKeyError) {
      return problem(
        "credential",
        `the provider \`${oneLine(err.provider, 64)}\` reads its key only from ${err.variable}, which is not set; no other credential is sent to it`,
        `set ${err.variable} (\`export ${err.variable}=…\`), or choose another provider with model_provider in config.toml`,
      );
    }
    if (!(err instanceof CodexError)) throw err;
    // The permissions check reports the file others can change, with its fix: said once, there.
    if (err instanceof UntrustedConfigError) {
      return skipped(
        "credential",
        "credential not read: codex does not run an auth_command named by a file others can change (see the permissions check)",
      );
    }
    const fix =
      err instanceof StoredKeyError
        ? err.fix
        : err instanceof InvalidKeyError
          ? "correct the variable, or unset it to use the credential codex stores"
          : fixForUnreadable(f);
    return problem("credential", `the credential could not be read: ${err.message}`, fix);
  }
  const login = f.account.name === "default" ? "codex login" : `codex login --profile ${f.account.name}`;
  if (f.credential === undefined) {
    const note = await recordedNote(f.config, f.account, f.env);
    if (note !== undefined) {
      return problem(
        "credential",
        `config.toml says the credential is in the ${note.place}, and the ${note.medium} has no usable entry for it`,
        `run \`${login}\` to sign in again`,
      );
    }
    // The selected provider's own variable; none named while the provider setting is broken (it may have one).
    const variable = f.provider === undefined ? undefined : tokenEnvVars(provider).at(-1);
    return problem(
      "credential",
      "not logged in",
      `run \`${login}\`${variable === undefined ? "" : ` (or set ${variable})`}`,
    );
  }
  const c = f.credential;
  const kind =
    c.method === "api_key" ? "an API key" : c.oauth?.protocol === "openai" ? "a ChatGPT sign-in" : "an OAuth session";
  const described = `${kind} (${maskToken(c.token, c.method !== "oauth")}) from ${sourceName(c.source)}`;
  let breach: Breach | undefined;
  try {
    breach = restrictionBreach(f.config, provider, c);
  } catch (err) {
    if (!(err instanceof CodexError)) throw err;
    return problem("credential", err.message, "correct the setting in config.toml");
  }
  if (breach !== undefined) {
    f.ruledOut = true;
    return problem("credential", `${described}, which codex will not use: ${breach.reason}`, breach.fix);
  }
  return ok("credential", described);
}

/** The selected provider's rule for credentials; the built-in one while the provider setting is broken. */
function providerAuth(f: Findings): ProviderAuth {
  return f.provider?.settings ?? OPENAI_AUTH;
}

function fixForUnreadable(f: Findings): string {
  const command = f.config && f.account ? authCommand(f.config, f.account) : undefined;
  // The program's name only: its arguments may carry a secret (a Vault token), and doctor's output gets pasted.
  if (command !== undefined) {
    return `run the auth_command in ${f.path} (\`${commandName(command)} …\`) yourself to see why it fails`;
  }
  return "see the keyring check below; once the keyring answers, codex reads the credential again";
}

function sourceName(source: CredentialSource): string {
  switch (source.type) {
    case "env":
      return `the environment variable ${source.variable}`;
    case "file":
      return source.path;
    case "keyring":
      return `the ${source.name}`;
    case "command":
      return `the auth_command \`${source.command}\``;
  }
}

/**
 * A credential for this account kept in more than one place: the copies codex does not use linger. Nothing
 * stored, or one copy codex does not use (the credential check says why), is not a ✓: it is not fine, and
 * not this check's problem.
 */
async function checkPlaces(f: Findings, inUse: boolean): Promise<DoctorCheck> {
  if (f.config === undefined || f.account === undefined) return skipped("places", "stored credentials not checked");
  const config = f.config;
  const acct = f.account;
  const places: string[] = [];
  const command = authCommand(config, acct);
  if (command !== undefined) places.push(`auth_command \`${commandName(command)}\``);
  // Every store, asked even where config.toml records nothing: a copy codex lost track of lingers too.
  for (const store of (await accountStores(config, acct, f.env, { every: true })).stores) {
    try {
      if ((await store.get(config)) !== undefined) places.push(store.describe(config));
    } catch (err) {
      if (!(err instanceof CodexError)) throw err;
      // It cannot be looked in (the keyring check says why), but config.toml records that the credential is there.
      const recorded = store.recorded(config);
      if (recorded !== undefined)
        places.push(`${sourceName(recorded.source)} (as config.toml records; it does not answer)`);
    }
  }
  if (acct.name === "default" && findCodexAuth(f.home)?.hasCredential) {
    places.push(`${findCodexAuth(f.home)?.path} (OpenAI's Codex CLI)`);
  }
  if (places.length === 0) return skipped("places", "no credential stored");
  if (places.length === 1) {
    const one = `credential found in one place: ${places[0]}`;
    return inUse ? ok("places", one) : skipped("places", one);
  }
  const used = f.credential === undefined ? "none of them" : sourceName(f.credential.source);
  return problem(
    "places",
    `a credential is found in ${places.length} places: ${places.join(", ")}; codex uses ${used}`,
    "remove the copies you do not use: `codex logout` removes codex's own (config.toml and keyring) and `codex logout --all` also auth.json; an auth_command is yours to remove from config.toml",
  );
}

/**
 * A variable in the environment hides the stored credential, or another variable. Variables the provider
 * does not take are named as such: they are not sent to it. What is found is a ✓ only beside a credential
 * in use; otherwise the credential check says what is wrong, and this one only what it found.
 */
async function checkEnvironment(f: Findings, inUse: boolean): Promise<DoctorCheck> {
  const provider = providerAuth(f);
  const set = tokenEnvVarsSet(f.env, provider);
  let storedOnly: string | undefined;
  try {
    if (f.config !== undefined && credentialSourceSetting(f.config) === "stored") {
      storedOnly = f.config.origin("credential_source");
    }
  } catch {
    // The settings check reports it.
  }
  if (storedOnly !== undefined && set.length > 0) {
    const which = `${set.join(" and ")} ${set.length === 1 ? "is" : "are"}`;
    const ignoring = `${which} set but not used: credential_source = "stored" in ${storedOnly}`;
    // With env_key the credential check says what that leaves the provider with.
    return provider.envKey === undefined && inUse ? ok("environment", ignoring) : skipped("environment", ignoring);
  }
  const ignored = ignoredEnvVars(f.env, provider);
  const unused =
    ignored.length === 0
      ? ""
      : `; ${ignored.join(" and ")} ${ignored.length === 1 ? "is" : "are"} set but not sent to it${
          provider.envKey === undefined ? " (OpenAI's keys go only to providers with requires_openai_auth = true)" : ""
        }`;
  const found = (message: string) => (inUse ? ok("environment", message) : skipped("environment", message));
  if (provider.envKey !== undefined) {
    // Not set: the credential check reports it, with the export to run.
    return set.length === 0
      ? skipped("environment", `${provider.envKey} is not set (see the credential check)${unused}`)
      : found(
          `${provider.envKey} is set: provider \`${oneLine(provider.id, 64)}\` uses it, and no other credential${unused}`,
        );
  }
  if (set.length === 0) {
    const variables = tokenEnvVars(provider);
    if (inUse) {
      const none =
        variables.length === 0
          ? `provider \`${oneLine(provider.id, 64)}\` takes no key from the environment: codex uses what is stored`
          : "no API key variable set: codex uses what is stored";
      return ok("environment", `${none}${unused}`);
    }
    // Which variables would count is the selected provider's to say; unknown while its setting is broken.
    const none =
      variables.length === 0
        ? `provider \`${oneLine(provider.id, 64)}\` takes no key from the environment`
        : `no API key variable set${f.provider === undefined ? "" : ` (${variables.join(" or ")})`}`;
    return skipped("environment", `${none}${unused}`);
  }
  const [winner, ...others] = set as [string, ...string[]];
  const hidden: string[] = [...others];
  if (f.config !== undefined && f.account !== undefined) {
    if (authCommand(f.config, f.account) !== undefined) hidden.push("the auth_command in config.toml");
    // The strongest store config.toml records; only the file's credential is read (for its masked hint).
    const stores = await accountReaders(f.config, f.account, f.env, { command: false });
    const recorded = stores.map((store) => store.recorded()).find((r) => r !== undefined);
    const stored = recorded?.credential;
    if (recorded !== undefined) {
      hidden.push(
        `the credential ${describeSource(recorded.source)}${stored === undefined ? "" : ` (${maskToken(stored.token, stored.oauth === undefined)})`}`,
      );
    }
  }
  if (hidden.length === 0) return found(`${winner} is set: codex uses it`);
  return problem(
    "environment",
    `${winner} is set, so codex uses it and not ${hidden.join(", nor ")}`,
    `unset ${winner} to use ${hidden[0]?.startsWith("the ") ? hidden[0] : "the other one"}, or \`codex logout\` to remove what is stored`,
  );
}

function checkSession(f: Findings, now: Date): DoctorCheck {
  const session = f.credential?.oauth;
  if (session === undefined) return skipped("session", "no OAuth session in use");
  const login =
    f.account?.name === "default" || f.account === undefined
      ? "codex login"
      : `codex login --profile ${f.account.name}`;
  const cleartext = f.config === undefined ? undefined : sessionIssuerRefusal(f.config, session.issuer);
  if (cleartext !== undefined) return problem("session", cleartext.problem, cleartext.fix);
  if (sessionEnded(session, now)) {
    return problem(
      "session",
      session.endedAt !== undefined
        ? `the OAuth session at ${session.issuer} has ended (the server no longer accepts it)`
        : `the OAuth access token expired ${describeExpiry(session.expiresAt as Date, now)} and there is no refresh token to renew it`,
      `run \`${login}\` to sign in again`,
    );
  }
  const expires = session.expiresAt;
  if (session.refreshToken === undefined && expires !== undefined && expires.getTime() - now.getTime() < SOON_MS) {
    return problem(
      "session",
      `the OAuth access token expires ${describeExpiry(expires, now)} and cannot be renewed (no refresh token)`,
      `run \`${login}\` before then`,
    );
  }
  return ok(
    "session",
    session.refreshToken !== undefined
      ? `the OAuth session at ${session.issuer} renews itself${expires ? ` (access token expires ${describeExpiry(expires, now)})` : ""}`
      : `the OAuth session at ${session.issuer} is valid${expires ? ` until ${expires.toISOString()}` : ""}`,
  );
}

/** Asks the keyring once for nothing of consequence (listing our entries): reachable, or why not. */
async function askKeyring(f: Findings): Promise<NonNullable<Findings["keyring"]>> {
  if (f.keyring !== undefined) return f.keyring;
  try {
    const keyring = await loadKeyring(f.env);
    await keyring.list();
    f.keyring = { keyring };
  } catch (err) {
    if (!(err instanceof CodexError)) throw err;
    f.keyring = { error: err.message };
  }
  return f.keyring;
}

async function checkKeyring(f: Findings): Promise<DoctorCheck> {
  const answer = await askKeyring(f);
  let needed: string | undefined;
  if (f.config !== undefined) {
    let setting: string | undefined;
    try {
      setting = storeSetting(f.config);
    } catch {
      setting = undefined;
    }
    if (setting === "keyring") needed = 'config.toml says cli_auth_credentials_store = "keyring"';
    else if (f.account !== undefined && recordedStorage(f.config, f.account) === "keyring") {
      needed = "the credential is stored there";
    }
  }
  if ("keyring" in answer) return ok("keyring", `the ${answer.keyring.name} answers`);
  if (needed === undefined) return skipped("keyring", `${answer.error} (not needed: nothing is stored there)`);
  return problem(
    "keyring",
    `${answer.error} (and ${needed})`,
    'start or unlock the keyring (e.g. gnome-keyring in a desktop session), or store credentials in config.toml: cli_auth_credentials_store = "file"',
  );
}

function checkLock(f: Findings): DoctorCheck {
  // No lock can be there; the config check says what is in CODEX_HOME's place.
  if (f.homeKind === "other" || f.homeKind === "unreachable") {
    return skipped("lock", `lock not checked: ${f.home} ${homeIs(f)}`);
  }
  let target = f.path;
  try {
    target = resolveTarget(f.path);
  } catch {}
  // Beside the file config.toml links to, where codex takes it.
  const path = lockPath(target);
  let lock: ReturnType<typeof inspectLock>;
  try {
    lock = inspectLock(path);
  } catch (err) {
    if (!(err instanceof CodexError)) throw err;
    return problem("lock", err.message, `remove ${path} if no codex is running`);
  }
  if (lock === undefined) return ok("lock", `no lock file: no codex is updating ${basename(f.path)}`);
  const holder = lock.holder;
  const who =
    holder === undefined
      ? "no process (it is empty)"
      : `process ${holder.pid}${holder.host === hostname() ? "" : ` on ${holder.host}`}`;
  if (!lock.abandoned) return ok("lock", `${path} is held by ${who}, a codex updating config.toml now`);
  const why =
    holder !== undefined && holder.host === hostname() && lock.ageMs <= 30_000 && lock.ageMs >= -30_000
      ? `left by ${who}, which is no longer running`
      : `left by ${who}, ${Math.round(Math.abs(lock.ageMs) / 1000)} s ${lock.ageMs < 0 ? "in the future" : "ago"}`;
  return problem(
    "lock",
    `${path} was ${why}`,
    `nothing is blocked (the next codex takes it over), but you can remove it: rm ${path}`,
  );
}

async function checkProvider(f: Findings, opts: DoctorOptions): Promise<DoctorCheck> {
  if (opts.offline) return skipped("provider", "provider not contacted (--offline)");
  const provider = f.provider;
  if (provider === undefined || f.config === undefined)
    return skipped("provider", "provider not checked: its settings are broken");
  if (cleartextRefusal(provider.settings) !== undefined) {
    return skipped(
      "provider",
      `provider ${provider.settings.baseUrl} not contacted: the credential would travel unencrypted (see the settings check)`,
    );
  }
  // Checking sends the credential to base_url, which config.toml decides; the permissions check says why not.
  if (trustProblem(f.config, "credential") !== undefined) {
    return skipped("provider", `provider ${provider.settings.baseUrl} not checked: config.toml is not trusted`);
  }
  const { Client } = await import("../api/client.js");
  if (f.credential === undefined) {
    return skipped("provider", `provider ${provider.settings.baseUrl} not checked: no credential to check`);
  }
  // One cause, one problem: codex sends nothing with a session it knows has ended, so the session check
  // has already said all there is to say.
  if (f.credential.oauth !== undefined && sessionEnded(f.credential.oauth, opts.clock())) {
    return skipped("provider", `provider ${provider.settings.baseUrl} not checked: the OAuth session has ended`);
  }
  // An administrator who restricts sign-in means the credential goes nowhere, a check included.
  if (f.ruledOut) {
    return skipped("provider", "provider not checked: config.toml's sign-in restrictions rule out the credential");
  }
  const { providerFor } = await import("../api/open.js");
  let destination: ProviderSettings;
  try {
    destination = providerFor(f.config, provider.settings, f.credential);
  } catch (err) {
    if (err instanceof InsecureTransportError) return problem("provider", err.problem, err.fix);
    if (!(err instanceof CodexError)) throw err;
    return problem(
      "provider",
      err.message,
      "sign in again with `codex login`, or give the provider its own credential",
    );
  }
  if (f.networkUnusable) {
    return skipped(
      "provider",
      `provider ${provider.settings.baseUrl} not checked: the proxy or CA settings are not usable`,
    );
  }
  const host = new URL(destination.baseUrl).host;
  if (f.unanswered.has(host)) {
    return skipped(
      "provider",
      `provider ${provider.settings.baseUrl} not checked: ${host} does not answer (see above)`,
    );
  }
  const client = new Client({
    provider: destination,
    model: provider.model,
    credential: f.credential,
    fetch: opts.fetch,
    clock: opts.clock,
  });
  const check = await client.check();
  switch (check.result) {
    case "valid":
      return ok("provider", `${check.host} accepts the credential (${new URL(check.url).pathname})`);
    case "rejected":
      return problem(
        "provider",
        check.message,
        "sign in again with `codex login`, or put a valid key where codex takes it from",
      );
    case "unreachable":
      return problem("provider", check.message, `check your network and base_url (${provider.settings.baseUrl})`);
    default:
      return problem(
        "provider",
        check.message,
        `check base_url (${provider.settings.baseUrl}) and what the key may do`,
      );
  }
}

// ---------------------------------------------------------------------------------------------------------
// The network: proxies, CA files, and whether the hosts answer through them

interface Destination {
  what: string;
  url: URL;
}

/** Where codex's requests go: the provider (where the provider check would ask) and the sign-in server. */
async function destinations(f: Findings): Promise<Destination[]> {
  const out: Destination[] = [];
  // Only where codex would send a request: the provider when there is a credential for it, and neither
  // host when config.toml is not trusted to name it or the request would go over plain http:// to another
  // machine (the settings and permissions checks say why). With none of them, no request leaves.
  if (f.config === undefined || trustProblem(f.config, "credential") !== undefined) return out;
  if (
    f.provider !== undefined &&
    f.credential !== undefined &&
    !f.ruledOut &&
    cleartextRefusal(f.provider.settings) === undefined
  ) {
    const { providerFor } = await import("../api/open.js");
    let base: string;
    try {
      base = providerFor(f.config, f.provider.settings, f.credential).baseUrl;
    } catch (err) {
      // The credential cannot go to this provider (the provider check says why): nothing is sent anywhere.
      if (!(err instanceof CodexError)) throw err;
      return [];
    }
    out.push({ what: "the provider", url: new URL(base) });
  }
  // The issuer of the session in use; else the one `codex login` would use, when config.toml names one.
  let issuer = f.credential?.oauth?.issuer;
  if (issuer === undefined && f.config?.get("oauth") !== undefined) {
    try {
      issuer = oauthSettings(f.config).issuer;
    } catch (err) {
      if (!(err instanceof CodexError)) throw err;
    }
  }
  if (issuer !== undefined && sessionIssuerRefusal(f.config, issuer) === undefined) {
    out.push({ what: "the sign-in server", url: new URL(issuer) });
  }
  return out;
}

/** How a request to `url` goes, in words. */
function route(url: URL, env: Env): string {
  const decision = proxyDecision(url, env);
  if ("proxy" in decision) return `through ${decision.proxy.shown} (${decision.proxy.variable})`;
  if (decision.direct === undefined) return `directly (no proxy variable for ${url.protocol.slice(0, -1)})`;
  if (decision.direct.by === "loopback") return "directly (this machine is never reached through a proxy)";
  return `directly (${decision.direct.variable} lists ${decision.direct.entry})`;
}

/** A NetworkSettingError as a problem: what is wrong, then what to do. */
function settingProblem(id: string, err: NetworkSettingError): DoctorCheck {
  const [what, ...fix] = err.message.split("; ");
  return problem(id, what ?? err.message, fix.join("; "));
}

/** The proxy variables set (a proxy's user name and password never shown), and which proxy each host takes. */
function checkProxy(f: Findings, targets: Destination[]): DoctorCheck {
  const set = PROXY_VARIABLES.filter((name) => f.env[name]);
  if (set.length === 0) {
    return ok(
      "proxy",
      "no proxy variable is set (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY): requests go straight to their hosts",
    );
  }
  const shown: string[] = [];
  for (const name of set) {
    const value = f.env[name] as string;
    if (name === "no_proxy" || name === "NO_PROXY") {
      shown.push(`${name}=${oneLine(value, 200)}`);
      continue;
    }
    try {
      const proxy = parseProxy(name, value);
      shown.push(`${name}=${proxy.shown}${proxy.authorization ? " (with a user name and password, not shown)" : ""}`);
    } catch (err) {
      if (!(err instanceof NetworkSettingError)) throw err;
      return settingProblem("proxy", err);
    }
  }
  const routes = targets.map((t) => `${t.what} (${t.url.host}) ${route(t.url, f.env)}`);
  return ok("proxy", [`proxy variables: ${shown.join(", ")}`, ...routes].join("; "));
}

/** The CA variables and their files: readable, and how many certificates each holds. */
function checkCa(f: Findings): DoctorCheck {
  const custom = customCaVariable(f.env);
  const files: Array<[string, string]> = [];
  if (custom !== undefined) files.push([custom.variable, custom.path]);
  if (f.env.NODE_EXTRA_CA_CERTS) files.push(["NODE_EXTRA_CA_CERTS", f.env.NODE_EXTRA_CA_CERTS]);
  if (files.length === 0) {
    return ok(
      "ca",
      "no CA variable is set (CODEX_CA_CERTIFICATE, SSL_CERT_FILE, NODE_EXTRA_CA_CERTS): https trusts Node's own CA roots",
    );
  }
  const parts: string[] = [];
  for (const [variable, path] of files) {
    try {
      const n = readCaFile(variable, path).certificates.length;
      parts.push(`${variable}=${oneLine(path, 300)} (${n} ${n === 1 ? "certificate" : "certificates"})`);
    } catch (err) {
      if (!(err instanceof NetworkSettingError)) throw err;
      return settingProblem("ca", err);
    }
  }
  const unused =
    custom?.variable === "CODEX_CA_CERTIFICATE" && f.env.SSL_CERT_FILE
      ? "; SSL_CERT_FILE is not used (CODEX_CA_CERTIFICATE comes first)"
      : "";
  return ok("ca", `https trusts Node's own CA roots and ${parts.join(" and ")}${unused}`);
}

/** How long doctor waits for each host. */
const REACH_TIMEOUT_MS = 10_000;

/**
 * Whether the provider's and the sign-in server's hosts answer, through the proxy and CA files above: one
 * GET of `/` without any credential, any HTTP answer counting. A host on this machine is left to the
 * provider check (no proxy or DNS stands between).
 */
async function checkReach(
  f: Findings,
  opts: DoctorOptions,
  targets: Destination[],
  usable: boolean,
): Promise<DoctorCheck> {
  if (opts.offline) return skipped("reach", "network not checked (--offline)");
  if (!usable) return skipped("reach", "network not checked: the proxy or CA settings above are not usable");
  const remote = targets.filter(
    (t, i) => !isLoopbackHost(t.url.hostname) && targets.findIndex((o) => o.url.origin === t.url.origin) === i,
  );
  if (remote.length === 0) {
    return skipped(
      "reach",
      targets.length === 0
        ? "network not checked: no provider or sign-in server to reach"
        : "network not checked: the hosts are on this machine (the provider check asks the provider)",
    );
  }
  const results = await Promise.all(
    remote.map(async (t) => {
      try {
        const response = await opts.fetch(new URL("/", t.url.origin), {
          method: "GET",
          headers: { accept: "*/*", "user-agent": "codex doctor" },
          signal: AbortSignal.timeout(REACH_TIMEOUT_MS),
          redirect: "manual",
        });
        await response.body?.[Symbol.asyncIterator]().return?.();
        return { t, status: response.status };
      } catch (err) {
        return { t, failure: networkFailure(err) };
      }
    }),
  );
  const failed = results.filter((r) => r.failure !== undefined);
  if (failed.length === 0) {
    return ok(
      "reach",
      results.map((r) => `${r.t.url.host} answers (HTTP ${r.status}) ${route(r.t.url, f.env)}`).join("; "),
    );
  }
  for (const r of failed) f.unanswered.add(r.t.url.host);
  return problem(
    "reach",
    failed.map((r) => `${r.t.what} ${r.t.url.host} does not answer: ${r.failure?.why}`).join("; "),
    failed[0]?.failure?.fix ?? "check your network",
  );
}
