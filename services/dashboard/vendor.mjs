// Copies the browser builds the page loads into the Python package (run by `make install`).
import { copyFileSync, mkdirSync } from "node:fs";

const target = new URL("./src/mes_dashboard/static/vendor/", import.meta.url);
mkdirSync(target, { recursive: true });
for (const [from, to] of [
  ["node_modules/echarts/dist/echarts.min.js", "echarts.min.js"],
  ["node_modules/echarts/LICENSE", "echarts.LICENSE.txt"],
]) {
  copyFileSync(new URL(`./${from}`, import.meta.url), new URL(to, target));
}
