"""``make bench``: wall time and peak memory of every notebook, each in a fresh kernel.

Usage: ``python -m nncourse.instructor.bench [notebooks or folders...] [--budget SECONDS]``.
Each notebook runs in its own worker process; the kernel is that worker's child,
so the peak resident memory of the kernel is read from ``RUSAGE_CHILDREN``.
Outputs are not written back: use ``make execute`` for that.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_TARGETS = ("lectures", "solutions")


def run_one(path: Path) -> dict:
    """Execute one notebook in memory; report seconds, peak kernel memory and success."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    error = None
    try:
        NotebookClient(nb, timeout=900, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent.resolve())}}).execute()
    except Exception as exc:  # report the failure in the table instead of stopping the bench
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:120] if str(exc).strip() else ''}"
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"notebook": str(path), "seconds": seconds, "peak_mib": peak_kib / 1024, "error": error}


def collect(targets: list[str]) -> list[Path]:
    paths: list[Path] = []
    for target in targets:
        p = Path(target)
        paths.extend(sorted(p.rglob("*.ipynb")) if p.is_dir() else [p])
    return [p for p in paths if ".ipynb_checkpoints" not in p.parts]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nncourse.instructor.bench", description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", default=list(DEFAULT_TARGETS))
    parser.add_argument("--budget", type=float, default=None, help="flag notebooks slower than this (seconds)")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one)))
        return 0

    rows = []
    print(f"{'notebook':<58} {'wall s':>8} {'peak MiB':>9}  status")
    for nb in collect(args.targets):
        out = subprocess.run([sys.executable, "-m", "nncourse.instructor.bench", "--one", str(nb)], capture_output=True, text=True)
        try:
            row = json.loads(out.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            row = {"notebook": str(nb), "seconds": float("nan"), "peak_mib": float("nan"),
                   "error": f"worker crashed: {out.stderr.strip()[-200:]}"}
        status = row["error"] or ("OVER BUDGET" if args.budget and row["seconds"] > args.budget else "ok")
        print(f"{row['notebook']:<58} {row['seconds']:>8.1f} {row['peak_mib']:>9.0f}  {status}", flush=True)
        rows.append(row)
    total = sum(r["seconds"] for r in rows)
    print(f"{'total':<58} {total:>8.1f}")
    return 1 if any(r["error"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
