/**
 * Which model and provider config.toml selects, with the same keys as OpenAI's Codex CLI: top-level
 * `model` and `model_provider`, and `[model_providers.<id>]` tables. A built-in `openai` provider is the
 * default; a table of that name in the file overrides it field by field. Only reading and validating lives
 * here (the auth layer needs `env_key`, the API layer everything else); nothing is fetched.
 *
 * Failure policy: a setting with the wrong type or an unknown value is a ConfigValueError naming the key
 * and the file, never a silent default, because a typo in `base_url` would otherwise send the credential
 * somewhere unintended. A plain `http://` base_url to another machine is read as written (status reports
 * it) and refused by `cleartextRefusal` before anything is sent, unless the table opts in.
 */
import { ConfigValueError, InsecureTransportError } from "../errors.js";
import type { Config } from "./config.js";
import type { Env } from "./paths.js";
import { isCleartextRemote } from "./transport.js";

export type WireApi = "responses" | "chat";

export interface ProviderSettings {
  /** The key under `[model_providers]` (`openai` for the built-in one). */
  id: string;
  /** Display name. */
  name: string;
  /** API root, without a trailing slash, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  wireApi: WireApi;
  /**
   * Environment variable holding this provider's key, if the provider has its own: then that variable is
   * its only credential (never OPENAI_API_KEY nor the signed-in account's).
   */
  envKey: string | undefined;
  /**
   * Codex's `requires_openai_auth`: the provider takes OpenAI's credentials (CODEX_API_KEY, OPENAI_API_KEY,
   * then the account's). Default: true for the built-in `openai`, false for others, which get only the
   * account's own credential.
   */
  requiresOpenaiAuth?: boolean | undefined;
  /** `allow_insecure_http = true`: the user accepts sending the credential over plain http:// to another host. */
  allowInsecureHttp?: boolean | undefined;
  /** Where `baseUrl` was set, for messages: `model_providers.<id>.base_url` or `OPENAI_BASE_URL`. */
  baseUrlSetting?: string | undefined;
  /** Extra request headers (`http_headers`, plus `env_http_headers` whose variables are set). */
  headers: Record<string, string>;
  /** Query parameters added to every request (`query_params`, e.g. Azure's `api-version`). */
  queryParams: Record<string, string>;
  /** Time allowed to connect and receive the response headers. */
  requestTimeoutMs: number;
  /** Longest silence tolerated in the middle of a streamed reply. */
  streamIdleTimeoutMs: number;
  /** Retries after a 429, a 5xx or a reset connection (so at most this + 1 attempts). */
  maxRetries: number;
}

export interface ModelSelection {
  model: string;
  provider: ProviderSettings;
}

export const DEFAULT_MODEL = "gpt-5";
export const DEFAULT_PROVIDER = "openai";
export const DEFAULTS = {
  requestTimeoutMs: 60_000,
  streamIdleTimeoutMs: 300_000,
  maxRetries: 4,
} as const;
export const OPENAI_BASE_URL = "https://api.openai.com/v1";
/** Codex's `chatgpt_base_url` default: the ChatGPT backend, under which a ChatGPT sign-in's requests go. */
export const CHATGPT_BASE_URL = "https://chatgpt.com/backend-api";

type Table = Record<string, unknown>;

const isTable = (v: unknown): v is Table => typeof v === "object" && v !== null && !Array.isArray(v);

class Reader {
  constructor(
    readonly config: Config,
    readonly prefix: string,
    readonly table: Table,
  ) {}

  #fail(key: string, expected: string): never {
    throw this.config.invalid(`${this.prefix}${key}`, expected);
  }

  string(key: string): string | undefined {
    const v = this.table[key];
    if (v === undefined) return undefined;
    if (typeof v !== "string" || v.trim() === "") this.#fail(key, "a non-empty string");
    return v;
  }

  milliseconds(key: string): number | undefined {
    const v = this.table[key];
    if (v === undefined) return undefined;
    const n = typeof v === "bigint" ? Number(v) : v;
    if (typeof n !== "number" || !Number.isInteger(n) || n <= 0 || n > 86_400_000) {
      this.#fail(key, "a whole number of milliseconds between 1 and 86400000");
    }
    return n;
  }

  count(key: string): number | undefined {
    const v = this.table[key];
    if (v === undefined) return undefined;
    const n = typeof v === "bigint" ? Number(v) : v;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 100)
      this.#fail(key, "a whole number from 0 to 100");
    return n;
  }

  boolean(key: string): boolean | undefined {
    const v = this.table[key];
    if (v === undefined) return undefined;
    if (typeof v !== "boolean") this.#fail(key, "true or false");
    return v;
  }

  strings(key: string): Record<string, string> | undefined {
    const v = this.table[key];
    if (v === undefined) return undefined;
    if (!isTable(v) || !Object.values(v).every((x) => typeof x === "string")) {
      this.#fail(key, 'a table of strings, e.g. { name = "value" }');
    }
    return v as Record<string, string>;
  }
}

