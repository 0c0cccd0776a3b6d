/**
 * `openClient()`: everything a command needs before it may talk to the provider — the model and provider
 * config.toml selects, and a credential meant for that provider. Without one it throws AuthRequiredError
 * (exit 4; MissingEnvKeyError when the provider's `env_key` variable is not set) and no request is ever
 * built, let alone sent. A base_url that would carry the credential over plain http:// to another machine
 * is an InsecureTransportError (exit 1), before the credential is even looked up.
 */
import type { ResolvedCredential } from "../auth/credential.js";
import { credentialInUse } from "../auth/in-use.js";
import { chatgptRefusal } from "../auth/restrictions.js";
import type { Config } from "../config/config.js";
import type { Env } from "../config/paths.js";
import { chatgptProvider, cleartextRefusal, type ProviderSettings } from "../config/providers.js";
import { AuthRequiredError } from "../errors.js";
import { Client } from "./client.js";
import type { Fetch } from "../config/http.js";
import { networkFetch } from "../config/network.js";

export interface OpenClientOptions {
  config: Config;
  /** Where CODEX_PROFILE, the API key variables and OPENAI_BASE_URL are read. Default: `process.env`. */
  env?: Env | undefined;
  /**
   * HTTP transport; default: `networkFetch(env)`, node:http/https with env's proxy and CA variables, as the CLI
   * sends. The global `fetch` works too, without them.
   */
  fetch?: Fetch | undefined;
  /** Overrides config.toml's `model`. */
  model?: string | undefined;
  clock?: () => Date;
  /** The account (profile) whose credential to use; default as `selectAccount` decides. */
  profile?: string | undefined;
}

export async function openClient(options: OpenClientOptions): Promise<Client> {
  const env = options.env ?? process.env;
  const { config, model, provider, credential } = await credentialInUse({
    config: options.config,
    env,
    model: options.model,
    clock: options.clock,
    profile: options.profile,
    beforeLookup: (selected) => {
      const refusal = cleartextRefusal(selected);
      if (refusal !== undefined) throw refusal;
    },
  });
  const destination = providerFor(config, provider, credential);
  return new Client({
    provider: destination,
    model,
    credential,
    fetch: options.fetch ?? networkFetch(env),
    clock: options.clock,
  });
}

/**
 * Where requests with this credential go. A ChatGPT sign-in (OpenAI's protocol) is for OpenAI alone: its
 * requests go to the ChatGPT backend, as OpenAI's Codex CLI sends them (`chatgptProvider`), and a provider
 * that does not take OpenAI's credentials never receives it (AuthRequiredError, exit 4). Plain http:// to
 * another machine is refused here too (InsecureTransportError), for the backend as for any base_url.
 */
export function providerFor(
  config: Config,
  provider: ProviderSettings,
  credential: ResolvedCredential,
): ProviderSettings {
  if (credential.oauth?.protocol !== "openai") return provider;
  const refused = chatgptRefusal(provider);
  if (refused !== undefined) throw new AuthRequiredError(refused);
  const destination = chatgptProvider(config, provider);
  const refusal = cleartextRefusal(destination);
  if (refusal !== undefined) throw refusal;
  return destination;
}
