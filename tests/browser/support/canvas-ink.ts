import type { Locator, Page } from "playwright-core";

/**
 * The share of an element's pixels that differ from its top-left pixel (the background), read
 * from a real screenshot decoded by the browser itself. WebGL canvases cannot be read back
 * after they are presented, so this looks at what is actually on screen.
 */
export async function inkRatio(page: Page, element: Locator): Promise<number> {
  const png = (await element.screenshot({ timeout: 15_000 })).toString("base64");
  return page.evaluate(async (data) => {
    const image = new Image();
    image.src = `data:image/png;base64,${data}`;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext("2d");
    if (!context) throw new Error("no 2d context");
    context.drawImage(image, 0, 0);
    const pixels = context.getImageData(0, 0, image.width, image.height).data;
    const [r0, g0, b0] = [pixels[0]!, pixels[1]!, pixels[2]!];
    let ink = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      if (Math.abs(pixels[i]! - r0) + Math.abs(pixels[i + 1]! - g0) + Math.abs(pixels[i + 2]! - b0) > 48)
        ink++;
    }
    return ink / (pixels.length / 4);
  }, png);
}