function validateBaseUrl(config: Config, key: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw config.invalid(key, "an http:// or https:// URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw config.invalid(key, "an http:// or https:// URL");
  }
  if (url.username !== "" || url.password !== "") {
    // A credential in the URL would be printed in every message naming the host.
    throw config.invalid(key, "a URL without a user name or password in it");
  }
  return raw.replace(/\/+$/, "");
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: header values with control characters are refused
const BAD_HEADER = /[\r\n\x00]/;

/**
 * The model and provider to use: `overrides` (command-line flags) win over config.toml, which wins over
 * the built-in defaults. `openai_base_url` in the file, else `OPENAI_BASE_URL`, replaces the built-in
 * provider's base URL (a `[model_providers.openai] base_url`, which codex 0.1.0 documented, wins over both).
 */
export function selectModel(
  config: Config,
  env: Env,
  overrides: { model?: string | undefined; provider?: string | undefined } = {},
): ModelSelection {
  const top = new Reader(config, "", {
    model: config.get("model"),
    model_provider: config.get("model_provider"),
    openai_base_url: config.get("openai_base_url"),
    request_timeout_ms: config.get("request_timeout_ms"),
  });
  const model = overrides.model ?? top.string("model") ?? DEFAULT_MODEL;
  const id = overrides.provider ?? top.string("model_provider") ?? DEFAULT_PROVIDER;
  const providers = config.get("model_providers");
  if (providers !== undefined && !isTable(providers)) {
    throw config.invalid("model_providers", "a table of providers, e.g. [model_providers.local]");
  }
  const raw = providers?.[id];
  if (raw === undefined && id !== DEFAULT_PROVIDER) {
    throw config.invalid(
      "model_provider",
      `the id of a provider defined in the file: there is no [model_providers.${/^[\w-]+$/.test(id) ? id : `"…"`}] table`,
    );
  }
  if (raw !== undefined && !isTable(raw)) {
    throw config.invalid(`model_providers.${id}`, "a table");
  }
  const r = new Reader(config, `model_providers.${id}.`, raw ?? {});
  const builtIn = id === DEFAULT_PROVIDER;
  const fileBaseUrl = r.string("base_url");
  // OpenAI's Codex CLI points its built-in provider elsewhere with a top-level key (it refuses a
  // [model_providers.openai] table that sets base_url, which codex still reads).
  const openaiBaseUrl = builtIn ? top.string("openai_base_url") : undefined;
  const envBaseUrl = builtIn && (env.OPENAI_BASE_URL ?? "").trim() !== "" ? env.OPENAI_BASE_URL : undefined;
  let baseUrl: string;
  let baseUrlSetting = `model_providers.${id}.base_url`;
  if (fileBaseUrl !== undefined) baseUrl = validateBaseUrl(config, baseUrlSetting, fileBaseUrl);
  else if (openaiBaseUrl !== undefined) {
    baseUrlSetting = "openai_base_url";
    baseUrl = validateBaseUrl(config, baseUrlSetting, openaiBaseUrl);
  } else if (envBaseUrl !== undefined) {
    baseUrlSetting = "OPENAI_BASE_URL";
    try {
      baseUrl = validateBaseUrl(config, "OPENAI_BASE_URL", envBaseUrl);
    } catch {
      throw new ConfigValueError("the environment", "OPENAI_BASE_URL", "an http:// or https:// URL");
    }
  } else if (builtIn) baseUrl = OPENAI_BASE_URL;
  else throw config.invalid(`model_providers.${id}.base_url`, "set: the provider's API URL");

  const wire = r.string("wire_api") ?? "responses";
  if (wire !== "responses" && wire !== "chat") {
    throw config.invalid(`model_providers.${id}.wire_api`, '"responses" or "chat"');
  }
  const envKey = r.string("env_key");
  if (envKey !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(envKey)) {
    throw config.invalid(`model_providers.${id}.env_key`, "an environment variable name");
  }
  const headers: Record<string, string> = { ...r.strings("http_headers") };
  for (const [header, variable] of Object.entries(r.strings("env_http_headers") ?? {})) {
    const value = env[variable];
    if (value !== undefined && value !== "") headers[header] = value;
  }
  for (const [header, value] of Object.entries(headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header) || BAD_HEADER.test(value)) {
      throw config.invalid(`model_providers.${id}.http_headers`, "valid header names and values");
    }
  }
  return {
    model,
    provider: {
      id,
      name: r.string("name") ?? (builtIn ? "OpenAI" : id),
      baseUrl,
      wireApi: wire,
      envKey,
      requiresOpenaiAuth: r.boolean("requires_openai_auth") ?? builtIn,
      allowInsecureHttp: r.boolean("allow_insecure_http") ?? false,
      baseUrlSetting,
      headers,
      queryParams: { ...r.strings("query_params") },
      requestTimeoutMs:
        r.milliseconds("request_timeout_ms") ?? top.milliseconds("request_timeout_ms") ?? DEFAULTS.requestTimeoutMs,
      streamIdleTimeoutMs: r.milliseconds("stream_idle_timeout_ms") ?? DEFAULTS.streamIdleTimeoutMs,
      maxRetries: r.count("request_max_retries") ?? DEFAULTS.maxRetries,
    },
  };
}

