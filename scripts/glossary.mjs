// The words codex uses, and the ones it does not: one glossary, rendered at the top of docs/messages.md by
// scripts/messages.mjs and enforced on every message by test/messages.test.ts. A rule that does not fit a
// new message is changed here (with its reason), not worked around at the message.

export const GLOSSARY_INTRO = `
Every message codex prints, read out of the code (\`npm run messages\`), so that they can be read together
and a new or changed one shows up in review as a change to this file. test/messages.test.ts fails when this
file is out of date (run \`npm run messages\` and commit the result), when a message uses a word the glossary
below rules out, or when an error's message is a variable the catalogue cannot read.

**One line, one voice.** An error (\`error: …\`), a warning (\`warning: …\`) and each line of \`codex doctor\`
is one line: it starts in lower case (unless it starts with a name: \`OpenAI's\`, \`CODEX_PROFILE\`), has no
final period, and never a second sentence: what happened, then \`;\` and what to do (\`\`not logged in; run
\`codex login\` to sign in\`\`), as the GitHub CLI writes its errors. What it did not do goes last
(\`; nothing was stored\`). Commands, settings and file names are written as typed, commands in backticks.
Lines on standard output that report a result (\`codex status\`, \`✅ Logged in …\`) and what codex says while
it waits are sentences or \`Label: value\` lines, capitalised.
`;

/**
 * `say`: the word or phrase to use; `not`: what not to write instead (shown in the table); `meaning`: what it
 * stands for. `avoid`: the phrasings test/messages.test.ts refuses in any message (matched after code spans,
 * placeholders and quoted words are taken out), each with what to write instead.
 */
