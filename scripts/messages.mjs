// Writes docs/messages.md: the glossary (scripts/glossary.mjs), then every user-facing message in src/, read
// out of the code with the TypeScript compiler so that the catalogue cannot miss one. Messages stay where
// they are raised (moving them into one module would make `codex status` load every command's words);
// this script gathers them for reading side by side, and test/messages.test.ts fails when the committed
// file differs from what it writes, so a new or changed message shows up in the diff of docs/messages.md.
//
// What counts as a message (a "sink"):
// - the message of `new X(…)` for every error class in src/ (CodexError's subclasses, with their exit
//   code, and the internal errors whose message another one quotes), worked out through the class's
//   constructor and its `super(…)` calls, so that `new ConfigValueError(path, key, "a table")` reads
//   `{path}: {key} must be a table`; and `new Error(…)` for a bug, which the CLI prints all the same;
// - the text given to the terminal (src/commands/io.ts: io.out, io.err, io.note, io.warn, io.error, io.write,
//   the prompts, and the choices offered);
// - a string stored under a name that carries a message to one of those (MESSAGE_FIELDS: `warnings.push(…)`,
//   `{ problem, fix }`, `result.reason = …`, `credentialError = …`): doctor's checks, what logout failed to
//   do, the warnings of a login;
// and every part of one: string and template literals, both branches of `?:`, `??` and `||`, constants,
// and what a function in src/ returns (`quoteWord(word)`, `describeExpiry(…)`). Any other substitution is
// shown as a `{expression}` placeholder. A message built in a helper from its parameters (`fail(why)`,
// doctor's `problem(id, message, fix)`) is shown once per call of the helper, with the arguments in place.
//
// A message that is nothing but a placeholder (an opaque variable) would hide its words from the catalogue;
// `extractMessages()` reports each such sink in `opaque`, and the test allows only the few it lists.
//
// Usage: `npm run messages` (writes the file); `import { renderCatalogue } from "./scripts/messages.mjs"`.
import { readdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { GLOSSARY, GLOSSARY_INTRO } from "./glossary.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Names under which code keeps a message for later: what is stored under them is catalogued where it is built. */
export const MESSAGE_FIELDS = new Set([
  "message",
  "problem",
  "fix",
  "reason",
  "failure",
  "failures",
  "warning",
  "warnings",
  "remains",
  "credentialError",
  "providerError",
  "check_message",
]);

/** JavaScript's own error classes: raised by codex only for a bug, and then printed all the same. */
const BUILT_IN_ERRORS = new Set(["Error", "TypeError", "RangeError"]);

/** IO's methods that put text in front of the user, and which argument is the text. */
const IO_METHODS = { out: 0, err: 0, note: 0, warn: 0, error: 0, write: 0, promptSecret: 0, choose: 0 };

/**
 * Functions that hand their first argument back cleaned or styled: the message is that argument.
 * (Rendering their bodies would show their own code, not the message.)
 */
const PASS_THROUGH = new Set(["oneLine", "stripControls", "bold", "shown", "redact", "maskSecretWords"]);

/**
 * Functions whose result is data, not words, shown as a placeholder: a `--json` document, help text (docs/cli.md
 * is its catalogue), a masked key.
 */
const OPAQUE_CALLS = new Set(["jsonText", "commandHelp", "programHelp", "maskToken"]);

/** Helpers whose words read wrongly when put in every sentence that uses them ("expires 3 h ago"): listed apart. */
const LISTED_APART = new Set(["describeExpiry"]);

/** More variants of one message than this are folded into `{a|b}` alternatives. */
const MAX_VARIANTS = 6;
/** A helper (function or constant) with more variants than this is listed on its own, and shown as `{call}`. */
const MAX_HELPER_VARIANTS = 3;
/** How deep calls are followed (into helpers, and out to a helper's callers). */
const MAX_DEPTH = 6;

function sourceFiles(root) {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) files.push(path);
    }
  };
  walk(join(root, "src"));
  return files.sort();
}

