"""A longer fuzz run over the parsers a sender or designer reaches; prints runs, crashes and the slowest.

    python bench/fuzz.py [--seconds S] [--seed N] [--targets ubl,validate-off,dmn,bpmn]

For each target, S seconds (FUZZ_SECONDS, default 20) of mutated corpus documents, odd encodings and
random bytes (tests/fuzz/hostile.py); anything but the target's documented typed errors is a crash,
saved under bench/results/fuzz-crashes/ to replay; so is a document still not answered after
DOCUMENT_SECONDS (10 s: a parser that spins). Then every bomb of hostile.bombs() in a capped,
forked child (tests/fuzz/bounded.py) with its time and peak memory. Writes bench/results/fuzz.json.
`make test` runs the same contract with a few hundred examples per target (tests/fuzz/).
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import tempfile
import time
import traceback
from pathlib import Path

from common import RESULTS, Figure, print_table, write_results

from tests.fuzz.bounded import run_one
from tests.fuzz.hostile import bombs, corpus_bytes, corpus_files, declare, mutate, nested, reencode, targets

ENCODINGS = ("utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252")
DECLARED = ("latin-1", "UTF-16", "EBCDIC-US", "x-unknown", "UTF-7")
# A document still being read after this long is a finding, not a wait: a parser that spins would
# otherwise stall the whole run (SpiffWorkflow's data-object lookup did, see server/engine/parser.py).
DOCUMENT_SECONDS = 10.0


class Hung(BaseException):
    """Raised from SIGALRM into the target that did not return in time (a BaseException, so that no
    `except Exception` on the way turns it into an allowed error)."""


def _hung(_signum: int, _frame: object) -> None:
    raise Hung(f"no answer within {DOCUMENT_SECONDS:g} s")


def sample(kind: str, rng: random.Random) -> bytes:
    """One hostile document: mostly corpus mutations, sometimes an encoding trick or noise."""
    base = corpus_bytes(rng.choice(corpus_files(kind)))
    pick = rng.random()
    if pick < 0.75:
        return mutate(base, rng)
    if pick < 0.85:
        return reencode(base, rng.choice(ENCODINGS))
    if pick < 0.92:
        return declare(base, rng.choice(DECLARED))
    if pick < 0.97:
        return rng.randbytes(rng.randint(0, 4096))
    return nested(rng.randint(1, 2000))


def fuzz(name: str, seconds: float, seed: int, crashes_dir: Path) -> dict[str, object]:
    target = targets()[name]
    rng = random.Random(seed)
    runs, crashes, slowest = 0, {}, (0.0, "")
    deadline = time.monotonic() + seconds
    signal.signal(signal.SIGALRM, _hung)
    while time.monotonic() < deadline:
        data = sample(target.kind, rng)
        started = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, DOCUMENT_SECONDS)
        try:
            target.call(data)
        except target.allowed:
            pass
        except (Exception, Hung) as exc:  # noqa: BLE001 - every other escape is a finding
            # where it happened: the innermost frame of the target (a Hung's own is the handler's)
            frames = traceback.extract_tb(exc.__traceback__)
            where = ([f for f in frames if f.filename != __file__] or frames)[-1]
            key = f"{type(exc).__name__} at {Path(where.filename).name}:{where.lineno}"
            if key not in crashes:
                crashes_dir.mkdir(parents=True, exist_ok=True)
                (crashes_dir / f"{name}-{len(crashes)}.bin").write_bytes(data)
                print(f"  CRASH {name}: {key}: {str(exc)[:160]}")
            crashes[key] = crashes.get(key, 0) + 1
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        elapsed = time.perf_counter() - started
        if elapsed > slowest[0]:
            slowest = (elapsed, f"{len(data)} bytes")
        runs += 1
    return {"target": name, "runs": runs, "per_second": runs / seconds, "crashes": crashes,
            "slowest_seconds": slowest[0], "slowest_doc": slowest[1]}


def run_bombs() -> list[dict[str, object]]:
    reports = []
    with tempfile.TemporaryDirectory(prefix="stroom-bench-fuzz-") as folder:
        for index, (name, (target, build)) in enumerate(bombs().items()):
            path = Path(folder) / f"{index}.xml"
            path.write_bytes(build())
            report = run_one(targets()[target], path, cap_mb=1024, seconds=120)
            reports.append({"bomb": name, **report})
            print(f"  {name:<40} {report.get('outcome', ''):<32} {report.get('seconds', 0):>7.2f} s "
                  f"peak {report.get('peak_rss_mb', 0):>6.0f} MB (+{report.get('grew_mb', 0):.0f})")
    return reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("FUZZ_SECONDS", "20")))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", str(int(time.time())))))
    parser.add_argument("--targets", default="ubl,validate-off,dmn,bpmn")
    args = parser.parse_args()
    print(f"fuzzing {args.targets} for {args.seconds:.0f} s each, seed {args.seed}")
    results = [fuzz(name, args.seconds, args.seed, RESULTS / "fuzz-crashes") for name in args.targets.split(",")]
    figures: list[Figure] = []
    for result in results:
        figures += [Figure(f"{result['target']}: documents per second", float(result["per_second"]), "docs/s"),
                    Figure(f"{result['target']}: crashes (kinds)", float(len(result["crashes"])), "kinds",
                           target=0, at_most=True),
                    Figure(f"{result['target']}: slowest document", float(result["slowest_seconds"]), "s")]
    print("\nbombs (each in a forked child capped at +1 GB and 120 s):")
    reports = run_bombs()
    unbounded = [r for r in reports if not str(r.get("outcome", "")).startswith(("ok", "refused"))]
    figures.append(Figure("bombs not handled (crash, killed)", float(len(unbounded)), "docs", target=0,
                          at_most=True))
    figures.append(Figure("largest peak memory growth of a bomb", max(float(r.get("grew_mb", 0)) for r in reports),
                          "MB"))
    print_table("Fuzzing", figures)
    write_results("fuzz", figures, seed=args.seed, runs=results, bombs=reports)
    if any(r["crashes"] for r in results) or unbounded:
        raise SystemExit("fuzzing found crashes (see above and bench/results/fuzz-crashes/)")


if __name__ == "__main__":
    main()
