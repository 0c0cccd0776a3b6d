/**
 * Typed errors. Every failure the user can cause or fix is one of these: it carries a stable `code` that
 * callers (and tests) branch on, and the process exit code the CLI uses. The CLI prints `message` as one
 * line and never a stack trace unless `--debug` is given, so messages must be complete sentences that say
 * what to do, and must never contain a secret.
 */

import { oneLine } from "./safe-text.js";

/** Exit codes, as documented in docs/authentication.md. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  authRequired: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class CodexError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;

  constructor(code: string, message: string, exitCode: ExitCode = ExitCode.failure, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** config.toml is not valid TOML (or not UTF-8). `line` and `column` are 1-based. */
export class ConfigParseError extends CodexError {
  readonly path: string;
  readonly line: number;
  readonly column: number;
  readonly reason: string;

  constructor(path: string, line: number, column: number, reason: string) {
    super("CONFIG_PARSE", `${path}:${line}:${column}: ${reason}`);
    this.path = path;
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}

/**
 * The config file or its directory cannot be read or written (EACCES, EISDIR, ENOSPC, …). When the cause is
 * something in the way that the user can remove (a directory where a file should be, a file where CODEX_HOME
 * should be), `problem` and `fix` say it apart, for `codex doctor`; `message` is both, for one line.
 */
export class ConfigAccessError extends CodexError {
  readonly path: string;
  readonly syscallCode: string | undefined;
  /** What is wrong: the message without its fix. */
  readonly problem: string;
  /** What to do, naming the path (it stands alone); undefined when there is no better fix than the message. */
  readonly fix: string | undefined;

  constructor(
    path: string,
    message: string,
    syscallCode?: string,
    options?: ErrorOptions & { problem?: string; fix?: string },
  ) {
    super("CONFIG_ACCESS", message, ExitCode.failure, options);
    this.path = path;
    this.syscallCode = syscallCode;
    this.problem = options?.problem ?? message;
    this.fix = options?.fix;
  }
}

/** A library caller asked for an edit that cannot be expressed in the document (e.g. a key under a string). */
export class ConfigEditError extends CodexError {
  constructor(message: string) {
    super("CONFIG_EDIT", message);
  }
}

/** Another process held the config lock for longer than we are willing to wait. */
export class LockTimeoutError extends CodexError {
  readonly lockPath: string;

  constructor(lockPath: string, waitedMs: number) {
    super(
      "LOCK_TIMEOUT",
      `another codex process is updating a config file (lock ${lockPath} held for over ${(waitedMs / 1000).toFixed(1)} s); try again, or remove the lock file if no codex process is running`,
    );
    this.lockPath = lockPath;
  }
}

/** The command line is wrong. Exit 2. */
export class UsageError extends CodexError {
  constructor(message: string) {
    super("USAGE", message, ExitCode.usage);
  }
}

/** Input the user supplied is unusable (an empty API key, …). Exit 1. */
export class InvalidInputError extends CodexError {
  constructor(message: string) {
    super("INVALID_INPUT", message);
  }
}

/**
 * A key (typed, piped, or in an environment variable) that cannot be one: `problem` names the character
 * ("a space", "an invalid UTF-8 byte"), never the key; `position` is 1-based in the trimmed key. Exit 1.
 */
export class InvalidKeyError extends InvalidInputError {
  readonly problem: string;
  readonly position: number;

  constructor(message: string, where: { problem: string; position: number }) {
    super(message);
    this.problem = where.problem;
    this.position = where.position;
  }
}

/**
 * A credential read back from where codex keeps it (config.toml, the keyring) that breaks the key rule: stored
 * by an older codex or by hand. `fix` is the command that replaces it, for `codex doctor`. Exit 1.
 */
export class StoredKeyError extends InvalidKeyError {
  readonly fix: string;

  constructor(message: string, where: { problem: string; position: number }, fix: string) {
    super(message, where);
    this.fix = fix;
  }
}

/** A command needs a credential and there is none (or the server rejected it). Exit 4. */
export class AuthRequiredError extends CodexError {
  constructor(message = "not logged in; run `codex login` to sign in", code = "AUTH_REQUIRED") {
    super(code, message, ExitCode.authRequired);
  }
}

/** The user cancelled an interactive prompt (Ctrl-C). */
export class CancelledError extends CodexError {
  constructor(message = "cancelled; nothing was changed") {
    super("CANCELLED", message);
  }
}

/** A setting in config.toml (or the environment) has the wrong type or an unknown value. Exit 1. */
export class ConfigValueError extends CodexError {
  readonly path: string;
  readonly key: string;

