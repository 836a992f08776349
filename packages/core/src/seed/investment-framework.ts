/**
 * The default investment-framework seed: the graph a fresh DawsOS storage directory is
 * initialised from (unless `DAWSOS_SEED` names another file), written out as
 * `storage/seeded_graph.json` and loaded into the main graph.
 *
 * It is in the seed format of SPEC section 4: `version: 2`, no `seq`, no `checksum`, nodes without
 * timestamps and edges without `id` (the loader stamps `created_at`/`updated_at` and derives a
 * deterministic edge id from `from`, `to` and `type`).
 *
 * What it holds:
 * - `ECONOMIC_REGIME` (`regime`): the macro regime, one of GOLDILOCKS, OVERHEATING, STAGFLATION,
 *   RECESSION or RECOVERY; it starts in GOLDILOCKS.
 * - `indicator` nodes for growth (GDP), inflation (CPI, CORE_PCE), labour (UNEMPLOYMENT,
 *   INITIAL_CLAIMS), policy and rates (FED_RATE, TREASURY_2Y, TREASURY_10Y, YIELD_CURVE), credit
 *   (CREDIT_SPREAD), commodities (OIL_PRICE) and the dollar (DOLLAR_INDEX). Each names its FRED
 *   series in `data.series_id`; where FRED publishes an index level but the graph reasons about a
 *   year-over-year rate, `data.units` is the FRED `units` transform to request (`pc1`).
 * - `sentiment` nodes (RISK_SENTIMENT on a 0–100 scale, CONSUMER_SENTIMENT) and `index` nodes
 *   (VIX, SPY, QQQ).
 * - The eleven GICS `sector` nodes, each with its SPDR sector ETF in `data.etf`.
 * - `stock` nodes keyed by ticker with `data.sector` naming their sector node.
 * - `signal` nodes (YIELD_CURVE_INVERSION, CREDIT_SPREAD_WIDENING, EARNINGS_MOMENTUM,
 *   MARKET_BREADTH, INFLATION_SURPRISE) whose `data.value` is a 0–1 signal strength.
 * - Edges from indicators to the regime (`indicates_growth`, `indicates_inflation`,
 *   `indicates_labor`, `determines_liquidity`), between macro series (`drives`, `influences`,
 *   `leads`, `inversely_correlates`, `triggers`), from the regime and from rates, oil, the dollar
 *   and credit to sectors (`favors`, `pressures`; the regime's edges describe the current
 *   GOLDILOCKS state), from sectors and indices to their members (`contains`, `includes`), and
 *   from signals to the regime, sentiment and markets (`signals`). So multi-hop paths such as
 *   FED_RATE → TREASURY_10Y → TECHNOLOGY → AAPL and CPI → ECONOMIC_REGIME → TECHNOLOGY → AAPL exist.
 * - Patterns in the condition grammar `<NODE_ID>[.<data path>] <op> <number>[%]` (default path
 *   `data.value`): regime shifts toward overheating, stagflation and recession, a Goldilocks
 *   confirmation, a yield-curve inversion, a rate shock, an NVDA valuation stretch and a labour
 *   deterioration pattern, each listing the nodes it concerns in `nodes`.
 *
 * Every `value`, `price`, `pe`, `beta` and `dividend_yield` here is an illustrative starting point
 * (roughly the late-2024 picture), not live data: the data workflows (FRED, market quotes) refresh
 * them. With these starting values the Goldilocks confirmation and the NVDA valuation patterns are
 * triggered and the others are not.
 */
/** A graph document in the seed format (SPEC section 4). */
export interface SeedDocument {
  version: 2;
  nodes: Record<string, { type: string; data: Record<string, unknown>; [extra: string]: unknown }>;
  edges: Array<{ from: string; to: string; type: string; strength: number; [extra: string]: unknown }>;
  patterns: Record<string, { type: string; trigger_conditions?: string[]; [extra: string]: unknown }>;
  metadata?: Record<string, unknown>;
}