/**
 * Why nothing may be sent to this provider: its base_url is plain http:// to another machine, so the
 * credential (and the conversation) would cross the network unencrypted, and its table does not opt in
 * with `allow_insecure_http = true`. Undefined when requests may go.
 */
export function cleartextRefusal(provider: ProviderSettings): InsecureTransportError | undefined {
  // Only http:// can be refused, and parsing a URL is a cost `codex status` need not pay for https://.
  if (!/^http:/i.test(provider.baseUrl)) return undefined;
  const url = new URL(provider.baseUrl);
  if (!isCleartextRemote(url) || provider.allowInsecureHttp === true) return undefined;
  const setting = provider.baseUrlSetting ?? `model_providers.${provider.id}.base_url`;
  const instead = setting === "OPENAI_BASE_URL" ? "an https:// URL in OPENAI_BASE_URL" : `an https:// ${setting}`;
  return new InsecureTransportError(
    url.host,
    setting,
    `refusing to send the credential to ${url.host} over plain http:// (${setting}): it would travel unencrypted`,
    `use ${instead}, or, only if the network to ${url.hostname} is trusted, set allow_insecure_http = true in [model_providers.${provider.id}]`,
  );
}

/**
 * Where a ChatGPT sign-in's requests go, as OpenAI's Codex CLI sends them: `{chatgpt_base_url}/codex`
 * (`https://chatgpt.com/backend-api/codex`), for the built-in provider left at its default base URL. A
 * provider whose base URL was set (a proxy in front of OpenAI, `requires_openai_auth`) keeps it, as in
 * Codex. Same checks as any base_url: a ConfigValueError for a bad value, and plain http:// to another
 * machine is refused by `cleartextRefusal` unless the provider opts in.
 */
export function chatgptProvider(config: Config, provider: ProviderSettings): ProviderSettings {
  if (provider.id !== DEFAULT_PROVIDER || provider.baseUrl !== OPENAI_BASE_URL)
    return { ...provider, wireApi: "responses" };
  const raw = config.get("chatgpt_base_url");
  if (raw !== undefined && (typeof raw !== "string" || raw.trim() === "")) {
    throw config.invalid("chatgpt_base_url", "an http:// or https:// URL");
  }
  const base = raw === undefined ? CHATGPT_BASE_URL : validateBaseUrl(config, "chatgpt_base_url", raw);
  return {
    ...provider,
    name: "ChatGPT",
    baseUrl: `${base}/codex`,
    baseUrlSetting: "chatgpt_base_url",
    // The backend speaks the Responses API only.
    wireApi: "responses",
  };
}