  constructor(path: string, key: string, expected: string) {
    super("CONFIG_INVALID", `${path}: ${key} must be ${expected}`);
    this.path = path;
    this.key = key;
  }
}

/**
 * The provider could not be reached, or stopped answering: connection refused, DNS, TLS, a timeout.
 * Never an authentication problem, so exit 1 and a message naming the host.
 */
export class NetworkError extends CodexError {
  readonly host: string;
  /** The system's or TLS library's code, e.g. `ECONNREFUSED`, `CERT_HAS_EXPIRED`, or `TIMEOUT`. */
  readonly reason: string;

  constructor(host: string, reason: string, message: string, options?: ErrorOptions) {
    super("NETWORK", message, ExitCode.failure, options);
    this.host = host;
    this.reason = reason;
  }
}

/**
 * A request that a proxy from the environment did not carry: the proxy is down, or it answered CONNECT
 * (or, for plain http://, the request) with its own refusal such as 407. Kept apart from the server's own
 * answers: a proxy's 407 is never taken for the provider rejecting the credential. The message names the
 * proxy as scheme://host:port and the variable it came from, never a user name or password in it.
 */
export class ProxyError extends NetworkError {
  /** The proxy as shown: scheme://host:port. */
  readonly proxy: string;
  /** The environment variable it came from (HTTPS_PROXY, https_proxy, ALL_PROXY, …). */
  readonly variable: string;
  /** The proxy's HTTP status, when it answered one. */
  readonly status: number | undefined;

  constructor(
    target: { host: string; proxy: string; variable: string; status?: number | undefined },
    reason: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(target.host, reason, message, options);
    this.proxy = target.proxy;
    this.variable = target.variable;
    this.status = target.status;
  }
}

/**
 * A network setting in the environment that codex cannot use, found before any request is sent: a proxy
 * variable that is not a URL or names a scheme codex does not speak (socks5://), a CA variable whose file
 * is missing, unreadable, too large or holds no certificate. Exit 1; the message names the variable (and
 * the file), never a proxy's password.
 */
export class NetworkSettingError extends CodexError {
  readonly variable: string;

  constructor(variable: string, message: string, options?: ErrorOptions) {
    super("NETWORK_SETTING", message, ExitCode.failure, options);
    this.variable = variable;
  }
}

/** The provider answered with an HTTP error other than an authentication failure. Exit 1. */
export class ApiError extends CodexError {
  readonly status: number;

  constructor(status: number, message: string) {
    super("API_ERROR", message);
    this.status = status;
  }
}

/** The provider refused the credential (HTTP 401 or 403). Exit 4: the fix is `codex login`. */
export class AuthRejectedError extends CodexError {
  readonly status: number;

  constructor(status: number, message: string) {
    super("AUTH_REJECTED", message, ExitCode.authRequired);
    this.status = status;
  }
}

/** A streamed reply ended before it was complete (connection cut, server error event, stall). Exit 1. */
export class StreamInterruptedError extends CodexError {
  constructor(message: string, options?: ErrorOptions) {
    super("STREAM_INTERRUPTED", message, ExitCode.failure, options);
  }
}

/**
 * A streamed reply grew past the size codex accepts (MAX_REPLY_CHARS of text, or MAX_REPLY_STREAM_BYTES
 * in all): the stream is dropped rather than memory growing without end. What was printed stays printed.
 * Exit 1.
 */
export class ReplyTooLargeError extends CodexError {
  constructor(message: string) {
    super("REPLY_TOO_LARGE", message);
  }
}

/**
 * The authorization server refused or failed a sign-in step (`access_denied`, `expired_token`, an invalid
 * response, no device-flow support). `error` is the server's OAuth error code when it sent one. Exit 1.
 */
export class OAuthError extends CodexError {
  readonly error: string | undefined;

  constructor(error: string | undefined, message: string, options?: ErrorOptions) {
    super("OAUTH", message, ExitCode.failure, options);
    this.error = error;
  }
}

/**
 * The OAuth session cannot be used any more: the server refused the refresh token (`invalid_grant`), or
 * the access token expired with no refresh token to renew it. Exit 4: the fix is `codex login`.
 */
export class SessionEndedError extends CodexError {
  constructor(message = "your session ended; run `codex login` to sign in again") {
    super("SESSION_ENDED", message, ExitCode.authRequired);
  }
}

/**
 * config.toml restricts sign-in (`forced_login_method`, `forced_chatgpt_workspace_id`) and this one breaks
 * the restriction: a login of the other kind, a sign-in to another workspace, or a stored credential that
 * no longer fits. Nothing is saved or sent. Exit 4 for a stored credential (the fix is `codex login`),
 * 1 for a login attempt.
 */
export class LoginRestrictedError extends CodexError {
  constructor(message: string, exitCode: ExitCode = ExitCode.failure) {
    super("LOGIN_RESTRICTED", message, exitCode);
  }
}

/**
 * The loopback port for the browser sign-in is taken on one of the addresses `localhost` may reach
 * (`127.0.0.1` or `[::1]`), by another codex or by any other program. Exit 1.
 */
export class PortInUseError extends CodexError {
  readonly port: number;
  /** The address another program holds the port on, as a URL writes it: `127.0.0.1` or `[::1]`. */
  readonly address: string;

