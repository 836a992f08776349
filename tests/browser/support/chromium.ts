import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it when missing). */
export const CHROMIUM_PATH = process.env.DAWSOS_CHROMIUM ?? "/usr/bin/chromium";

/**
 * Flags known to work on these machines: headless as root, and nothing that phones home (the
 * network is closed, and background connections would only fail noisily). Playwright adds a
 * fresh temporary profile (`--user-data-dir`) of its own.
 */
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Launches Chromium, or fails with a message that says how to get it: never a silent skip. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}: the dashboard browser tests need it. ` +
        "Install Debian's package (apt-get update && apt-get install -y chromium; .ci/run does this), " +
        "or point DAWSOS_CHROMIUM at a Chromium binary.",
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS, timeout: 60_000 });
}
