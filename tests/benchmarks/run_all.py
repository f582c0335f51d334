"""The whole benchmark suite in one command: every comparison measured side by side in
this run, medians of several runs, printed as a table of figures and ratios, and written
as Markdown for the README with --markdown FILE.

  bash tests/benchmarks/setup.sh            # once: .bench-venv with the peers
  .bench-venv/bin/python tests/benchmarks/run_all.py --markdown tests/benchmarks/RESULTS.md

--quick runs smaller sizes (for trying the suite out); sections can be chosen with --only."""

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import bench_batch  # noqa: E402
import bench_startup  # noqa: E402
import peers  # noqa: E402

ENGINE_KEYS = [cls.__name__.lower() for cls in peers.ENGINES]


def available_engines():
    names = []
    for key in ENGINE_KEYS:
        done = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(HERE)!r}); "
                               f"import peers; peers.{dict(zip(ENGINE_KEYS, [c.__name__ for c in peers.ENGINES]))[key]}()"],
                              capture_output=True)
        if done.returncode == 0:
            names.append(key)
        else:
            print(f"  (skipped {key}: not installed here)", file=sys.stderr)
    return names


def engine_rows(engines, chain, wide, runs):
    results = {}
    for key in engines:  # each engine in a process of its own
        done = subprocess.run([sys.executable, str(HERE / "bench_engine.py"), "--engines", key, "--json",
                               "--runs", str(runs), "--chain", ",".join(map(str, chain)),
                               "--wide", ",".join(map(str, wide))], capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            continue
        line = done.stdout.strip().splitlines()[-1]
        results[key] = json.loads(line)
    return results


def large_rows(engines, sizes, runs):
    results = {}
    for n in sizes:
        for key in ["numpy"] + [e for e in engines if e != "micrograd"]:
            samples = []
            for _ in range(runs):
                done = subprocess.run([sys.executable, str(HERE / "bench_large.py"), "--engine", key,
                                       "--n", str(n)], capture_output=True, text=True)
                if done.returncode != 0:
                    samples = None
                    reason = (done.stderr.strip().splitlines() or ["failed"])[-1]
                    break
                samples.append(json.loads(done.stdout))
            if samples is None:
                results[(key, n)] = reason
                continue
            results[(key, n)] = {k: statistics.median(s[k] for s in samples) for k in samples[0]}
    return results


def fmt_us(seconds, n):
    return f"{seconds / n * 1e6:.2f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="engine,large,cli", help="sections: engine,large,cli")
    parser.add_argument("--markdown", metavar="FILE")
    args = parser.parse_args(argv)
    sections = set(args.only.split(","))
    chain = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    wide = [1_000, 4_000] if args.quick else [1_000, 4_000, 16_000]
    sizes = [1_000_000] if args.quick else [1_000_000, 10_000_000]
    md = []
    engines = available_engines()
    names = {cls.__name__.lower(): cls.name for cls in peers.ENGINES}
    names["numpy"] = "numpy by hand"

    if "engine" in sections:
        results = engine_rows(engines, chain, wide, args.runs)
        md += ["### Scalar chain: forward + backward, µs per node (median of %d)" % args.runs, "",
               "| engine | " + " | ".join(f"n = {n:,}" for n in chain) + " |",
               "|---|" + "---:|" * len(chain)]
        for key, r in results.items():
            cells = []
            for n in chain:
                v = r["chain"][str(n)]
                cells.append(v if isinstance(v, str) else f"{fmt_us(sum(v), n)} ({fmt_us(v[0], n)} + {fmt_us(v[1], n)})")
            md.append(f"| {names[key]} | " + " | ".join(cells) + " |")
        n = chain[-1]
        ours = results.get("diffcli", {}).get("chain", {}).get(str(n))
        if isinstance(ours, list):
            md.append("")
            for key, r in results.items():
                v = r["chain"][str(n)]
                if key != "diffcli" and isinstance(v, list):
                    md.append(f"- diffcli / {names[key]} at n = {n:,}: **{sum(ours) / sum(v):.2f}**")
        md += ["", "### Wide graph: backward of a sum of n squared inputs, ms (growth per 4x terms)", "",
               "| engine | " + " | ".join(f"n = {n:,}" for n in wide) + " |", "|---|" + "---:|" * len(wide)]
        for key, r in results.items():
            cells, previous = [], None
            for n in wide:
                v = r["wide"][str(n)]
                if isinstance(v, str):
                    cells.append(v)
                    previous = None
                    continue
                cells.append(f"{v * 1e3:.1f}" + (f" (x{v / previous:.2f})" if previous else ""))
                previous = v
            md.append(f"| {names[key]} | " + " | ".join(cells) + " |")
        md.append("")
        print("\n".join(md), flush=True)

    if "large" in sections:
        start = len(md)
        results = large_rows(engines, sizes, args.runs)
        md += ["### Large arrays: sum(tanh(x) * exp(-x*x) + x**3), one process per engine and run "
               f"(median of {args.runs})", "",
               "| engine | n | forward s | backward s | total s | total / numpy | peak MiB | peak / numpy |",
               "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for (key, n), r in results.items():
            base = results.get(("numpy", n))
            if isinstance(r, str):
                md.append(f"| {names[key]} | {n:,} | fails: {r} | | | | | |")
                continue
            ratio = f"{r['total'] / base['total']:.2f}" if isinstance(base, dict) else ""
            mem = f"{r['peak_mib'] / base['peak_mib']:.2f}" if isinstance(base, dict) else ""
            md.append(f"| {names[key]} | {n:,} | {r['forward']:.3f} | {r['backward']:.3f} | {r['total']:.3f} | "
                      f"{ratio} | {r['peak_mib']:.0f} | {mem} |")
        md.append("")
        print("\n".join(md[start:]), flush=True)

    if "cli" in sections:
        start = len(md)
        ours, floor = bench_startup.measure(15 if args.quick else 40)
        count = 2_000 if args.quick else 10_000
        batch, lark = bench_batch.measure(count, args.runs)
        jobs_count = 5_000 if args.quick else 100_000
        one, two = bench_batch.measure_jobs(jobs_count, 2, 1)
        md += ["### The command line", "",
               "| measure | diffcli | reference | ratio | target |", "|---|---:|---:|---:|---:|",
               f"| start-up: `diffcli eval --json 'x = 2.0; square(x)'` vs `import numpy, lark, click` | "
               f"{ours * 1e3:.0f} ms | {floor * 1e3:.0f} ms | {ours / floor:.2f} | ≤ 1.15 |",
               f"| batch: {count:,} programs `--json -f` vs Lark alone parsing them into trees | "
               f"{batch:.2f} s | {lark:.2f} s | {batch / lark:.2f} | ≤ 2.0 |",
               f"| `--jobs 2` vs `--jobs 1`, {jobs_count:,} programs | {two:.1f} s | {one:.1f} s | "
               f"{two / one:.2f} | ≤ 0.6 |", ""]
        print("\n".join(md[start:]), flush=True)

    if args.markdown:
        Path(args.markdown).write_text("\n".join(md) + "\n")
        print(f"wrote {args.markdown}", file=sys.stderr)


if __name__ == "__main__":
    main()