  constructor(port: number, address = "127.0.0.1") {
    super(
      "PORT_IN_USE",
      `port ${port} on ${address} is in use (another \`codex login\` running?); choose another with \`codex login --port N\`, or sign in with \`codex login --device-auth\``,
    );
    this.port = port;
    this.address = address;
  }
}

/**
 * The system keyring (Secret Service, Keychain, Credential Manager) cannot be used: no D-Bus session, no
 * Secret Service, a locked collection nobody unlocks, no answer within the time limit, or the native
 * module missing. Exit 1. The message never contains a secret.
 */
export class KeyringUnavailableError extends CodexError {
  constructor(message: string, options?: ErrorOptions) {
    super("KEYRING_UNAVAILABLE", message, ExitCode.failure, options);
  }
}

/**
 * The `auth_command` configured to supply the credential failed: not found, non-zero exit, no output, or
 * no answer within its time limit. Exit 1. Its output is never quoted (it is the secret).
 */
export class CredentialCommandError extends CodexError {
  readonly command: string;

  constructor(command: string, message: string, options?: ErrorOptions) {
    super("CREDENTIAL_COMMAND", message, ExitCode.failure, options);
    this.command = command;
  }
}

/**
 * The selected provider takes its key from its own `env_key` variable, which is not set, or which
 * `credential_source = "stored"` says to ignore (`ignoredBy`: the file that says so). Exit 4, like any
 * missing credential; no other credential is sent in its place (an OpenAI key must not go to another
 * provider), as OpenAI's Codex CLI does ("Missing environment variable").
 */
export class MissingEnvKeyError extends AuthRequiredError {
  /** The provider's id (its `[model_providers.<id>]` table). */
  readonly provider: string;
  /** The variable it reads its key from. */
  readonly variable: string;
  /** The file whose `credential_source = "stored"` ignores the variable, when it is set. */
  readonly ignoredBy: string | undefined;

  constructor(provider: string, variable: string, ignoredBy?: string) {
    super(
      ignoredBy === undefined
        ? `the provider \`${oneLine(provider, 64)}\` reads its key from ${variable}, which is not set (Missing environment variable); set it, or choose another provider`
        : `the provider \`${oneLine(provider, 64)}\` reads its key only from ${variable}, which credential_source = "stored" in ${ignoredBy} ignores; set credential_source = "auto" there (or in this profile's file), or choose another provider`,
      "ENV_KEY_MISSING",
    );
    this.provider = provider;
    this.variable = variable;
    this.ignoredBy = ignoredBy;
  }
}

/**
 * A credential would cross the network unencrypted: a plain `http://` URL to a host that is not this
 * machine (a provider's base_url, an OAuth issuer). Refused before anything is sent or even looked up,
 * unless the setting's table opts in with `allow_insecure_http = true`. Exit 1: a setting to fix.
 */
export class InsecureTransportError extends CodexError {
  /** The URL's host (and port), as the message names it. */
  readonly host: string;
  /** Where the URL comes from: `model_providers.x.base_url`, `OPENAI_BASE_URL`, `oauth.issuer`, … */
  readonly setting: string;
  /** What to do about it, also at the end of the message. */
  readonly fix: string;
  /** The message without the fix. */
  readonly problem: string;

  constructor(host: string, setting: string, problem: string, fix: string) {
    super("INSECURE_HTTP", `${problem}; ${fix}`);
    this.host = host;
    this.setting = setting;
    this.problem = problem;
    this.fix = fix;
  }
}

/**
 * config.toml, or a directory on the way to it (CODEX_HOME and up to HOME), can be changed by someone other
 * than the user (writable by group or others, or owned by another user), so codex will not let it name a
 * command to run or decide where a credential is sent. `path` is the file or directory, `fix` the command
 * that fixes it. Exit 1.
 */
export class UntrustedConfigError extends CodexError {
  readonly path: string;
  /** What is wrong, e.g. "/h/.codex/config.toml is writable by others (mode 0666)". */
  readonly reason: string;
  readonly fix: string;
  /** The message without the fix: what is wrong, and what codex will not do because of it. */
  readonly problem: string;

  constructor(path: string, reason: string, refused: string, fix: string) {
    const problem = `${reason}: codex will not ${refused}`;
    super("UNTRUSTED_CONFIG", `${problem}; run \`${fix}\``);
    this.path = path;
    this.reason = reason;
    this.fix = fix;
    this.problem = problem;
  }
}
