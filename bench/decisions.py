"""Decisions per second for the default invoice approval table on one core, once the table is parsed."""
from __future__ import annotations

import json
import platform
import time
from pathlib import Path

from server.decisions import parse_dmn

ROOT = Path(__file__).resolve().parents[1]
GOAL = 100_000
BASE = {"confrontation_status_einvoice": 1, "confrontation_status": 0, "confrontation_difference_pct": None,
        "obligation_status": 1, "free_matching_status": 0, "manual_booking_status": 0,
        "bank_account_is_preferred": True, "supplier_match_bank_account": True,
        "administration_match_name": True, "possible_duplicate": False}
ROWS = [  # one representative invoice per route, so every rule position is exercised
    BASE,
    {**BASE, "possible_duplicate": True},
    {**BASE, "confrontation_status_einvoice": 2, "confrontation_status": 3, "confrontation_difference_pct": 0.4},
    {**BASE, "confrontation_status_einvoice": 2, "obligation_status": 3, "free_matching_status": 2},
    {**BASE, "bank_account_is_preferred": False},
    {**BASE, "bank_account_is_preferred": False, "supplier_match_bank_account": False},
    {**BASE, "manual_booking_status": 1, "administration_match_name": False},
    {**BASE, "manual_booking_status": 1},
]


def measure(evaluate, rows, seconds: float = 2.0) -> float:
    """Evaluations per second over about `seconds` of wall time (best of three rounds)."""
    best = 0.0
    for _ in range(3):
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 3:
            for row in rows:
                evaluate(row)
            count += len(rows)
        best = max(best, count / (time.perf_counter() - start))
    return best


def main() -> None:
    xml = (ROOT / "dmn" / "invoice_approval.dmn").read_bytes()
    started = time.perf_counter()
    model = parse_dmn(xml, source="invoice_approval.dmn")
    parse_ms = (time.perf_counter() - started) * 1000
    routes = [model.evaluate("invoice_approval", row).outputs["reason"] for row in ROWS]
    rate = measure(lambda row: model.evaluate("invoice_approval", row), ROWS)
    with_trace = measure(lambda row: model.evaluate("invoice_approval", row).to_json(), ROWS)
    result = {"decisions_per_second": round(rate), "with_trace_json_per_second": round(with_trace),
              "goal": GOAL, "ratio": round(rate / GOAL, 2), "parse_ms": round(parse_ms, 2),
              "rows": len(ROWS), "routes": routes, "python": platform.python_version()}
    print(f"decisions/s (default table, one core): {rate:,.0f}   goal >= {GOAL:,}   ratio {rate / GOAL:.2f}")
    print(f"decisions/s including trace + to_json(): {with_trace:,.0f}")
    print(f"parse + compile of the table: {parse_ms:.1f} ms")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "decisions.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