export const GLOSSARY = [
  {
    say: "credential",
    not: "the credentials, credentials were",
    meaning:
      "the one secret an account uses: an API key, a sign-in session's tokens, or what an auth_command prints. Singular; the plural only for several kinds at once (OpenAI's credentials, store credentials in config.toml)",
    avoid: [
      { pattern: /\b(?:the|your|its|this|this account's|a|that) credentials\b/i, say: "the credential (one secret)" },
      { pattern: /\bcredentials (?:were|are|was|is)\b/i, say: "the credential was/is" },
    ],
  },
  {
    say: "sign in (verb), sign-in (noun)",
    not: "log in, login, logon",
    meaning:
      "what `codex login` does: the browser sign-in, the device sign-in, a ChatGPT sign-in; `login` only as the command's name",
    avoid: [
      {
        pattern: /\blog(?:s|ging)? in\b|\blog-in\b|\blog ?ins?\b|\blogins?\b/i,
        say: "sign in / sign-in (`codex login` is the command)",
      },
      { pattern: /\b(?:to|and|then|you) sign-in\b|\bsign-in again\b/, say: "sign in (the verb has no hyphen)" },
      {
        pattern: /\b(?:the|a|your|device|browser|ChatGPT) sign in\b(?! (?:again|with|to)\b)/,
        say: "sign-in (the noun has one)",
      },
    ],
  },
  {
    say: "logged in, not logged in",
    not: "signed in (as a state), authenticated",
    meaning:
      "the state `codex status` reports, in the words of OpenAI's Codex CLI (`Logged in using ChatGPT`, `Not logged in`), so that the two programs' answers compare",
    avoid: [],
  },
  {
    say: "sign out",
    not: "log out, logout",
    meaning:
      "what `codex logout` does: remove the credential from this machine and revoke its session at the issuer; `logout` only as the command's name",
    avoid: [
      { pattern: /\blog(?:s|ging)? out\b|\blog-out\b|\blogouts?\b/i, say: "sign out (`codex logout` is the command)" },
    ],
  },
  {
    say: "nothing was stored / sent / changed",
    not: "nothing was saved, nothing has been …",
    meaning:
      "what a refused or failed command did not do, at the end of its message; a credential is stored (in config.toml, in the keyring), as `✅ Logged in …, stored in …` says",
    avoid: [{ pattern: /\bnothing (?:was|has been) saved\b|\bnothing has been\b/i, say: "nothing was stored" }],
  },
  {
    say: "API key",
    not: "api key, API-key, apikey",
    meaning: "a provider's key (OPENAI_API_KEY, `codex login --with-api-key`); masked as `sk-…abcd` when shown",
    avoid: [{ pattern: /(?<![-\w])(?:api key|Api key|API-key|apikey|API Key)\b/, say: "API key" }],
  },
  {
    say: "session",
    not: "login session, token (for the whole)",
    meaning:
      "an OAuth sign-in kept as tokens: the OAuth session, the ChatGPT session; it renews itself, ends, is revoked",
    avoid: [{ pattern: /\blogin session\b/i, say: "session" }],
  },
  {
    say: "access token, refresh token, ID token",
    not: "id token, Access Token, bearer token",
    meaning: "the parts of a session, by their OAuth names",
    avoid: [
      {
        pattern: /\b(?:id token|Id token|Access Token|Refresh Token|bearer token)\b/,
        say: "access token, refresh token, ID token",
      },
    ],
  },
  {
    say: "account",
    not: "user (for the account)",
    meaning:
      "what signs in and holds one credential: the default account (config.toml) or a profile; `profile NAME` when it is named",
    avoid: [],
  },
  {
    say: "profile",
    not: "[profiles.NAME] (except when naming that legacy table)",
    meaning: "NAME.config.toml in CODEX_HOME, selected with `--profile NAME` or CODEX_PROFILE, laid over config.toml",
    avoid: [],
  },
  {
    say: "config.toml, config files",
    not: "the config, the configuration, config file (for config.toml)",
    meaning: "the file by its name (or its path); `config files` for config.toml and the profiles' files together",
    avoid: [
      {
        pattern: /\bthe config\b(?![.\w-])|\bconfiguration file\b|\bthe configuration\b/i,
        say: "config.toml, a config file",
      },
    ],
  },
  {
    say: "keyring, system keyring",
    not: "key ring, key-ring, keychain (for any keyring)",
    meaning:
      'where `cli_auth_credentials_store = "keyring"` keeps the credential: Secret Service, macOS Keychain, Windows Credential Manager (those by their names)',
    avoid: [{ pattern: /\bkey[ -]ring\b/i, say: "keyring" }],
  },
  {
    say: "auth_command",
    not: "credential command, credential helper",
    meaning:
      "the setting naming a program whose output is the credential; messages name the program (auth_command `pass`)",
    avoid: [{ pattern: /\bcredential (?:command|helper)\b/i, say: "auth_command" }],
  },
  {
    say: "provider",
    not: "backend, endpoint (for the provider)",
    meaning: "where requests go: a [model_providers.ID] table, named as provider `ID`, or the built-in OpenAI one",
    avoid: [],
  },
  {
    say: "issuer, sign-in server",
    not: "IdP, auth server",
    meaning: "the OAuth authorization server ([oauth] issuer); messages name its host",
    avoid: [{ pattern: /\b(?:IdP|auth server|identity provider)\b/i, say: "issuer, or the sign-in server's host" }],
  },
  {
    say: "environment variable",
    not: "env var, envvar",
    meaning: "a variable such as OPENAI_API_KEY; named by its name",
    avoid: [{ pattern: /\benv ?vars?\b|\benvironment var\b/i, say: "environment variable" }],
  },
  {
    say: "OpenAI's Codex CLI",
    not: "Codex CLI, the real Codex, the Rust CLI",
    meaning: "the other program that shares CODEX_HOME (`@openai/codex`); codex (lower case) is this one",
    avoid: [
      { pattern: /(?<!OpenAI's )\bCodex CLI\b/, say: "OpenAI's Codex CLI" },
      { pattern: /\b(?:the real Codex|the Rust CLI)\b/i, say: "OpenAI's Codex CLI" },
    ],
  },
  {
    say: "Ctrl-C, Ctrl-D",
    not: "Ctrl+C, ^C, Control-C",
    meaning: "keys, as codex's prompts name them",
    avoid: [{ pattern: /\bCtrl\+|\bControl-[A-Z]\b|\^[CD]\b/, say: "Ctrl-C" }],
  },
  {
    say: "cannot, does not",
    not: "can't, doesn't, won't",
    meaning: "no contractions",
    avoid: [
      {
        pattern: /\b(?:can't|don't|doesn't|won't|isn't|aren't|couldn't|didn't|wasn't|shouldn't)\b/i,
        say: "cannot, does not, will not, …",
      },
    ],
  },
];

/** Every phrasing the glossary rules out, with what to write instead. */
export const AVOID = GLOSSARY.flatMap((g) => g.avoid.map((a) => ({ ...a, term: g.say })));

/** Names that may start a one-line message with a capital letter. */
export const CAPITALISED_NAMES = ["Codex"];

/**
 * A message's own words, for the rules above: code spans (`codex login`), placeholders ({path}) and quoted
 * words ("keyring", another program's message) taken out.
 */
export function prose(text) {
  return text
    .replace(/`[^`]*`/g, "`…`")
    .replace(/\{[^{}]*\}/g, "{…}")
    .replace(/\{[^{}]*\}/g, "{…}")
    .replace(/"[^"]*"/g, '"…"');
}

/**
 * What breaks the one-line rule in a message: a capital letter to start with (other than a name's), a final
 * period, or a second sentence.
 */
export function oneLineProblems(text) {
  const problems = [];
  const words = prose(text).replace(/^(?:\{…\}|\s)+/, "");
  const first = /^[A-Z][a-z]+\b/.exec(words)?.[0];
  if (first !== undefined && !CAPITALISED_NAMES.includes(first)) problems.push("starts with a capital letter");
  if (/\.\s*$/.test(text) && !/…\s*$/.test(text)) problems.push("ends with a period");
  if (/[.?!]\s+[A-Z]/.test(prose(text).replace(/\b(?:e\.g|i\.e|etc)\.\s/g, ""))) problems.push("has a second sentence");
  return problems;
}