const placeholder = (node) => {
  const text = node
    .getText()
    .replace(/\s+/g, " ")
    .replace(/\?\.|!\./g, ".");
  return `{${text.length > 60 ? `${text.slice(0, 59)}…` : text}}`;
};

/** Folds a list of variants into one: `{a|b}`, the empty one shown as nothing. */
const fold = (variants) => (variants.length === 1 ? variants[0] : `{${variants.join("|")}}`);

const unique = (list) => [...new Set(list)];

/** Whether an expression is a string by its looks (a literal, a template, or a concatenation with one). */
function stringy(node) {
  if (ts.isParenthesizedExpression(node)) return stringy(node.expression);
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node))
    return true;
  return (
    ts.isBinaryExpression(node) &&
    node.operatorToken.kind === ts.SyntaxKind.PlusToken &&
    (stringy(node.left) || stringy(node.right))
  );
}

/**
 * Whether a rendered text passes on a message kept under one of MESSAGE_FIELDS (`{err.message}`, `{warning}`,
 * `{r.problem}`): its words are catalogued where that was built.
 */
export function carried(text) {
  return [...text.matchAll(/\{([^{}]*)\}/g)].some((m) => {
    const last = /([A-Za-z_$][\w$]*)\W*$/.exec(m[1].replace(/\(.*$/, ""))?.[1];
    return last !== undefined && MESSAGE_FIELDS.has(last);
  });
}

/** Whether a rendered text has more than one word of its own (placeholders aside). */
const phrase = (text) => /\p{L}\s+\S/u.test(text.replace(/\{[^{}]*\}/g, "{}"));

/** Whether a rendered message has words of its own, not only placeholders. */
export function hasWords(text) {
  return /\p{L}/u.test(text.replace(/\{[^{}]*\}/g, ""));
}

/**
 * Every message in `root`/src (this repository's by default): `catalogue` lists them by file, in the order they
 * appear; `opaque` the sinks whose text is nothing the catalogue can read (a variable).
 */
export function extractMessages({ root = ROOT } = {}) {
  const files = sourceFiles(root);
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ["node"],
  });
  const checker = program.getTypeChecker();
  const sources = files.map((f) => program.getSourceFile(f));
  const rel = (node) => relative(root, node.getSourceFile().fileName).split("\\").join("/");

  const symbolOf = (node) => {
    let symbol = checker.getSymbolAtLocation(node);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    return symbol;
  };
  const inSrc = (decl) => decl !== undefined && files.includes(decl.getSourceFile().fileName);

  /** The function a node is in (arrow, function, method, constructor), if any. */
  const enclosingFunction = (node) => {
    for (let n = node.parent; n !== undefined; n = n.parent) if (ts.isFunctionLike(n)) return n;
    return undefined;
  };

  /** The function declared by a symbol's declaration: `function f`, `const f = () =>`, a method. */
  const functionOf = (decl) => {
    if (decl === undefined) return undefined;
    if (ts.isFunctionDeclaration(decl) || ts.isMethodDeclaration(decl)) return decl.body ? decl : undefined;
    if ((ts.isVariableDeclaration(decl) || ts.isPropertyDeclaration(decl)) && decl.initializer) {
      const init = skipOuter(decl.initializer);
      if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) return init;
    }
    return undefined;
  };

  const skipOuter = (node) => {
    let n = node;
    while (
      ts.isParenthesizedExpression(n) ||
      ts.isAsExpression(n) ||
      ts.isNonNullExpression(n) ||
      ts.isSatisfiesExpression(n) ||
      ts.isTypeAssertionExpression(n)
    ) {
      n = n.expression;
    }
    return n;
  };

  /** The expressions a function returns (its own returns, not those of functions inside it). */
  const returnsOf = (fn) => {
    if (!fn.body) return [];
    if (!ts.isBlock(fn.body)) return [fn.body];
    const found = [];
    const visit = (n) => {
      if (ts.isFunctionLike(n)) return;
      if (ts.isReturnStatement(n) && n.expression) found.push(n.expression);
      ts.forEachChild(n, visit);
    };
    ts.forEachChild(fn.body, visit);
    return found;
  };

  /** Calls of each function in src, by the function's node: for a helper that builds a message from its parameters. */
  const callsOf = new Map();
  const indexCalls = (node) => {
    if (ts.isCallExpression(node)) {
      const callee = ts.isPropertyAccessExpression(node.expression) ? node.expression.name : node.expression;
      const fn = functionOf(symbolOf(callee)?.valueDeclaration);
      if (fn !== undefined) {
        if (!callsOf.has(fn)) callsOf.set(fn, []);
        callsOf.get(fn).push(node);
      }
    }
    ts.forEachChild(node, indexCalls);
  };
  for (const sf of sources) indexCalls(sf);

  /**
   * Binds a function's parameters to the arguments of one call: `env` maps a parameter's declaration to the
   * expression it stands for and the bindings that expression is read with.
   */
  const bind = (fn, args, callerEnv) => {
    const env = new Map();
    fn.parameters.forEach((p, i) => {
      if (i < args.length) env.set(p, { node: args[i], env: callerEnv });
      else if (p.initializer) env.set(p, { node: p.initializer, env });
    });
    return env;
  };

  /**
   * The variants of a text: every string it can be, with `{expression}` for what is filled in. A parameter that
   * `env` does not bind is added to `unbound` (the words may then be in a helper's callers). `undefined` and
   * `null` have no variant: a message that can be undefined is not printed then.
   */
  const render = (node, env, depth, unbound) => {
    const n = skipOuter(node);
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) return [n.text];
    if (ts.isNumericLiteral(n)) return [n.text];
    if (n.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(n) && n.text === "undefined")) return [];
    if (ts.isTemplateExpression(n)) {
      const parts = [{ variants: [n.head.text] }];
      for (const span of n.templateSpans) {
        parts.push(part(span.expression, env, depth, unbound));
        parts.push({ variants: [span.literal.text] });
      }
      return concat(parts);
    }
    if (ts.isConditionalExpression(n)) {
      return unique([...render(n.whenTrue, env, depth, unbound), ...render(n.whenFalse, env, depth, unbound)]);
    }
    if (ts.isBinaryExpression(n)) {
      const op = n.operatorToken.kind;
      if (op === ts.SyntaxKind.QuestionQuestionToken || op === ts.SyntaxKind.BarBarToken) {
        return unique([...render(n.left, env, depth, unbound), ...render(n.right, env, depth, unbound)]);
      }
      // `code && REASONS[code]`: the text is the right-hand side (the left one is only a condition).
      if (op === ts.SyntaxKind.AmpersandAmpersandToken) return render(n.right, env, depth, unbound);
      if (op === ts.SyntaxKind.PlusToken && (stringy(n.left) || stringy(n.right))) {
        return concat([part(n.left, env, depth, unbound), part(n.right, env, depth, unbound)]);
      }
    }
    if (ts.isIdentifier(n)) {
      const symbol = ts.isShorthandPropertyAssignment(n.parent)
        ? checker.getShorthandAssignmentValueSymbol(n.parent)
        : symbolOf(n);
      const decl = symbol?.valueDeclaration;
      if (decl !== undefined && ts.isParameter(decl)) {
        const bound = env.get(decl);
        // The argument is read with its own bindings, and with those a later hop out to a helper's callers
        // added (`invalid(key, expected)` called from `fail(key, expected)`: fail's are bound one hop later).
        if (bound !== undefined)
          return depth > 0 ? render(bound.node, new Map([...env, ...bound.env]), depth - 1, unbound) : [placeholder(n)];
        unbound.add(decl);
        return [placeholder(n)];
      }
      if (
        decl !== undefined &&
        ts.isVariableDeclaration(decl) &&
        decl.initializer &&
        ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const &&
        inSrc(decl) &&
        functionOf(decl) === undefined &&
        depth > 0
      ) {
        const inner = render(decl.initializer, env, depth - 1, unbound);
        // A constant computed from other things (a path, an id, a list) says more by its name.
        if (!inner.some(phrase)) return [placeholder(n)];
        return tooMany(inner, decl, n) ? [placeholder(n)] : inner;
      }
      return [placeholder(n)];
    }
    if (ts.isPropertyAccessExpression(n)) {
      // A constant of an `as const` table (ExitCode.usage).
      const decl = symbolOf(n.name)?.valueDeclaration;
      if (decl && ts.isPropertyAssignment(decl) && inSrc(decl)) {
        const init = skipOuter(decl.initializer);
        if (ts.isNumericLiteral(init) || ts.isStringLiteral(init)) return [init.text];
      }
      return [placeholder(n)];
    }
    if (ts.isElementAccessExpression(n)) {
      // `REASONS[code]`: every value of a constant table of texts.
      const decl = symbolOf(n.expression)?.valueDeclaration;
      const table = decl && ts.isVariableDeclaration(decl) && decl.initializer && skipOuter(decl.initializer);
      if (table && ts.isObjectLiteralExpression(table) && inSrc(decl) && depth > 0) {
        const values = table.properties.filter(ts.isPropertyAssignment).map((p) => p.initializer);
        const variants = unique(values.flatMap((v) => render(v, env, depth - 1, unbound)));
        if (variants.some(hasWords)) return tooMany(variants, decl, n) ? [placeholder(n)] : variants;
      }
      return [placeholder(n)];
    }
    if (ts.isCallExpression(n)) {
      const callee = ts.isPropertyAccessExpression(n.expression) ? n.expression.name : n.expression;
      const name = ts.isIdentifier(callee) || ts.isPrivateIdentifier(callee) ? callee.text : "";
      if (PASS_THROUGH.has(name) && n.arguments.length > 0) return render(n.arguments[0], env, depth, unbound);
      const fn = functionOf(symbolOf(callee)?.valueDeclaration);
      if (fn !== undefined && depth > 0 && !OPAQUE_CALLS.has(name)) {
        if (LISTED_APART.has(name)) {
          helpers.add(fn);
          listed.add(placeholder(n));
          return [placeholder(n)];
        }
        const inner = bind(fn, n.arguments, env);
        const variants = unique(returnsOf(fn).flatMap((r) => render(r, inner, depth - 1, unbound)));
        if (variants.some(hasWords) || variants.some(carried))
          return tooMany(variants, fn, n) ? [placeholder(n)] : variants;
      }
      return [placeholder(n)];
    }
    return [placeholder(n)];
  };

  /**
   * More variants than a message can show in place: the helper (a function, or a constant) that makes them
   * is listed once, under its own name, and the message shows a placeholder.
   */
  const tooMany = (variants, helper, node) => {
    if (variants.length <= MAX_HELPER_VARIANTS) return false;
    helpers.add(helper);
    listed.add(placeholder(node));
    return true;
  };

  /** A piece of a template or a concatenation, and what stands for it when there are too many variants. */
  const part = (node, env, depth, unbound) => {
    const variants = render(node, env, depth, unbound);
    // Word choices (`{it|them}`, `{|s}`) are folded in place: one line each would only repeat the sentence.
    if (variants.length > 1 && variants.every((v) => !/[\s{}]/.test(v) && v.length <= 12))
      return { variants: [fold(variants)] };
    return { variants };
  };

  /** The variants of pieces put together; the piece with the most variants folded until there are few enough. */
  const concat = (parts) => {
    let ps = parts.map((p) => p.variants);
    const count = () => ps.reduce((c, p) => c * p.length, 1);
    while (count() > MAX_VARIANTS) {
      const widest = ps.reduce((w, p, i) => (p.length > ps[w].length ? i : w), 0);
      ps = ps.map((p, i) => (i === widest ? [fold(p)] : p));
    }
    return unique(ps.reduce((acc, p) => acc.flatMap((a) => p.map((b) => a + b)), [""]));
  };

  // Error classes in src: their message and exit code, from the constructor down to Error.
  const classOf = (expr) => {
    const decl = symbolOf(expr)?.valueDeclaration;
    return decl && ts.isClassDeclaration(decl) && inSrc(decl) ? decl : undefined;
  };
  const parentOf = (cls) => {
    const heritage = cls.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword);
    const expr = heritage?.types[0]?.expression;
    if (expr === undefined) return undefined;
    return classOf(expr) ?? (ts.isIdentifier(expr) && expr.text === "Error" ? "Error" : undefined);
  };
  const isErrorClass = (cls) => {
    for (let c = cls; c !== undefined; c = c === "Error" ? undefined : parentOf(c)) if (c === "Error") return true;
    return false;
  };
  const isCodexError = (cls) => {
    for (let c = cls; c !== undefined && c !== "Error"; c = parentOf(c)) if (c.name?.text === "CodexError") return true;
    return false;
  };

  /** `new cls(args)`: its message's variants and its exit code (undefined for an error only quoted by another). */
  const construct = (cls, args, env, depth, unbound) => {
    const ctor = cls.members.find(ts.isConstructorDeclaration);
    const parent = parentOf(cls);
    if (ctor === undefined) {
      if (parent === "Error")
        return { message: args[0] ? render(args[0], env, depth, unbound) : [""], exit: undefined };
      return construct(parent, args, env, depth, unbound);
    }
    const inner = bind(ctor, args, env);
    let superCall;
    const find = (n) => {
      if (superCall) return;
      if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.SuperKeyword) superCall = n;
      else ts.forEachChild(n, find);
    };
    find(ctor.body);
    if (cls.name?.text === "CodexError") {
      const exitParam = ctor.parameters.find((p) => p.name.getText() === "exitCode");
      const bound = exitParam && inner.get(exitParam);
      const exit = bound ? render(bound.node, bound.env, depth, new Set()) : ["?"];
      const messageParam = ctor.parameters.find((p) => p.name.getText() === "message");
      const message = inner.get(messageParam);
      return { message: message ? render(message.node, message.env, depth, unbound) : [""], exit: exit.join("|") };
    }
    if (superCall === undefined || parent === undefined)
      return { message: [placeholder(args[0] ?? cls)], exit: undefined };
    if (parent === "Error") {
      const arg = superCall.arguments[0];
      return { message: arg ? render(arg, inner, depth, unbound) : [""], exit: undefined };
    }
    return construct(parent, superCall.arguments, inner, depth, unbound);
  };

  /** Every sink, before helpers are followed out to their callers. */
  const sinks = [];
  const helpers = new Set();
  /** Placeholders that stand for a helper listed on its own. */
  const listed = new Set();
  const addSink = (node, build, stored = false) => sinks.push({ node, build, stored });

  const visit = (node) => {
    // A JavaScript error raised by codex itself is a bug; the CLI prints it as `unexpected failure: …`.
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && BUILT_IN_ERRORS.has(node.expression.text)) {
      const arg = node.arguments?.[0];
      const name = node.expression.text;
      if (arg)
        addSink(node, (env, depth, unbound) => ({
          kind: `${name} (internal)`,
          message: render(arg, env, depth, unbound),
        }));
    }
    if (ts.isNewExpression(node)) {
      const cls = classOf(node.expression);
      if (cls !== undefined && isErrorClass(cls)) {
        const codex = isCodexError(cls);
        addSink(node, (env, depth, unbound) => {
          const { message, exit } = construct(cls, node.arguments ?? [], env, depth, unbound);
          return { kind: codex ? `${cls.name.text} (exit ${exit})` : `${cls.name.text} (quoted)`, message };
        });
      }
    }
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      const receiver = checker.getTypeAtLocation(node.expression.expression);
      const typeName = receiver.getSymbol()?.getName() ?? receiver.aliasSymbol?.getName();
      if (typeName === "IO" && Object.hasOwn(IO_METHODS, method) && node.arguments.length > 0) {
        const arg = node.arguments[IO_METHODS[method]];
        addSink(node, (env, depth, unbound) => ({ kind: `io.${method}`, message: render(arg, env, depth, unbound) }));
        if (method === "choose" && node.arguments[1]) {
          for (const name of choiceNames(node.arguments[1])) {
            addSink(name, (env, depth, unbound) => ({
              kind: "io.choose choice",
              message: render(name, env, depth, unbound),
            }));
          }
        }
      }
      // `warnings.push(…)`, `result.failures.push(…)`
      const target = node.expression.expression;
      const targetName = ts.isIdentifier(target)
        ? target.text
        : ts.isPropertyAccessExpression(target)
          ? target.name.text
          : "";
      if (method === "push" && MESSAGE_FIELDS.has(targetName)) {
        for (const arg of node.arguments) {
          if (ts.isSpreadElement(arg)) continue;
          addSink(
            arg,
            (env, depth, unbound) => ({ kind: targetName, message: render(arg, env, depth, unbound) }),
            true,
          );
        }
      }
    }
    // `{ problem: …, fix }`, `x.reason = …`, `credentialError = …`, `let warning = …`
    const field = (name, value) => {
      if (value === undefined || !MESSAGE_FIELDS.has(name)) return;
      addSink(value, (env, depth, unbound) => ({ kind: name, message: render(value, env, depth, unbound) }), true);
    };
    if (ts.isPropertyAssignment(node) && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))) {
      field(node.name.text, node.initializer);
    }
    if (ts.isShorthandPropertyAssignment(node)) field(node.name.text, node.name);
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const left = node.left;
      const name = ts.isIdentifier(left) ? left.text : ts.isPropertyAccessExpression(left) ? left.name.text : "";
      field(name, node.right);
    }
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && functionOf(node) === undefined) {
      field(node.name.text, node.initializer);
    }
    ts.forEachChild(node, visit);
  };

  /** The `name` of each choice in `[{ value, name }, …]`, spreads of conditional lists included. */
  function choiceNames(list) {
    const names = [];
    const walk = (n) => {
      const e = skipOuter(n);
      if (ts.isArrayLiteralExpression(e)) e.elements.forEach(walk);
      else if (ts.isSpreadElement(e)) walk(e.expression);
      else if (ts.isConditionalExpression(e)) {
        walk(e.whenTrue);
        walk(e.whenFalse);
      } else if (ts.isObjectLiteralExpression(e)) {
        for (const p of e.properties)
          if (ts.isPropertyAssignment(p) && p.name.getText() === "name") names.push(p.initializer);
      } else if (ts.isIdentifier(e)) {
        const decl = symbolOf(e)?.valueDeclaration;
        if (decl && ts.isVariableDeclaration(decl) && decl.initializer) walk(decl.initializer);
      }
    };
    walk(list);
    return names;
  }

  // A stored text is catalogued when it has words; one that is only a placeholder is a message passed on
  // (`message: err.message`), catalogued where it was built.
  for (const sf of sources) visit(sf);

  const entries = [];
  const opaque = [];
  /**
   * Renders a sink where it is; a message built from a helper's parameters is rendered again at each call of
   * the helper (and so on outwards), since the words are in the arguments.
   */
  const expand = (sink, site, env, hops) => {
    const unbound = new Set();
    const { kind, message } = sink.build(env, MAX_DEPTH, unbound);
    const fn = enclosingFunction(site);
    const ownUnbound = [...unbound].filter((p) => fn !== undefined && p.parent === fn);
    const calls = ownUnbound.length > 0 && hops < 3 ? (callsOf.get(fn) ?? []) : [];
    // Worth following out only when some caller gives the parameter words.
    const wordy = calls.filter((call) => {
      const args = bind(fn, call.arguments, env);
      return ownUnbound.some((p) => {
        const b = args.get(p);
        return b !== undefined && render(b.node, b.env, MAX_DEPTH, new Set()).some(phrase);
      });
    });
    if (wordy.length > 0) {
      for (const call of calls) {
        const outer = bind(fn, call.arguments, new Map());
        // The caller's own parameters stay unbound: the next hop binds them.
        expand(sink, call, new Map([...env, ...outer]), hops + 1);
      }
      return;
    }
    const via = site === sink.node ? "" : ` via ${callName(site)}`;
    entries.push({ file: rel(site), pos: site.getStart(), kind: `${kind}${via}`, message, stored: sink.stored });
  };
  const callName = (call) => {
    const callee = call.expression;
    return `${(ts.isPropertyAccessExpression(callee) ? callee.name : callee).getText()}()`;
  };

  for (const s of sinks) expand(s, s.node, new Map(), 0);

  for (const helper of helpers) {
    // `const fix = …`: catalogued as a stored message already.
    if (ts.isVariableDeclaration(helper) && MESSAGE_FIELDS.has(helper.name.getText())) continue;
    const unbound = new Set();
    const init = ts.isVariableDeclaration(helper) ? skipOuter(helper.initializer) : undefined;
    const texts =
      init === undefined
        ? returnsOf(helper)
        : ts.isObjectLiteralExpression(init)
          ? init.properties.filter(ts.isPropertyAssignment).map((p) => p.initializer)
          : [init];
    const message = unique(texts.flatMap((r) => render(r, new Map(), MAX_DEPTH, unbound)));
    const name = (helper.name ?? helper.parent?.name)?.getText() ?? "?";
    const kind = ts.isVariableDeclaration(helper) ? `text of ${name}` : `text of ${name}()`;
    entries.push({ file: rel(helper), pos: helper.getStart(), kind, message, stored: true });
  }

  const catalogue = [];
  for (const e of entries) {
    const message = unique(e.message).filter((m, _, all) => m !== "" || all.length === 1);
    const words = message.some(hasWords);
    if (e.stored && !words) continue;
    // A blank line, or the newline that ends a reply.
    if (message.every((m) => m.trim() === "")) continue;
    const data = (p) => [...OPAQUE_CALLS].some((name) => p.startsWith(`{${name}(`));
    const passedOn = (m) => carried(m) || [...m.matchAll(/\{[^{}]*\}/g)].some((p) => listed.has(p[0]) || data(p[0]));
    if (!words && !message.some(passedOn)) opaque.push({ file: e.file, kind: e.kind, message: message.join(" / ") });
    catalogue.push({ file: e.file, pos: e.pos, kind: e.kind, message });
  }
  catalogue.sort((a, b) => (a.file === b.file ? a.pos - b.pos : a.file < b.file ? -1 : 1));
  return { catalogue, opaque };
}