const seed = {
  version: 2,
  nodes: {
    // ── Regime ────────────────────────────────────────────────────────────────────────────────
    ECONOMIC_REGIME: {
      id: "ECONOMIC_REGIME",
      type: "regime",
      data: {
        name: "Economic regime",
        current_state: "GOLDILOCKS",
        states: ["GOLDILOCKS", "OVERHEATING", "STAGFLATION", "RECESSION", "RECOVERY"],
        description:
          "The macro backdrop the rest of the framework is read against: growth, inflation, labour and " +
          "liquidity together decide which regime holds and therefore which sectors it favours.",
        importance: "PRIMARY",
        state_descriptions: {
          GOLDILOCKS: "Trend-or-better growth, inflation near target, a firm labour market, stable policy.",
          OVERHEATING: "Above-trend growth with accelerating inflation; policy tightening is likely.",
          STAGFLATION: "Weak or stalling growth while inflation stays high; the hardest mix for assets.",
          RECESSION: "Contracting output, rising unemployment, easing policy and widening credit spreads.",
          RECOVERY: "Growth re-accelerating from a trough with slack still in the economy and easy policy.",
        },
      },
    },

    // ── Indicators (FRED series) ──────────────────────────────────────────────────────────────
    GDP: {
      id: "GDP",
      type: "indicator",
      data: {
        name: "Real GDP growth",
        series_id: "A191RL1Q225SBEA",
        unit: "%",
        frequency: "quarterly",
        value: 2.4,
        description: "Real gross domestic product, percent change from the preceding quarter, annualised.",
        category: "growth",
      },
    },
    CPI: {
      id: "CPI",
      type: "indicator",
      data: {
        name: "Consumer price inflation",
        series_id: "CPIAUCSL",
        units: "pc1",
        unit: "%",
        frequency: "monthly",
        value: 3.1,
        description: "CPI for all urban consumers, all items, year-over-year change.",
        category: "inflation",
      },
    },
    CORE_PCE: {
      id: "CORE_PCE",
      type: "indicator",
      data: {
        name: "Core PCE inflation",
        series_id: "PCEPILFE",
        units: "pc1",
        unit: "%",
        frequency: "monthly",
        value: 2.8,
        description: "PCE price index excluding food and energy, year-over-year; the Fed's preferred gauge.",
        category: "inflation",
      },
    },
    UNEMPLOYMENT: {
      id: "UNEMPLOYMENT",
      type: "indicator",
      data: {
        name: "Unemployment rate",
        series_id: "UNRATE",
        unit: "%",
        frequency: "monthly",
        value: 4.1,
        description: "Civilian unemployment rate, seasonally adjusted.",
        category: "labor",
      },
    },
    INITIAL_CLAIMS: {
      id: "INITIAL_CLAIMS",
      type: "indicator",
      data: {
        name: "Initial jobless claims",
        series_id: "ICSA",
        unit: "thousands",
        frequency: "weekly",
        value: 225,
        description:
          "Initial claims for unemployment insurance, seasonally adjusted; a leading labour gauge.",
        category: "labor",
      },
    },
    FED_RATE: {
      id: "FED_RATE",
      type: "indicator",
      data: {
        name: "Effective federal funds rate",
        series_id: "FEDFUNDS",
        unit: "%",
        frequency: "monthly",
        value: 4.5,
        description: "The overnight policy rate; the anchor for short rates and for liquidity conditions.",
        category: "policy",
      },
    },
    TREASURY_2Y: {
      id: "TREASURY_2Y",
      type: "indicator",
      data: {
        name: "2-year Treasury yield",
        series_id: "DGS2",
        unit: "%",
        frequency: "daily",
        value: 3.95,
        description: "Market yield on 2-year Treasuries at constant maturity; tracks expected policy.",
        category: "rates",
      },
    },
    TREASURY_10Y: {
      id: "TREASURY_10Y",
      type: "indicator",
      data: {
        name: "10-year Treasury yield",
        series_id: "DGS10",
        unit: "%",
        frequency: "daily",
        value: 4.3,
        description:
          "Market yield on 10-year Treasuries at constant maturity; the discount rate for equities.",
        category: "rates",
      },
    },
    YIELD_CURVE: {
      id: "YIELD_CURVE",
      type: "indicator",
      data: {
        name: "10y–2y Treasury spread",
        series_id: "T10Y2Y",
        unit: "%",
        frequency: "daily",
        value: 0.35,
        description: "10-year minus 2-year Treasury yield; below zero (inverted) has preceded recessions.",
        category: "rates",
      },
    },
    CREDIT_SPREAD: {
      id: "CREDIT_SPREAD",
      type: "indicator",
      data: {
        name: "High-yield credit spread",
        series_id: "BAMLH0A0HYM2",
        unit: "%",
        frequency: "daily",
        value: 3.2,
        description: "ICE BofA US High Yield option-adjusted spread; widens as credit stress builds.",
        category: "credit",
      },
    },
    OIL_PRICE: {
      id: "OIL_PRICE",
      type: "indicator",
      data: {
        name: "WTI crude oil",
        series_id: "DCOILWTICO",
        unit: "USD/bbl",
        frequency: "daily",
        value: 72,
        description: "West Texas Intermediate spot price; feeds headline inflation and energy earnings.",
        category: "commodities",
      },
    },
    DOLLAR_INDEX: {
      id: "DOLLAR_INDEX",
      type: "indicator",
      data: {
        name: "Broad US dollar index",
        series_id: "DTWEXBGS",
        unit: "index",
        frequency: "daily",
        value: 123,
        description:
          "Nominal broad trade-weighted dollar; a strong dollar weighs on commodities and exporters.",
        category: "fx",
      },
    },

    // ── Sentiment and market indices ──────────────────────────────────────────────────────────
    RISK_SENTIMENT: {
      id: "RISK_SENTIMENT",
      type: "sentiment",
      data: {
        name: "Risk sentiment",
        unit: "score",
        scale: "0-100",
        value: 62,
        description:
          "Composite risk appetite (0 = fear, 100 = greed) built from volatility, credit and breadth.",
      },
    },
    CONSUMER_SENTIMENT: {
      id: "CONSUMER_SENTIMENT",
      type: "sentiment",
      data: {
        name: "Consumer sentiment",
        series_id: "UMCSENT",
        unit: "index",
        frequency: "monthly",
        value: 70,
        description:
          "University of Michigan consumer sentiment (1966 Q1 = 100); drives discretionary spending.",
      },
    },
    VIX: {
      id: "VIX",
      type: "index",
      data: {
        name: "CBOE Volatility Index",
        series_id: "VIXCLS",
        unit: "index",
        frequency: "daily",
        value: 16.5,
        description: "Implied 30-day S&P 500 volatility; spikes above 30 mark risk-off episodes.",
      },
    },
    SPY: {
      id: "SPY",
      type: "index",
      data: {
        name: "SPDR S&P 500 ETF",
        symbol: "SPY",
        price: 590,
        value: 590,
        description: "The broad US large-cap equity market.",
      },
    },
    QQQ: {
      id: "QQQ",
      type: "index",
      data: {
        name: "Invesco QQQ (Nasdaq-100)",
        symbol: "QQQ",
        price: 510,
        value: 510,
        description: "Large-cap growth and technology heavy index; the most rate-sensitive of the majors.",
      },
    },

    // ── Sectors (GICS, SPDR sector ETFs) ──────────────────────────────────────────────────────
    TECHNOLOGY: {
      id: "TECHNOLOGY",
      type: "sector",
      data: { name: "Information Technology", etf: "XLK", cyclicality: "cyclical", rate_sensitivity: "high" },
    },
    COMMUNICATION_SERVICES: {
      id: "COMMUNICATION_SERVICES",
      type: "sector",
      data: {
        name: "Communication Services",
        etf: "XLC",
        cyclicality: "cyclical",
        rate_sensitivity: "medium",
      },
    },
    CONSUMER_DISCRETIONARY: {
      id: "CONSUMER_DISCRETIONARY",
      type: "sector",
      data: { name: "Consumer Discretionary", etf: "XLY", cyclicality: "cyclical", rate_sensitivity: "high" },
    },
    FINANCIALS: {
      id: "FINANCIALS",
      type: "sector",
      data: { name: "Financials", etf: "XLF", cyclicality: "cyclical", rate_sensitivity: "medium" },
    },
    INDUSTRIALS: {
      id: "INDUSTRIALS",
      type: "sector",
      data: { name: "Industrials", etf: "XLI", cyclicality: "cyclical", rate_sensitivity: "medium" },
    },
    ENERGY: {
      id: "ENERGY",
      type: "sector",
      data: { name: "Energy", etf: "XLE", cyclicality: "cyclical", rate_sensitivity: "low" },
    },
    MATERIALS: {
      id: "MATERIALS",
      type: "sector",
      data: { name: "Materials", etf: "XLB", cyclicality: "cyclical", rate_sensitivity: "medium" },
    },
    HEALTHCARE: {
      id: "HEALTHCARE",
      type: "sector",
      data: { name: "Health Care", etf: "XLV", cyclicality: "defensive", rate_sensitivity: "low" },
    },
    CONSUMER_STAPLES: {
      id: "CONSUMER_STAPLES",
      type: "sector",
      data: { name: "Consumer Staples", etf: "XLP", cyclicality: "defensive", rate_sensitivity: "medium" },
    },
    UTILITIES: {
      id: "UTILITIES",
      type: "sector",
      data: { name: "Utilities", etf: "XLU", cyclicality: "defensive", rate_sensitivity: "high" },
    },
    REAL_ESTATE: {
      id: "REAL_ESTATE",
      type: "sector",
      data: { name: "Real Estate", etf: "XLRE", cyclicality: "defensive", rate_sensitivity: "high" },
    },

    // ── Stocks (illustrative prices and trailing P/E) ─────────────────────────────────────────
    AAPL: {
      id: "AAPL",
      type: "stock",
      data: {
        symbol: "AAPL",
        name: "Apple Inc.",
        sector: "TECHNOLOGY",
        price: 228,
        pe: 34.5,
        beta: 1.2,
        dividend_yield: 0.44,
      },
    },
    MSFT: {
      id: "MSFT",
      type: "stock",
      data: {
        symbol: "MSFT",
        name: "Microsoft Corp.",
        sector: "TECHNOLOGY",
        price: 425,
        pe: 35.2,
        beta: 0.9,
        dividend_yield: 0.78,
      },
    },
    NVDA: {
      id: "NVDA",
      type: "stock",
      data: {
        symbol: "NVDA",
        name: "NVIDIA Corp.",
        sector: "TECHNOLOGY",
        price: 138,
        pe: 64,
        beta: 1.7,
        dividend_yield: 0.03,
      },
    },
    GOOGL: {
      id: "GOOGL",
      type: "stock",
      data: {
        symbol: "GOOGL",
        name: "Alphabet Inc. (Class A)",
        sector: "COMMUNICATION_SERVICES",
        price: 172,
        pe: 23.5,
        beta: 1.05,
        dividend_yield: 0.47,
      },
    },
    META: {
      id: "META",
      type: "stock",
      data: {
        symbol: "META",
        name: "Meta Platforms Inc.",
        sector: "COMMUNICATION_SERVICES",
        price: 565,
        pe: 27,
        beta: 1.25,
        dividend_yield: 0.35,
      },
    },
    AMZN: {
      id: "AMZN",
      type: "stock",
      data: {
        symbol: "AMZN",
        name: "Amazon.com Inc.",
        sector: "CONSUMER_DISCRETIONARY",
        price: 198,
        pe: 42,
        beta: 1.15,
        dividend_yield: 0,
      },
    },
    TSLA: {
      id: "TSLA",
      type: "stock",
      data: {
        symbol: "TSLA",
        name: "Tesla Inc.",
        sector: "CONSUMER_DISCRETIONARY",
        price: 255,
        pe: 70,
        beta: 2.3,
        dividend_yield: 0,
      },
    },
    HD: {
      id: "HD",
      type: "stock",
      data: {
        symbol: "HD",
        name: "The Home Depot Inc.",
        sector: "CONSUMER_DISCRETIONARY",
        price: 395,
        pe: 26.5,
        beta: 1.0,
        dividend_yield: 2.3,
      },
    },
    JPM: {
      id: "JPM",
      type: "stock",
      data: {
        symbol: "JPM",
        name: "JPMorgan Chase & Co.",
        sector: "FINANCIALS",
        price: 228,
        pe: 12.6,
        beta: 1.1,
        dividend_yield: 2.2,
      },
    },
    BAC: {
      id: "BAC",
      type: "stock",
      data: {
        symbol: "BAC",
        name: "Bank of America Corp.",
        sector: "FINANCIALS",
        price: 43,
        pe: 13.4,
        beta: 1.3,
        dividend_yield: 2.4,
      },
    },
    CAT: {
      id: "CAT",
      type: "stock",
      data: {
        symbol: "CAT",
        name: "Caterpillar Inc.",
        sector: "INDUSTRIALS",
        price: 375,
        pe: 17,
        beta: 1.1,
        dividend_yield: 1.5,
      },
    },
    XOM: {
      id: "XOM",
      type: "stock",
      data: {
        symbol: "XOM",
        name: "Exxon Mobil Corp.",
        sector: "ENERGY",
        price: 116,
        pe: 14.3,
        beta: 0.85,
        dividend_yield: 3.3,
      },
    },
    CVX: {
      id: "CVX",
      type: "stock",
      data: {
        symbol: "CVX",
        name: "Chevron Corp.",
        sector: "ENERGY",
        price: 156,
        pe: 16,
        beta: 0.95,
        dividend_yield: 4.2,
      },
    },
    LIN: {
      id: "LIN",
      type: "stock",
      data: {
        symbol: "LIN",
        name: "Linde plc",
        sector: "MATERIALS",
        price: 455,
        pe: 33,
        beta: 0.9,
        dividend_yield: 1.2,
      },
    },
    JNJ: {
      id: "JNJ",
      type: "stock",
      data: {
        symbol: "JNJ",
        name: "Johnson & Johnson",
        sector: "HEALTHCARE",
        price: 156,
        pe: 15.5,
        beta: 0.5,
        dividend_yield: 3.2,
      },
    },
    UNH: {
      id: "UNH",
      type: "stock",
      data: {
        symbol: "UNH",
        name: "UnitedHealth Group Inc.",
        sector: "HEALTHCARE",
        price: 560,
        pe: 21,
        beta: 0.6,
        dividend_yield: 1.5,
      },
    },
    LLY: {
      id: "LLY",
      type: "stock",
      data: {
        symbol: "LLY",
        name: "Eli Lilly and Co.",
        sector: "HEALTHCARE",
        price: 850,
        pe: 58,
        beta: 0.45,
        dividend_yield: 0.6,
      },
    },
    PG: {
      id: "PG",
      type: "stock",
      data: {
        symbol: "PG",
        name: "Procter & Gamble Co.",
        sector: "CONSUMER_STAPLES",
        price: 168,
        pe: 26,
        beta: 0.4,
        dividend_yield: 2.4,
      },
    },
    KO: {
      id: "KO",
      type: "stock",
      data: {
        symbol: "KO",
        name: "The Coca-Cola Co.",
        sector: "CONSUMER_STAPLES",
        price: 64,
        pe: 25.5,
        beta: 0.55,
        dividend_yield: 3.0,
      },
    },
    NEE: {
      id: "NEE",
      type: "stock",
      data: {
        symbol: "NEE",
        name: "NextEra Energy Inc.",
        sector: "UTILITIES",
        price: 74,
        pe: 21.5,
        beta: 0.6,
        dividend_yield: 2.8,
      },
    },
    DUK: {
      id: "DUK",
      type: "stock",
      data: {
        symbol: "DUK",
        name: "Duke Energy Corp.",
        sector: "UTILITIES",
        price: 110,
        pe: 19,
        beta: 0.45,
        dividend_yield: 3.8,
      },
    },
    PLD: {
      id: "PLD",
      type: "stock",
      data: {
        symbol: "PLD",
        name: "Prologis Inc.",
        sector: "REAL_ESTATE",
        price: 115,
        pe: 34,
        beta: 1.05,
        dividend_yield: 3.3,
      },
    },
    AMT: {
      id: "AMT",
      type: "stock",
      data: {
        symbol: "AMT",
        name: "American Tower Corp.",
        sector: "REAL_ESTATE",
        price: 205,
        pe: 41,
        beta: 0.85,
        dividend_yield: 3.2,
      },
    },

    // ── Signals (data.value = current signal strength, 0–1) ───────────────────────────────────
    YIELD_CURVE_INVERSION: {
      id: "YIELD_CURVE_INVERSION",
      type: "signal",
      data: {
        name: "Yield curve inversion",
        description:
          "Short rates above long rates: markets expect policy easing because growth is expected to weaken. " +
          "Historically a 6–18 month lead on recessions.",
        value: 0.15,
        active: false,
        source: "YIELD_CURVE",
        direction: "bearish",
      },
    },
    CREDIT_SPREAD_WIDENING: {
      id: "CREDIT_SPREAD_WIDENING",
      type: "signal",
      data: {
        name: "Credit spread widening",
        description:
          "High-yield spreads rising quickly: lenders demand more compensation for default risk, tightening " +
          "financial conditions ahead of weaker activity.",
        value: 0.2,
        active: false,
        source: "CREDIT_SPREAD",
        direction: "bearish",
      },
    },
    EARNINGS_MOMENTUM: {
      id: "EARNINGS_MOMENTUM",
      type: "signal",
      data: {
        name: "Earnings momentum",
        description: "Share of companies beating estimates and the direction of forward EPS revisions.",
        value: 0.65,
        active: true,
        direction: "bullish",
      },
    },
    MARKET_BREADTH: {
      id: "MARKET_BREADTH",
      type: "signal",
      data: {
        name: "Market breadth",
        description: "Share of S&P 500 members above their 200-day average; narrow leadership is fragile.",
        value: 0.55,
        active: true,
        direction: "bullish",
      },
    },
    INFLATION_SURPRISE: {
      id: "INFLATION_SURPRISE",
      type: "signal",
      data: {
        name: "Inflation surprise",
        description: "Inflation prints coming in above consensus; pushes the regime toward overheating.",
        value: 0.3,
        active: false,
        source: "CPI",
        direction: "bearish",
      },
    },
  },

  edges: [
    // Indicators → regime
    { from: "GDP", to: "ECONOMIC_REGIME", type: "indicates_growth", strength: 0.9 },
    { from: "YIELD_CURVE", to: "ECONOMIC_REGIME", type: "indicates_growth", strength: 0.65 },
    { from: "CONSUMER_SENTIMENT", to: "ECONOMIC_REGIME", type: "indicates_growth", strength: 0.4 },
    { from: "CPI", to: "ECONOMIC_REGIME", type: "indicates_inflation", strength: 0.85 },
    { from: "CORE_PCE", to: "ECONOMIC_REGIME", type: "indicates_inflation", strength: 0.8 },
    { from: "UNEMPLOYMENT", to: "ECONOMIC_REGIME", type: "indicates_labor", strength: 0.8 },
    { from: "INITIAL_CLAIMS", to: "ECONOMIC_REGIME", type: "indicates_labor", strength: 0.55 },
    { from: "FED_RATE", to: "ECONOMIC_REGIME", type: "determines_liquidity", strength: 0.85 },
    { from: "CREDIT_SPREAD", to: "ECONOMIC_REGIME", type: "determines_liquidity", strength: 0.6 },

    // Macro transmission between series
    { from: "CPI", to: "FED_RATE", type: "influences", strength: 0.75 },
    { from: "CORE_PCE", to: "FED_RATE", type: "influences", strength: 0.85 },
    { from: "UNEMPLOYMENT", to: "FED_RATE", type: "influences", strength: 0.6 },
    { from: "FED_RATE", to: "TREASURY_2Y", type: "drives", strength: 0.9 },
    { from: "FED_RATE", to: "TREASURY_10Y", type: "drives", strength: 0.7 },
    { from: "FED_RATE", to: "DOLLAR_INDEX", type: "drives", strength: 0.5 },
    { from: "TREASURY_2Y", to: "YIELD_CURVE", type: "drives", strength: 0.8 },
    { from: "TREASURY_10Y", to: "YIELD_CURVE", type: "drives", strength: 0.8 },
    { from: "OIL_PRICE", to: "CPI", type: "drives", strength: 0.55 },
    { from: "INITIAL_CLAIMS", to: "UNEMPLOYMENT", type: "leads", strength: 0.7 },
    { from: "GDP", to: "UNEMPLOYMENT", type: "inversely_correlates", strength: 0.6 },
    { from: "CPI", to: "CONSUMER_SENTIMENT", type: "pressures", strength: 0.5 },

    // Regime → sectors (current state: GOLDILOCKS)
    { from: "ECONOMIC_REGIME", to: "TECHNOLOGY", type: "favors", strength: 0.8 },
    { from: "ECONOMIC_REGIME", to: "CONSUMER_DISCRETIONARY", type: "favors", strength: 0.7 },
    { from: "ECONOMIC_REGIME", to: "COMMUNICATION_SERVICES", type: "favors", strength: 0.65 },
    { from: "ECONOMIC_REGIME", to: "INDUSTRIALS", type: "favors", strength: 0.6 },
    { from: "ECONOMIC_REGIME", to: "FINANCIALS", type: "favors", strength: 0.55 },
    { from: "ECONOMIC_REGIME", to: "UTILITIES", type: "pressures", strength: 0.4 },
    { from: "ECONOMIC_REGIME", to: "CONSUMER_STAPLES", type: "pressures", strength: 0.35 },
    { from: "ECONOMIC_REGIME", to: "RISK_SENTIMENT", type: "influences", strength: 0.6 },

    // Rates, oil, the dollar and credit → sectors and stocks
    { from: "FED_RATE", to: "REAL_ESTATE", type: "pressures", strength: 0.8 },
    { from: "FED_RATE", to: "UTILITIES", type: "pressures", strength: 0.7 },
    { from: "FED_RATE", to: "FINANCIALS", type: "favors", strength: 0.4 },
    { from: "TREASURY_10Y", to: "REAL_ESTATE", type: "pressures", strength: 0.75 },
    { from: "TREASURY_10Y", to: "UTILITIES", type: "pressures", strength: 0.65 },
    { from: "TREASURY_10Y", to: "TECHNOLOGY", type: "pressures", strength: 0.55 },
    { from: "TREASURY_10Y", to: "CONSUMER_DISCRETIONARY", type: "pressures", strength: 0.4 },
    { from: "YIELD_CURVE", to: "FINANCIALS", type: "favors", strength: 0.7 },
    { from: "CREDIT_SPREAD", to: "FINANCIALS", type: "pressures", strength: 0.6 },
    { from: "OIL_PRICE", to: "ENERGY", type: "favors", strength: 0.85 },
    { from: "OIL_PRICE", to: "XOM", type: "drives", strength: 0.8 },
    { from: "OIL_PRICE", to: "CVX", type: "drives", strength: 0.8 },
    { from: "OIL_PRICE", to: "CONSUMER_DISCRETIONARY", type: "pressures", strength: 0.45 },
    { from: "OIL_PRICE", to: "INDUSTRIALS", type: "pressures", strength: 0.3 },
    { from: "DOLLAR_INDEX", to: "MATERIALS", type: "pressures", strength: 0.5 },
    { from: "DOLLAR_INDEX", to: "OIL_PRICE", type: "pressures", strength: 0.35 },
    { from: "DOLLAR_INDEX", to: "TECHNOLOGY", type: "pressures", strength: 0.3 },
    { from: "CONSUMER_SENTIMENT", to: "CONSUMER_DISCRETIONARY", type: "influences", strength: 0.6 },

    // Sectors → stocks
    { from: "TECHNOLOGY", to: "AAPL", type: "contains", strength: 0.95 },
    { from: "TECHNOLOGY", to: "MSFT", type: "contains", strength: 0.95 },
    { from: "TECHNOLOGY", to: "NVDA", type: "contains", strength: 0.95 },
    { from: "COMMUNICATION_SERVICES", to: "GOOGL", type: "contains", strength: 0.9 },
    { from: "COMMUNICATION_SERVICES", to: "META", type: "contains", strength: 0.9 },
    { from: "CONSUMER_DISCRETIONARY", to: "AMZN", type: "contains", strength: 0.95 },
    { from: "CONSUMER_DISCRETIONARY", to: "TSLA", type: "contains", strength: 0.85 },
    { from: "CONSUMER_DISCRETIONARY", to: "HD", type: "contains", strength: 0.75 },
    { from: "FINANCIALS", to: "JPM", type: "contains", strength: 0.9 },
    { from: "FINANCIALS", to: "BAC", type: "contains", strength: 0.75 },
    { from: "INDUSTRIALS", to: "CAT", type: "contains", strength: 0.8 },
    { from: "ENERGY", to: "XOM", type: "contains", strength: 0.95 },
    { from: "ENERGY", to: "CVX", type: "contains", strength: 0.9 },
    { from: "MATERIALS", to: "LIN", type: "contains", strength: 0.9 },
    { from: "HEALTHCARE", to: "JNJ", type: "contains", strength: 0.8 },
    { from: "HEALTHCARE", to: "UNH", type: "contains", strength: 0.85 },
    { from: "HEALTHCARE", to: "LLY", type: "contains", strength: 0.9 },
    { from: "CONSUMER_STAPLES", to: "PG", type: "contains", strength: 0.85 },
    { from: "CONSUMER_STAPLES", to: "KO", type: "contains", strength: 0.8 },
    { from: "UTILITIES", to: "NEE", type: "contains", strength: 0.9 },
    { from: "UTILITIES", to: "DUK", type: "contains", strength: 0.8 },
    { from: "REAL_ESTATE", to: "PLD", type: "contains", strength: 0.85 },
    { from: "REAL_ESTATE", to: "AMT", type: "contains", strength: 0.8 },

    // Indices → members (strength ≈ influence on the index)
    { from: "SPY", to: "TECHNOLOGY", type: "includes", strength: 0.9 },
    { from: "SPY", to: "FINANCIALS", type: "includes", strength: 0.6 },
    { from: "SPY", to: "HEALTHCARE", type: "includes", strength: 0.55 },
    { from: "SPY", to: "CONSUMER_DISCRETIONARY", type: "includes", strength: 0.55 },
    { from: "SPY", to: "COMMUNICATION_SERVICES", type: "includes", strength: 0.5 },
    { from: "SPY", to: "INDUSTRIALS", type: "includes", strength: 0.45 },
    { from: "SPY", to: "CONSUMER_STAPLES", type: "includes", strength: 0.35 },
    { from: "SPY", to: "ENERGY", type: "includes", strength: 0.3 },
    { from: "QQQ", to: "AAPL", type: "includes", strength: 0.85 },
    { from: "QQQ", to: "MSFT", type: "includes", strength: 0.85 },
    { from: "QQQ", to: "NVDA", type: "includes", strength: 0.85 },
    { from: "QQQ", to: "AMZN", type: "includes", strength: 0.7 },
    { from: "QQQ", to: "META", type: "includes", strength: 0.6 },
    { from: "QQQ", to: "GOOGL", type: "includes", strength: 0.6 },
    { from: "TREASURY_10Y", to: "QQQ", type: "pressures", strength: 0.5 },

    // Sentiment → markets
    { from: "VIX", to: "RISK_SENTIMENT", type: "influences", strength: 0.8 },
    { from: "CREDIT_SPREAD", to: "RISK_SENTIMENT", type: "influences", strength: 0.55 },
    { from: "RISK_SENTIMENT", to: "SPY", type: "influences", strength: 0.7 },
    { from: "RISK_SENTIMENT", to: "QQQ", type: "influences", strength: 0.75 },

    // Signals: their sources, and what they signal
    { from: "YIELD_CURVE", to: "YIELD_CURVE_INVERSION", type: "triggers", strength: 0.9 },
    { from: "CREDIT_SPREAD", to: "CREDIT_SPREAD_WIDENING", type: "triggers", strength: 0.9 },
    { from: "CPI", to: "INFLATION_SURPRISE", type: "triggers", strength: 0.8 },
    { from: "YIELD_CURVE_INVERSION", to: "ECONOMIC_REGIME", type: "signals", strength: 0.75 },
    { from: "CREDIT_SPREAD_WIDENING", to: "ECONOMIC_REGIME", type: "signals", strength: 0.6 },
    { from: "CREDIT_SPREAD_WIDENING", to: "RISK_SENTIMENT", type: "signals", strength: 0.7 },
    { from: "INFLATION_SURPRISE", to: "ECONOMIC_REGIME", type: "signals", strength: 0.6 },
    { from: "INFLATION_SURPRISE", to: "FED_RATE", type: "signals", strength: 0.55 },
    { from: "EARNINGS_MOMENTUM", to: "SPY", type: "signals", strength: 0.65 },
    { from: "EARNINGS_MOMENTUM", to: "RISK_SENTIMENT", type: "signals", strength: 0.55 },
    { from: "EARNINGS_MOMENTUM", to: "NVDA", type: "signals", strength: 0.6 },
    { from: "MARKET_BREADTH", to: "SPY", type: "signals", strength: 0.5 },
    { from: "MARKET_BREADTH", to: "RISK_SENTIMENT", type: "signals", strength: 0.5 },
  ],

  patterns: {
    goldilocks_to_overheating: {
      type: "REGIME_SHIFT",
      description:
        "Goldilocks to Overheating: inflation re-accelerates while growth runs above trend and the labour " +
        "market is tight. Rotate toward energy, materials and financials; shorten duration.",
      trigger_conditions: ["CPI > 4%", "GDP > 3%", "UNEMPLOYMENT < 4%"],
      confidence: 0.75,
      from_state: "GOLDILOCKS",
      to_state: "OVERHEATING",
      nodes: ["ECONOMIC_REGIME", "CPI", "GDP", "UNEMPLOYMENT", "ENERGY", "MATERIALS", "FINANCIALS"],
    },
    goldilocks_to_stagflation: {
      type: "REGIME_SHIFT",
      description:
        "Goldilocks to Stagflation: growth stalls while core inflation stays sticky. Favour energy, staples " +
        "and health care; avoid long-duration growth.",
      trigger_conditions: ["CPI > 4%", "CORE_PCE > 3.5%", "GDP < 1%"],
      confidence: 0.65,
      from_state: "GOLDILOCKS",
      to_state: "STAGFLATION",
      nodes: [
        "ECONOMIC_REGIME",
        "CPI",
        "CORE_PCE",
        "GDP",
        "ENERGY",
        "CONSUMER_STAPLES",
        "HEALTHCARE",
        "TECHNOLOGY",
      ],
    },
    goldilocks_to_recession: {
      type: "REGIME_SHIFT",
      description:
        "Goldilocks to Recession: output contracts, unemployment climbs and credit stress spreads. " +
        "Defensives and long Treasuries outperform; cyclicals and banks lag.",
      trigger_conditions: ["GDP < 0", "UNEMPLOYMENT > 4.8%", "CREDIT_SPREAD > 5%"],
      confidence: 0.7,
      from_state: "GOLDILOCKS",
      to_state: "RECESSION",
      nodes: [
        "ECONOMIC_REGIME",
        "GDP",
        "UNEMPLOYMENT",
        "CREDIT_SPREAD",
        "CREDIT_SPREAD_WIDENING",
        "UTILITIES",
        "CONSUMER_STAPLES",
        "FINANCIALS",
      ],
    },
    goldilocks_confirmation: {
      type: "REGIME_CONFIRMATION",
      description:
        "Goldilocks holds: moderate growth, contained inflation, a firm labour market and calm volatility. " +
        "Stay overweight technology, discretionary and communication services.",
      trigger_conditions: ["GDP >= 1.5%", "GDP <= 3%", "CPI < 3.5%", "UNEMPLOYMENT < 4.5%", "VIX < 20"],
      confidence: 0.7,
      nodes: [
        "ECONOMIC_REGIME",
        "GDP",
        "CPI",
        "UNEMPLOYMENT",
        "VIX",
        "TECHNOLOGY",
        "CONSUMER_DISCRETIONARY",
        "COMMUNICATION_SERVICES",
      ],
    },
    yield_curve_inversion: {
      type: "YIELD_CURVE",
      description:
        "The 10y–2y spread turns negative: the bond market is pricing future cuts because it expects growth " +
        "to weaken. Bank margins compress; raise recession odds.",
      trigger_conditions: ["YIELD_CURVE < 0"],
      confidence: 0.8,
      nodes: [
        "YIELD_CURVE",
        "TREASURY_2Y",
        "TREASURY_10Y",
        "YIELD_CURVE_INVERSION",
        "FINANCIALS",
        "ECONOMIC_REGIME",
      ],
    },
    rate_shock: {
      type: "RATE_SHOCK",
      description:
        "Policy and long yields at or above 5%: higher discount rates hit rate-sensitive real estate, " +
        "utilities and long-duration technology.",
      trigger_conditions: ["FED_RATE.data.value >= 5", "TREASURY_10Y >= 5%"],
      confidence: 0.7,
      nodes: ["FED_RATE", "TREASURY_10Y", "REAL_ESTATE", "UTILITIES", "TECHNOLOGY", "QQQ"],
    },
    nvda_valuation_stretch: {
      type: "VALUATION",
      description:
        "NVIDIA trades above 60x trailing earnings: the price assumes sustained hyper-growth, so any " +
        "earnings disappointment carries outsized downside.",
      trigger_conditions: ["NVDA.data.pe > 60"],
      confidence: 0.6,
      nodes: ["NVDA", "TECHNOLOGY", "QQQ", "EARNINGS_MOMENTUM"],
    },
    labor_deterioration: {
      type: "LABOR",
      description:
        "Unemployment above 5% with claims above 300k: the labour market is cracking, consumer spending " +
        "follows, and the Fed turns toward cuts.",
      trigger_conditions: ["UNEMPLOYMENT > 5%", "INITIAL_CLAIMS > 300"],
      confidence: 0.7,
      nodes: ["UNEMPLOYMENT", "INITIAL_CLAIMS", "ECONOMIC_REGIME", "CONSUMER_DISCRETIONARY", "FED_RATE"],
    },
  },

  metadata: {
    name: "DawsOS investment framework",
    description:
      "Macro-to-stock investment framework: FRED indicators feed an economic regime that favours or " +
      "pressures the eleven GICS sectors and their bellwether stocks, with rate, credit, oil and dollar " +
      "transmission channels, market signals, sentiment, and regime/risk patterns. Values are illustrative " +
      "starting points refreshed by the data workflows.",
    source: "dawsos-seed",
  },
} satisfies SeedDocument;

/** The shipped seed. Typed as a document (not its inferred literal type), so its `.d.ts` is one line. */
export const investmentFrameworkSeed: SeedDocument = seed;
