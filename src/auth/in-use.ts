/**
 * The credential a command would send, for the account and provider config.toml selects: the one rule that
 * `run`, `chat` (through openClient) and `codex token` share, so that what `codex token` hands to another
 * tool is exactly what codex itself would use. Without one it throws AuthRequiredError (exit 4, saying how
 * to sign in; MissingEnvKeyError when the provider's `env_key` variable is not set); a credential that
 * config.toml's sign-in restrictions rule out is a LoginRestrictedError (exit 4), and a ChatGPT sign-in for a
 * provider that does not take OpenAI's credentials an AuthRequiredError (exit 4). Nothing here renews a
 * session: the credential's `current()` does, under the lock (oauth/refresh.ts).
 */
import { type Account, DEFAULT_ACCOUNT, selectAccount } from "../config/accounts.js";
import type { Config } from "../config/config.js";
import type { Env } from "../config/paths.js";
import { type ProviderSettings, selectModel } from "../config/providers.js";
import { assertTrusted } from "../config/trust.js";
import { AuthRequiredError, ExitCode, LoginRestrictedError } from "../errors.js";
import { type ResolvedCredential, resolveCredential } from "./credential.js";
import { tokenEnvVars } from "./env.js";
import { chatgptRefusal, restrictionBreach } from "./restrictions.js";

export interface InUseOptions {
  config: Config;
  env: Env;
  /** Overrides config.toml's `model`. */
  model?: string | undefined;
  clock?: (() => Date) | undefined;
  /** `--profile NAME`; default as `selectAccount` decides. */
  profile?: string | undefined;
  /**
   * Checked once the provider is known and before the credential is looked up (which may run an
   * auth_command): openClient refuses a base_url that would carry it over plain http:// here.
   */
  beforeLookup?: ((provider: ProviderSettings) => void) | undefined;
}

export interface InUse {
  account: Account;
  /** The account's view of config.toml (a profile's file laid over it). */
  config: Config;
  model: string;
  provider: ProviderSettings;
  credential: ResolvedCredential;
}

export async function credentialInUse(options: InUseOptions): Promise<InUse> {
  const { env } = options;
  const account = selectAccount(env, options.profile);
  // A profile's file is laid over config.toml: its model, provider and credential, as OpenAI's Codex CLI reads them.
  const config = options.config.view(account.name);
  assertTrusted(config, "credential");
  const { model, provider } = selectModel(config, env, { model: options.model });
  options.beforeLookup?.(provider);
  const credential = await resolveCredential(config, env, { provider, clock: options.clock, account });
  if (credential === undefined) {
    const variables = tokenEnvVars(provider);
    const login = account.name === DEFAULT_ACCOUNT ? "codex login" : `codex login --profile ${account.name}`;
    throw new AuthRequiredError(
      `${account.name === DEFAULT_ACCOUNT ? "not logged in" : `profile ${account.name} is not logged in`}; run \`${login}\` to sign in${variables.length === 0 ? "" : ` (or set ${variables.join(" or ")})`}`,
    );
  }
  const breach = restrictionBreach(config, provider, credential);
  if (breach !== undefined) throw new LoginRestrictedError(breach.message, ExitCode.authRequired);
  // A ChatGPT sign-in is for OpenAI alone: codex sends it to no other provider, and hands it out for none.
  if (credential.oauth?.protocol === "openai") {
    const refused = chatgptRefusal(provider);
    if (refused !== undefined) throw new AuthRequiredError(refused);
  }
  return { account, config, model, provider, credential };
}
