"""How long a campaign overview's bar chart takes to draw for 200 sites (SPEC §12.2 asks
under 1 s): the best and the median of several runs, after one warm-up (font loading)."""

from __future__ import annotations

import statistics
import time

from bot.features.charts import bar_chart, chart_size

SITES = 200
RUNS = 7


def main() -> None:
    labels = [f"Город {number:03d} — Мемориал {number % 17}, Deutschland" for number in
              range(SITES)]
    values = [(number * 37) % 500 for number in range(SITES)]
    bar_chart(labels, values, "Returning the Names 2026")
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        picture = bar_chart(labels, values, "Returning the Names 2026")
        times.append(time.perf_counter() - started)
    width, height = chart_size(SITES)
    print(f"overview chart, {SITES} sites, {width}×{height} px, {len(picture) // 1024} KiB: "
          f"best {min(times) * 1000:.0f} ms, median {statistics.median(times) * 1000:.0f} ms "
          f"over {RUNS} runs")


if __name__ == "__main__":
    main()