/** docs/messages.md, as `npm run messages` writes it. */
export function renderCatalogue(extracted = extractMessages()) {
  const lines = [
    "# Messages",
    "",
    "<!-- Generated by `npm run messages` (scripts/messages.mjs) from src/ and scripts/glossary.mjs: do not edit. -->",
    "",
    GLOSSARY_INTRO.trim(),
    "",
    "## Glossary",
    "",
    "| Say | Not | Meaning |",
    "| --- | --- | --- |",
    ...GLOSSARY.map((g) => `| ${g.say} | ${g.not || "—"} | ${g.meaning} |`),
    "",
    "## Every message, by module",
    "",
    "Each line: where the text goes (an error class and its exit code, an `io` method, or the field that carries",
    "it to one), then the text, `{…}` standing for what is filled in. Variants of one message are on lines of",
    "their own, or folded as `{this|that}`.",
  ];
  let file;
  let seen = new Set();
  for (const e of extracted.catalogue) {
    if (e.file !== file) {
      if (file !== undefined) lines.push("```");
      file = e.file;
      seen = new Set();
      lines.push("", `### ${file}`, "", "```text");
    }
    for (const m of e.message) {
      const line = `${e.kind.padEnd(24)} ${m.replace(/\n/g, "\\n")}`;
      if (seen.has(line)) continue;
      seen.add(line);
      lines.push(line);
    }
  }
  if (file !== undefined) lines.push("```");
  return `${lines.join("\n")}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const extracted = extractMessages();
  writeFileSync(join(ROOT, "docs", "messages.md"), renderCatalogue(extracted));
  console.log(`wrote docs/messages.md (${extracted.catalogue.length} messages)`);
  for (const o of extracted.opaque) console.log(`opaque: ${o.file} ${o.kind}: ${o.message}`);
}
