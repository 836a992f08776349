/**
 * Deterministic generator of DawsOS-shaped graphs in the seed format (SPEC section 4:
 * `version: 2`, nodes keyed by id without timestamps, edges `{ from, to, type, strength }`
 * without ids). The same `{ nodes, edgesPerNode, seed }` always gives the same document.
 *
 * The shape follows the original system: a few regime and sector hubs, FRED indicators and
 * their observations, stocks and companies, signals and concepts, each with realistic `data`
 * (names, symbols, series ids, values, prices, P/E, a description, a small nested object).
 * Pretty-printed as the original Python system wrote it, a 100k-node graph is ~140 MB.
 */

export interface GenerateOptions {
  nodes: number;
  /** Outgoing edges per node (default 3, as the 10k/30k and 100k/300k sizes of SPEC section 9). */
  edgesPerNode?: number;
  /** PRNG seed (default 1). */
  seed?: number;
}

export interface SeedNode {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

export interface SeedEdge {
  from: string;
  to: string;
  type: string;
  strength: number;
}

export interface SeedDocument {
  version: 2;
  nodes: Record<string, SeedNode>;
  edges: SeedEdge[];
  patterns: Record<string, Record<string, unknown>>;
  metadata: Record<string, unknown>;
}

/** mulberry32: small, fast, good enough for benchmark data, and identical on every run. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;

const round = (x: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const between = (rng: Rng, lo: number, hi: number, digits = 2): number =>
  round(lo + rng() * (hi - lo), digits);

const SYLLABLES = [
  "ar",
  "bel",
  "cor",
  "dyn",
  "el",
  "fin",
  "gen",
  "hal",
  "ion",
  "jet",
  "kor",
  "lum",
  "max",
  "nov",
  "or",
  "pax",
  "quan",
  "ren",
  "sol",
  "tek",
  "ul",
  "ver",
  "wex",
  "xan",
  "yor",
  "zen",
];
const WORDS = [
  "growth",
  "inflation",
  "liquidity",
  "earnings",
  "momentum",
  "credit",
  "spread",
  "yield",
  "margin",
  "demand",
  "supply",
  "policy",
  "rates",
  "volatility",
  "sentiment",
  "breadth",
  "valuation",
  "cycle",
  "labour",
  "housing",
  "energy",
  "consumer",
  "capex",
  "exports",
  "inventory",
  "guidance",
];
const VERBS = [
  "tracks",
  "leads",
  "lags",
  "signals",
  "drives",
  "reflects",
  "pressures",
  "supports",
  "measures",
  "anticipates",
];
const SECTORS = [
  "TECHNOLOGY",
  "HEALTHCARE",
  "FINANCIALS",
  "ENERGY",
  "INDUSTRIALS",
  "CONSUMER_DISCRETIONARY",
  "CONSUMER_STAPLES",
  "UTILITIES",
  "REAL_ESTATE",
  "MATERIALS",
  "COMMUNICATION_SERVICES",
];
const SECTOR_ETFS = ["XLK", "XLV", "XLF", "XLE", "XLI", "XLY", "XLP", "XLU", "XLRE", "XLB", "XLC"];
const REGIMES = ["GOLDILOCKS", "OVERHEATING", "STAGFLATION", "RECESSION", "RECOVERY"];
const FREQUENCIES = ["daily", "weekly", "monthly", "quarterly"];
const CATEGORIES = [
  "growth",
  "inflation",
  "labour",
  "rates",
  "credit",
  "liquidity",
  "housing",
  "trade",
  "sentiment",
];

/** Node types and their share of the generated (non-hub) nodes. */
const TYPE_WEIGHTS: ReadonlyArray<readonly [string, number]> = [
  ["stock", 0.24],
  ["company", 0.16],
  ["indicator_value", 0.2],
  ["economic_indicator", 0.1],
  ["indicator", 0.08],
  ["signal", 0.08],
  ["concept", 0.1],
  ["sentiment", 0.02],
  ["index", 0.02],
];

/** Edge types by the type of the source node (the first one is the most common). */
const EDGE_TYPES: Record<string, readonly string[]> = {
  regime: ["favors", "pressures", "influences"],
  sector: ["contains", "influences", "correlates_with"],
  indicator: ["indicates_growth", "indicates_inflation", "influences", "leads"],
  economic_indicator: ["indicates_growth", "indicates_labor", "drives", "influences"],
  indicator_value: ["observation_of", "influences"],
  stock: ["belongs_to", "correlates_with", "influences"],
  company: ["issues", "competes_with", "supplies"],
  signal: ["signals", "indicates_growth", "pressures"],
  concept: ["relates_to", "explains", "influences"],
  sentiment: ["influences", "pressures"],
  index: ["includes", "tracks"],
};

const PREFIX: Record<string, string> = {
  stock: "STK",
  company: "CO",
  indicator_value: "OBS",
  economic_indicator: "ECON",
  indicator: "IND",
  signal: "SIG",
  concept: "CON",
  sentiment: "SENT",
  index: "IDX",
};

function word(rng: Rng): string {
  return pick(rng, WORDS);
}

function properName(rng: Rng, parts = 2): string {
  let s = "";
  for (let i = 0; i < parts; i++) s += pick(rng, SYLLABLES);
  return s[0]!.toUpperCase() + s.slice(1);
}

function ticker(i: number): string {
  // Unique per index: base-26 letters.
  let n = i;
  let s = "";
  do {
    s = String.fromCharCode(65 + (n % 26)) + s;
    n = Math.floor(n / 26);
  } while (n > 0);
  return s.padStart(4, "A");
}

function sentence(rng: Rng): string {
  return `${properName(rng)} ${pick(rng, VERBS)} ${word(rng)} and ${word(rng)} across the ${word(rng)} cycle.`;
}

function isoDate(rng: Rng): string {
  const y = 2015 + Math.floor(rng() * 10);
  const m = 1 + Math.floor(rng() * 12);
  const d = 1 + Math.floor(rng() * 28);
  return `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/** What every node carries besides its type's fields: tags, recent history, provenance. */
function commonData(rng: Rng, value: number): Record<string, unknown> {
  const history: Array<{ date: string; value: number }> = [];
  for (let k = 0; k < 3; k++)
    history.push({ date: isoDate(rng), value: round(value * (0.9 + rng() * 0.2), 3) });
  return {
    tags: [word(rng), word(rng), pick(rng, CATEGORIES)],
    history,
    updated: `${isoDate(rng)}T${String(Math.floor(rng() * 24)).padStart(2, "0")}:00:00Z`,
    confidence: between(rng, 0.3, 1),
  };
}

function dataFor(type: string, i: number, rng: Rng): Record<string, unknown> {
  const data = typeData(type, i, rng);
  const value = typeof data.value === "number" ? data.value : typeof data.price === "number" ? data.price : 1;
  return { ...data, ...commonData(rng, value) };
}

function typeData(type: string, i: number, rng: Rng): Record<string, unknown> {
  const t = ticker(i);
  switch (type) {
    case "stock":
      return {
        name: `${properName(rng)} ${pick(rng, ["Inc.", "Corp.", "Holdings", "Group", "plc"])}`,
        symbol: t,
        sector: pick(rng, SECTORS),
        price: between(rng, 3, 900),
        pe: between(rng, 4, 80, 1),
        beta: between(rng, 0.3, 2.2),
        dividend_yield: between(rng, 0, 0.06, 4),
        market_cap: Math.round(between(rng, 0.2, 3000, 1) * 1e9),
        description: sentence(rng),
        fundamentals: {
          eps: between(rng, -2, 25),
          revenue_growth: between(rng, -0.2, 0.6, 3),
          gross_margin: between(rng, 0.1, 0.85, 3),
          fiscal_year: 2020 + Math.floor(rng() * 5),
        },
      };
    case "company":
      return {
        name: `${properName(rng, 3)} ${pick(rng, ["Industries", "Systems", "Partners", "Labs", "Capital"])}`,
        symbol: t,
        industry: `${word(rng)} ${pick(rng, ["services", "equipment", "software", "materials"])}`,
        employees: Math.floor(rng() * 200_000),
        headquarters: `${properName(rng)} City`,
        description: sentence(rng),
        financials: {
          revenue: Math.round(rng() * 5e10),
          net_income: Math.round((rng() - 0.2) * 5e9),
          currency: "USD",
          fiscal_year: 2020 + Math.floor(rng() * 5),
        },
      };
    case "indicator_value":
      return {
        series_id: `${t}${pick(rng, ["SL", "NSA", "SA", "M"])}`,
        date: isoDate(rng),
        value: between(rng, -5, 400, 3),
        previous: between(rng, -5, 400, 3),
        units: pick(rng, ["lin", "pc1", "pch", "chg"]),
        description: `Observation of ${word(rng)} ${word(rng)} (${pick(rng, FREQUENCIES)}).`,
        vintage: { realtime_start: isoDate(rng), realtime_end: "9999-12-31", revised: rng() < 0.3 },
      };
    case "economic_indicator":
    case "indicator":
      return {
        name: `${word(rng)[0]!.toUpperCase()}${word(rng).slice(1)} ${word(rng)} index`,
        series_id: `${t}${pick(rng, ["SL", "NSA", "SA", "RL1Q225SBEA"])}`,
        unit: pick(rng, ["%", "index", "bps", "USD bn", "thousands"]),
        frequency: pick(rng, FREQUENCIES),
        value: between(rng, -3, 250, 2),
        previous: between(rng, -3, 250, 2),
        category: pick(rng, CATEGORIES),
        description: sentence(rng),
        source: { provider: "FRED", release: `${properName(rng)} release`, last_updated: isoDate(rng) },
      };
    case "signal":
      return {
        name: `${word(rng)} ${word(rng)} signal`,
        value: between(rng, 0, 1, 3),
        threshold: between(rng, 0.3, 0.9),
        direction: pick(rng, ["bullish", "bearish", "neutral"]),
        description: sentence(rng),
        inputs: { lookback_days: 20 + Math.floor(rng() * 230), smoothing: pick(rng, ["ema", "sma", "none"]) },
      };
    case "concept":
      return {
        name: `${word(rng)} ${word(rng)}`,
        description: `${sentence(rng)} ${sentence(rng)}`,
        tags: [word(rng), word(rng), word(rng)],
        importance: pick(rng, ["PRIMARY", "SECONDARY", "CONTEXT"]),
        related: { regime: pick(rng, REGIMES), confidence: between(rng, 0.2, 1) },
      };
    case "sentiment":
      return {
        name: `${properName(rng)} ${word(rng)} sentiment`,
        value: between(rng, 0, 100, 1),
        scale: "0-100",
        description: sentence(rng),
        survey: { respondents: Math.floor(rng() * 5000), released: isoDate(rng) },
      };
    default:
      return {
        name: `${properName(rng)} ${word(rng)} index`,
        symbol: t,
        price: between(rng, 10, 6000),
        change_pct: between(rng, -5, 5),
        description: sentence(rng),
        composition: { members: 10 + Math.floor(rng() * 490), weighting: pick(rng, ["cap", "equal"]) },
      };
  }
}

/** Generates a DawsOS-shaped graph document in the seed format. */
export function generateGraphDocument(options: GenerateOptions): SeedDocument {
  const total = options.nodes;
  const perNode = options.edgesPerNode ?? 3;
  const seed = options.seed ?? 1;
  const rng = createRng(seed);
  const nodes: Record<string, SeedNode> = {};
  const ids: string[] = [];
  const types: string[] = [];
  const add = (id: string, type: string, data: Record<string, unknown>) => {
    if (ids.length >= total) return;
    nodes[id] = { id, type, data };
    ids.push(id);
    types.push(type);
  };

  // Hubs first: the regime, the eleven sectors and their bellwether indicators.
  add("ECONOMIC_REGIME", "regime", {
    name: "Economic regime",
    current_state: pick(rng, REGIMES),
    states: [...REGIMES],
    description: "The macro backdrop every other node is read against.",
    probabilities: Object.fromEntries(REGIMES.map((r) => [r, between(rng, 0, 1)])),
  });
  SECTORS.forEach((sector, k) => {
    add(sector, "sector", {
      name: sector.replaceAll("_", " ").toLowerCase(),
      etf: SECTOR_ETFS[k],
      description: `GICS sector ${sector.toLowerCase()}, tracked through ${SECTOR_ETFS[k]}.`,
      weights: { sp500: between(rng, 0.02, 0.3, 3), equal_weight: round(1 / 11, 3) },
    });
  });
  for (const id of [
    "GDP",
    "CPI",
    "CORE_PCE",
    "UNEMPLOYMENT",
    "FED_RATE",
    "TREASURY_10Y",
    "TREASURY_2Y",
    "YIELD_CURVE",
  ]) {
    add(id, "indicator", dataFor("indicator", ids.length, rng));
  }
  const hubCount = ids.length;

  // The rest, by weighted type.
  const cumulative: Array<[string, number]> = [];
  let acc = 0;
  for (const [type, w] of TYPE_WEIGHTS) {
    acc += w;
    cumulative.push([type, acc]);
  }
  const counters: Record<string, number> = {};
  while (ids.length < total) {
    const r = rng() * acc;
    const type = cumulative.find(([, c]) => r < c)?.[0] ?? "concept";
    const n = (counters[type] ?? 0) + 1;
    counters[type] = n;
    add(`${PREFIX[type]}_${String(n).padStart(6, "0")}`, type, dataFor(type, ids.length, rng));
  }

  // Edges: `perNode` from every node, 15% to a hub (regime, sectors, key indicators), the rest
  // uniform. No self loops and no duplicate (from, to, type).
  const edges: SeedEdge[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < ids.length; i++) {
    const from = ids[i]!;
    const edgeTypes = EDGE_TYPES[types[i]!] ?? ["influences"];
    let made = 0;
    for (let attempt = 0; made < perNode && attempt < perNode * 10; attempt++) {
      const j = hubCount > 1 && rng() < 0.15 ? Math.floor(rng() * hubCount) : Math.floor(rng() * ids.length);
      if (j === i) continue;
      const to = ids[j]!;
      const type = rng() < 0.6 ? edgeTypes[0]! : pick(rng, edgeTypes);
      const key = `${from}\u0000${to}\u0000${type}`;
      if (seen.has(key)) continue;
      seen.add(key);
      edges.push({ from, to, type, strength: between(rng, 0.05, 1) });
      made++;
    }
  }

  const patterns: Record<string, Record<string, unknown>> = {};
  const indicators = ids.filter((_, k) => types[k] === "indicator" || types[k] === "economic_indicator");
  for (let p = 0; p < Math.min(50, Math.max(1, Math.floor(total / 200))); p++) {
    const a = pick(rng, indicators.length > 0 ? indicators : ids);
    const b = pick(rng, indicators.length > 0 ? indicators : ids);
    patterns[`pattern_${String(p + 1).padStart(3, "0")}`] = {
      type: pick(rng, ["REGIME_SHIFT", "RATE_SHOCK", "VALUATION", "LABOR", "CREDIT"]),
      description: `${properName(rng)}: ${word(rng)} meets ${word(rng)}.`,
      trigger_conditions: [`${a} > ${between(rng, 0, 5, 1)}%`, `${b} < ${between(rng, 50, 250, 0)}`],
      confidence: between(rng, 0.4, 0.95),
      nodes: [a, b, "ECONOMIC_REGIME"].filter((id) => id in nodes),
    };
  }

  return {
    version: 2,
    nodes,
    edges,
    patterns,
    metadata: {
      name: `DawsOS benchmark graph (${total} nodes)`,
      description: "Generated by @dawsos/bench: DawsOS-shaped nodes, edges and patterns.",
      source: "dawsos-bench-generator",
      generator: { seed, nodes: total, edges_per_node: perNode },
    },
  };
}

/**
 * The original Python system's representation of a document: `json.dump(doc, f, indent=2)`
 * (default `ensure_ascii=True`, separators `", "`/`": "` — which with an indent leaves item
 * lines without trailing spaces, exactly like `JSON.stringify(doc, null, 2)`). Python writes
 * floats such as `35.0` with a trailing `.0`; the generator's numbers are not affected in size
 * enough to matter. No trailing newline, as `json.dump` writes none.
 */
export function writePythonPretty(doc: unknown): string {
  const text = JSON.stringify(doc, null, 2);
  // ensure_ascii: escape everything outside ASCII as \uXXXX (UTF-16 code units, as Python does).
  return /[\u0080-\uffff]/.test(text)
    ? text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
    : text;
}

/** Shorthand for sizes in names: 10000 → "10k", 1000000 → "1M". */
export function sizeLabel(n: number): string {
  if (n >= 1_000_000 && n % 1_000_000 === 0) return `${n / 1_000_000}M`;
  if (n >= 1000 && n % 1000 === 0) return `${n / 1000}k`;
  return String(n);
}
