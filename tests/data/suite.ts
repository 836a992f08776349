/**
 * The hooks every data test file registers, once per file: a fake FRED and a fake FMP (started
 * before the file's tests, their request logs and behaviour switches reset after each test,
 * closed at the end), the temporary directories removed at the end, and — with `useHarness` — the
 * harnesses a test opened, closed after it.
 *
 * Call at the top level of a test file. The fakes exist (not yet listening) as soon as this
 * returns, so the file can name them in its tests directly.
 */
import { afterAll, afterEach, beforeAll } from "vitest";
import { FakeFmp, FakeFred } from "./fake-upstreams.ts";
import { type Harness, type HarnessOptions, openHarness, removeTempDirs } from "./harness.ts";

export interface SuiteOptions {
  /** Also forget the series and quotes a test set, not only its requests and switches. */
  forgetData?: boolean;
}

export interface DataSuite {
  fred: FakeFred;
  fmp: FakeFmp;
}

export interface HarnessSuite extends DataSuite {
  /** Opens a harness over the fakes; it is closed after the test. */
  harness(options?: HarnessOptions): Promise<Harness>;
  /** Closes `h` and opens a new harness over the same directory and clock (a process restart). */
  restart(h: Harness, options?: HarnessOptions): Promise<Harness>;
}

export function useDataSuite(options: SuiteOptions = {}): DataSuite {
  const fred = new FakeFred("fred-test-key");
  const fmp = new FakeFmp("fmp-test-key");
  beforeAll(async () => {
    await Promise.all([fred.start(), fmp.start()]);
  });
  afterEach(() => {
    fred.reset();
    fmp.reset();
    if (options.forgetData) {
      fred.series.clear();
      fmp.quotes.clear();
    }
  });
  afterAll(async () => {
    await Promise.all([fred.close(), fmp.close()]);
    await removeTempDirs();
  });
  return { fred, fmp };
}

export function useHarness(options: SuiteOptions = {}): HarnessSuite {
  const fakes = useDataSuite(options);
  const open: Harness[] = [];
  // Registered after useDataSuite's, so it runs before them (vitest runs after-hooks as a stack):
  // harnesses close before the fakes are reset, as each file did on its own.
  afterEach(async () => {
    await Promise.all(open.splice(0).map((h) => h.close()));
  });
  const harness = async (harnessOptions: HarnessOptions = {}): Promise<Harness> => {
    const h = await openHarness(fakes, harnessOptions);
    open.push(h);
    return h;
  };
  const restart = async (h: Harness, restartOptions: HarnessOptions = {}): Promise<Harness> => {
    await h.close();
    open.splice(open.indexOf(h), 1);
    return harness({ ...restartOptions, dir: h.dir, clock: h.clock });
  };
  return { ...fakes, harness, restart };
}
