"""Invoices per second for safe parse, parse + schema, and parse + validate per ruleset; compile cost.

    python bench/ingest_parse.py [--seconds S] [--workers N]

Runs in one process on real corpus files (../shared/corpus/ubl): parse-only is `parse_invoice`
(hardened lxml parse and every field), the validation figures are `validate` (safe parse, UBL 2.1
XSD and the official stylesheets the CustomizationID selects). Then the same through a
`ValidatorPool` of N worker processes, as a web process would use it. Writes
bench/results/ingest_parse.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = {  # ruleset(s) -> a representative corpus invoice of that profile
    "CEN": "valid/ubl-tc434-example4.xml",
    "CEN+Peppol": "valid/base-example.xml",
    "SI-UBL": "valid/SI-UBL-2.0_ok_base.xml",
}


def corpus() -> Path:
    """../shared/corpus/ubl beside the repository, else STROOM_SHARED_DIR, else /work/shared."""
    candidates = [Path(os.environ["STROOM_SHARED_DIR"])] if os.environ.get("STROOM_SHARED_DIR") else []
    for shared in [*candidates, ROOT.parent / "shared", Path("/work/shared")]:
        if (shared / "corpus" / "ubl").is_dir():
            return shared / "corpus" / "ubl"
    raise SystemExit("the shared corpus is missing (set STROOM_SHARED_DIR)")


def rss_mb() -> float:
    """Current resident set size of this process in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def per_second(work: Callable[[], object], seconds: float) -> float:
    """Calls per second over about `seconds` of wall time (best of three rounds)."""
    best = 0.0
    for _ in range(3):
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 3:
            work()
            count += 1
        best = max(best, count / (time.perf_counter() - start))
    return best


def compile_figures() -> dict[str, float]:
    """Cold compile time of each ruleset and the RSS before and after (this process, first call)."""
    from server.invoices.rulesets import RULESETS, compile_rulesets
    from server.invoices.validation import load_schemas

    figures = {"rss_before_mb": rss_mb()}
    start = time.perf_counter()
    load_schemas()
    figures["schemas_s"] = time.perf_counter() - start
    for name in RULESETS:
        start = time.perf_counter()
        compile_rulesets([name])
        figures[f"compile_{name}_s"] = time.perf_counter() - start
    figures["compile_total_s"] = sum(v for k, v in figures.items() if k.startswith("compile_"))
    figures["rss_after_compile_mb"] = rss_mb()
    from server.invoices.warmup import warm_up

    figures["warm_up_s"] = warm_up()
    figures["rss_after_warm_up_mb"] = rss_mb()
    return figures


def throughput(ubl: Path, seconds: float) -> dict[str, float]:
    from server.invoices.safexml import safe_parse
    from server.invoices.ubl import parse_invoice
    from server.invoices.validation import schema_findings, validate

    rates: dict[str, float] = {}
    base = (ubl / DOCS["CEN+Peppol"]).read_bytes()
    rates["safe_parse"] = per_second(lambda: safe_parse(base), seconds)
    rates["parse_only"] = per_second(lambda: parse_invoice(base), seconds)
    rates["parse_xsd"] = per_second(lambda: schema_findings(safe_parse(base)), seconds)
    for label, name in DOCS.items():
        data = (ubl / name).read_bytes()
        assert validate(data).accepted, name
        rates[f"parse_validate_{label}"] = per_second(lambda data=data: (parse_invoice(data), validate(data)), seconds)
    return rates


def pool_throughput(ubl: Path, workers: int, seconds: float) -> dict[str, float]:
    """Validations per second through a warm ValidatorPool, keeping every worker busy."""
    from server.invoices.validation_pool import ValidatorPool

    pool = ValidatorPool(workers=workers)
    start = time.perf_counter()
    pool.start()
    started = time.perf_counter() - start
    data = (ubl / DOCS["CEN+Peppol"]).read_bytes()
    try:
        done, begin = 0, time.perf_counter()
        while time.perf_counter() - begin < seconds:
            futures = [pool.submit(data) for _ in range(workers * 8)]
            done += sum(1 for f in futures if f.result().accepted)
        rate = done / (time.perf_counter() - begin)
    finally:
        pool.shutdown()
    return {"pool_workers": workers, "pool_start_s": started, "pool_validate_CEN+Peppol": rate}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="wall time per figure")
    parser.add_argument("--workers", type=int, default=2, help="worker processes for the pool figure")
    args = parser.parse_args()
    ubl = corpus()
    result: dict[str, object] = {"python": platform.python_version(), "cpus": os.cpu_count()}
    result |= compile_figures()
    rates = throughput(ubl, args.seconds)
    result |= {f"{k}_per_s": v for k, v in rates.items()}
    result |= pool_throughput(ubl, args.workers, args.seconds * 2)
    base = rates["parse_only"]
    result["ratios_vs_parse_only"] = {k: round(base / v, 1) for k, v in rates.items() if k != "parse_only"}
    for key, value in result.items():
        if isinstance(value, float):
            print(f"{key:<40} {value:12.2f}")
        else:
            print(f"{key:<40} {value}")
    for label in DOCS:
        ms = 1000 / rates[f"parse_validate_{label}"]
        print(f"parse+validate {label:<11} {ms:6.2f} ms/invoice, {base / rates[f'parse_validate_{label}']:5.1f}x parse-only")
    out = ROOT / "bench" / "results" / "ingest_parse.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
