import { ValidationError } from "../errors/errors.ts";

/**
 * How deep `data`, `metadata` and pattern values may nest (SPEC section 4). A value's depth
 * counts its containers: `{}` and `[]` are 1, `{"a":[1]}` is 2. The limit is what keeps every
 * recursive step that follows (JSON.stringify, the canonicaliser, merge patch) far from the
 * stack limit: a body nested 5,000 arrays deep used to overflow the serialiser after the change
 * had been applied in memory.
 */
export const MAX_NESTING_DEPTH = 64;

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | null;
  key: string | number;
}

/**
 * Checks that `value` is plain JSON that survives a round trip unchanged: `null`, booleans,
 * strings, **finite** numbers (`1e999` parses to `Infinity`, which JSON would turn into
 * `null`), arrays without holes and plain objects, nested at most `maxDepth` containers deep.
 * Iterative, so a hostile value cannot overflow the stack here either. Throws a
 * `ValidationError` whose message and `details.path` name the offending place.
 */
export function assertJsonValue(value: unknown, path: string, maxDepth = MAX_NESTING_DEPTH): void {
  const root: Frame = { value, depth: 0, parent: null, key: "" };
  const stack: Frame[] = [root];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const v = frame.value;
    switch (typeof v) {
      case "string":
      case "boolean":
        continue;
      case "number":
        if (!Number.isFinite(v)) reject(frame, path, `must be a finite number (got ${v})`);
        continue;
      case "object":
        break;
      default:
        reject(frame, path, `is not a JSON value (${typeof v})`);
    }
    if (v === null) continue;
    const depth = frame.depth + 1;
    if (depth > maxDepth) reject(frame, path, `nests deeper than ${maxDepth} levels`);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        if (!(i in v)) reject({ value: undefined, depth, parent: frame, key: i }, path, "is a hole");
        const item: unknown = v[i];
        if (typeof item === "string" || typeof item === "boolean" || item === null) continue;
        stack.push({ value: item, depth, parent: frame, key: i });
      }
      continue;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) reject(frame, path, "is not a plain object");
    const obj = v as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      const item = obj[key];
      if (typeof item === "string" || typeof item === "boolean" || item === null) continue;
      stack.push({ value: item, depth, parent: frame, key });
    }
  }
}

function reject(frame: Frame, root: string, problem: string): never {
  const path = pathOf(frame, root);
  throw new ValidationError(`${path} ${problem}`, { details: { field: path, path } });
}

/** `data.prices[3].close`: built only for the error, by walking up the frames. */
function pathOf(frame: Frame, root: string): string {
  const parts: string[] = [];
  for (let f: Frame | null = frame; f?.parent; f = f.parent) {
    parts.push(
      typeof f.key === "number"
        ? `[${f.key}]`
        : /^[A-Za-z_$][\w$]*$/.test(f.key)
          ? `.${f.key}`
          : `[${JSON.stringify(f.key)}]`,
    );
  }
  return root + parts.reverse().join("");
}
