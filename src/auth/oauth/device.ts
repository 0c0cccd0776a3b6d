/**
 * Device sign-in, for SSH sessions and machines without a browser: the user opens a URL on any device and
 * enters a short code while codex polls. A standard issuer speaks RFC 8628 (openid-client polls at the
 * server's `interval` and adds 5 s on every `slow_down`, §3.5); the openai protocol uses OpenAI's own
 * device code (openai.ts).
 *
 * Failure policy: an issuer without a device authorization endpoint, `access_denied` and `expired_token`
 * are OAuthErrors with a message saying what to do; an aborted signal (Ctrl-C) is a CancelledError.
 * Nothing is stored here.
 */
import * as client from "openid-client";
import type { Fetch } from "../../config/http.js";
import type { OAuthSettings } from "../../config/oauth.js";
import type { StoredCredential } from "../../credentials/store.js";
import { CancelledError, LoginRestrictedError, OAuthError } from "../../errors.js";
import { oneLine } from "../../safe-text.js";
import { loginWithOpenAIDevice, workspaceRefusal } from "./openai.js";
import { discover, serverError } from "./server.js";
import { credentialFromTokens } from "./tokens.js";

export interface DeviceCode {
  /** Where to go: `verification_uri`. */
  verificationUri: string;
  /** The same with the code filled in, when the server offers it. */
  verificationUriComplete: string | undefined;
  userCode: string;
  /** Seconds codex waits for the code to be entered: the code's lifetime, at most an hour. */
  expiresIn: number;
  /** When that wait ends (by `clock`). */
  expiresAt: Date;
}

/**
 * The longest codex waits for a device code, whatever the issuer's `expires_in` says. RFC 8628 suggests
 * 1800 s and issuers use 600 to 1800, so an hour cuts none of them short; without a bound, a lifetime past
 * what a timer holds (about 49 days) failed outright, and a merely huge one kept codex polling for days.
 */
const MAX_DEVICE_CODE_SECONDS = 60 * 60;

export interface DeviceLoginOptions {
  settings: OAuthSettings;
  /** `forced_chatgpt_workspace_id`: the OpenAI sign-in must be to one of these. */
  workspaces?: readonly string[] | undefined;
  /** Shows the URL and code to the user. */
  onCode: (code: DeviceCode) => void | Promise<void>;
  signal?: AbortSignal | undefined;
  clock?: () => Date;
  /** The transport (config/network.ts: proxies, CA files); default: straight to the issuer. */
  fetch?: Fetch | undefined;
}

export async function loginWithDevice(options: DeviceLoginOptions): Promise<StoredCredential> {
  const { settings } = options;
  if (settings.protocol === "openai") {
    const credential = await loginWithOpenAIDevice({
      settings: { ...settings, fetch: options.fetch },
      signal: options.signal,
      clock: options.clock,
      onCode: (code) => options.onCode({ ...code, verificationUriComplete: undefined }),
    });
    // Checked before anything is saved, as Codex does.
    const refusal = workspaceRefusal(options.workspaces, credential.oauth?.chatgptAccountId);
    if (refusal !== undefined) throw new LoginRestrictedError(`${refusal}; nothing was stored`);
    return credential;
  }
  const config = await discover(settings.issuer, settings.clientId, {
    allowInsecureHttp: settings.allowInsecureHttp,
    fetch: options.fetch,
  });
  if (config.serverMetadata().device_authorization_endpoint === undefined) {
    throw new OAuthError(
      undefined,
      `${settings.issuer} does not offer device sign-in (it publishes no device_authorization_endpoint); use \`codex login\` in a browser, or \`codex login --with-api-key\``,
    );
  }
  const started = await client
    .initiateDeviceAuthorization(config, { scope: settings.scopes.join(" ") })
    .catch((err: unknown) => {
      throw serverError(err, settings.issuer, "the device sign-in");
    });
  // openid-client has checked expires_in is a finite number, not negative.
  const lifetime = Math.min(started.expires_in, MAX_DEVICE_CODE_SECONDS);
  // Timed from before the code is shown, so the time shown as left is never more than the wait really has.
  const expired = AbortSignal.timeout(Math.ceil(lifetime * 1000));
  await options.onCode({
    verificationUri: oneLine(started.verification_uri, 2000),
    verificationUriComplete:
      started.verification_uri_complete === undefined ? undefined : oneLine(started.verification_uri_complete, 2000),
    userCode: oneLine(started.user_code, 100),
    expiresIn: lifetime,
    expiresAt: new Date((options.clock ?? (() => new Date()))().getTime() + lifetime * 1000),
  });
  const signal = options.signal ? AbortSignal.any([options.signal, expired]) : expired;
  try {
    const tokens = await client.pollDeviceAuthorizationGrant(config, started, undefined, { signal });
    return credentialFromTokens(tokens, settings, (options.clock ?? (() => new Date()))());
  } catch (err) {
    if (options.signal?.aborted) throw new CancelledError("sign-in cancelled; nothing was stored");
    // openid-client stops polling at the code's expiry (our signal) or on the server's expired_token.
    const error = expired.aborted
      ? undefined
      : serverError(err, settings.issuer, "the device sign-in", [started.device_code]);
    if (error === undefined || (error instanceof OAuthError && error.error === "expired_token")) {
      throw new OAuthError(
        "expired_token",
        "the code expired before it was approved; run `codex login --device-auth` again",
      );
    }
    if (error instanceof OAuthError && error.error === "access_denied") {
      throw new OAuthError("access_denied", "the sign-in was denied on the verification page; nothing was stored");
    }
    throw error;
  }
}
