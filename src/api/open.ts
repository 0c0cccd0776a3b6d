/**
 * `openClient()`: everything a command needs before it may talk to the provider — the model and provider
 * config.toml selects, and a credential meant for that provider. Without one it throws AuthRequiredError
 * (exit 4; MissingEnvKeyError when the provider's `env_key` variable is not set) and no request is ever
 * built, let alone sent. A base_url that would carry the credential over plain http:// to another machine
 * is an InsecureTransportError (exit 1), before the credential is even looked up.
 */
import { resolveCredential } from "../auth/credential.js";
import { tokenEnvVars } from "../auth/env.js";
import { selectAccount } from "../config/accounts.js";
import type { Config } from "../config/config.js";
import type { Env } from "../config/paths.js";
import { cleartextRefusal, selectModel } from "../config/providers.js";
import { assertTrusted } from "../config/trust.js";
import { AuthRequiredError } from "../errors.js";
import { Client } from "./client.js";
import { type Fetch, nodeFetch } from "./http.js";

export interface OpenClientOptions {
  config: Config;
  env: Env;
  /** HTTP transport; default: node:http/https. The global `fetch` works too. */
  fetch?: Fetch | undefined;
  /** Overrides config.toml's `model`. */
  model?: string | undefined;
  clock?: () => Date;
  /** The account (profile) whose credential to use; default as `selectAccount` decides. */
  profile?: string | undefined;
}

export async function openClient(options: OpenClientOptions): Promise<Client> {
  assertTrusted(options.config, "credential");
  const { model, provider } = selectModel(options.config, options.env, { model: options.model });
  const refusal = cleartextRefusal(provider);
  if (refusal !== undefined) throw refusal;
  const account = selectAccount(options.config, options.env, options.profile);
  const credential = await resolveCredential(options.config, options.env, {
    provider,
    clock: options.clock,
    account,
  });
  if (credential === undefined) {
    const variables = tokenEnvVars(provider);
    const login = account.name === "default" ? "codex login" : `codex login --profile ${account.name}`;
    throw new AuthRequiredError(
      `${account.name === "default" ? "not logged in" : `profile ${account.name} is not logged in`}; run \`${login}\` to sign in${variables.length === 0 ? "" : ` (or set ${variables.join(" or ")})`}`,
    );
  }
  return new Client({ provider, model, credential, fetch: options.fetch ?? nodeFetch, clock: options.clock });
}
