/**
 * OpenAI's Codex CLI's sign-in restrictions (`forced_login_method`, `forced_chatgpt_workspace_id`), applied
 * to a credential codex would use. An administrator who restricts sign-in means every credential for
 * OpenAI: a stored session of the other kind, or one for another workspace, is not used (`run` and `chat`
 * stop, `status` and `doctor` say why). Providers that do not take OpenAI's credentials are not concerned,
 * and never receive a ChatGPT sign-in (`chatgptRefusal`).
 */
import type { Config } from "../config/config.js";
import { loginRestrictions } from "../config/oauth.js";
import { oneLine } from "../safe-text.js";
import type { ResolvedCredential } from "./credential.js";
import { type ProviderAuth, takesOpenaiAuth } from "./env.js";

export interface Breach {
  /** What is wrong, as a clause. */
  reason: string;
  /** What to run. */
  fix: string;
  /** Both, as one line for an error. */
  message: string;
}

const breach = (reason: string, fix: string): Breach => ({ reason, fix, message: `${reason}; ${fix}` });

/** Why `credential` breaks config.toml's restrictions; undefined when it does not. */
export function restrictionBreach(
  config: Config,
  provider: ProviderAuth,
  credential: Pick<ResolvedCredential, "method" | "oauth">,
): Breach | undefined {
  if (!takesOpenaiAuth(provider) || provider.envKey !== undefined) return undefined;
  const { method, workspaces } = loginRestrictions(config);
  if (method === "chatgpt" && credential.method === "api_key") {
    return breach(
      'config.toml allows only sign-in with ChatGPT (forced_login_method = "chatgpt"), and the credential in use is an API key',
      "run `codex login` to sign in with ChatGPT",
    );
  }
  if (method === "api" && credential.method === "oauth") {
    return breach(
      'config.toml allows only API keys (forced_login_method = "api"), and the credential in use is a sign-in session',
      "run `codex login --with-api-key`",
    );
  }
  const account = credential.oauth?.chatgptAccountId;
  if (
    workspaces !== undefined &&
    credential.method === "oauth" &&
    (account === undefined || !workspaces.includes(account))
  ) {
    const several = workspaces.length > 1;
    return breach(
      `config.toml restricts sign-in to the ChatGPT workspace${several ? "s" : ""} ${workspaces.join(", ")} (forced_chatgpt_workspace_id), and the session in use is ${account === undefined ? "not for a named workspace" : "for another one"}`,
      `run \`codex login\` to sign in to ${several ? "one of them" : "it"}`,
    );
  }
  return undefined;
}

/**
 * Why a ChatGPT sign-in may not go to this provider: it is for OpenAI alone, so a provider that does not
 * take OpenAI's credentials never receives it (`run` stops, `status` says so). Undefined when it may.
 */
export function chatgptRefusal(provider: ProviderAuth): string | undefined {
  if (takesOpenaiAuth(provider)) return undefined;
  return `the provider \`${oneLine(provider.id, 64)}\` does not take OpenAI's credentials, so codex will not send it your ChatGPT sign-in; give it its own (auth_command, or \`codex login --with-api-key\`), or set requires_openai_auth = true in its table if it is a proxy in front of OpenAI`;
}
