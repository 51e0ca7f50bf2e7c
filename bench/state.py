"""Serialized instance size and load + save time, against SpiffWorkflow's default serializer.

    python bench/state.py [--rounds N]

A purchase invoice routed to a group (tests/data/invoices/matching_difference.xml, matched against
the demo master data as plain records, decided by dmn/invoice_approval.dmn) is run to its approval
task, then approved and run to the end. At both points: the size of what Stroom stores
(`WorkflowRun.dumps()`: tasks and data, the spec stays with the model version) and of the engine's
default serializer (spec included), and the time to load the state and save it again. Runs in one
process with no database. Writes bench/results/state.json.
"""
from __future__ import annotations

import argparse
import datetime as dt
import time
from typing import Any

from common import APPROVAL_TABLE, BENCH_MODEL, INVOICES, Figure, median, print_table, write_results

SAMPLE = INVOICES / "matching_difference.xml"


def build() -> tuple[Any, dict[str, Any]]:
    """The compiled bench model with pure services, and the initial data of one routed invoice."""
    from server.demo_data import demo_snapshot
    from server.engine import ServiceRegistry, compile_model
    from server.invoices.facts import facts_from_invoice
    from server.invoices.matching import match
    from server.invoices.ubl import parse_invoice

    xml = SAMPLE.read_bytes()
    parsed = parse_invoice(xml)
    snapshot = demo_snapshot()

    def match_invoice(call: Any) -> dict[str, Any]:
        result = match(facts_from_invoice(parsed), snapshot, today=dt.date.today(), earlier_invoices=())
        return {**result.collection(), "match_reasons": [r.text for r in result.reasons],
                "match_coded_reasons": [r.to_json() for r in result.reasons]}

    services = ServiceRegistry({"match_invoice": match_invoice,
                                "record_outcome": lambda call: {"outcome": call.params.get("outcome")}})
    model = compile_model(bpmn={BENCH_MODEL.name: BENCH_MODEL.read_bytes()},
                          dmn={APPROVAL_TABLE.name: APPROVAL_TABLE.read_bytes()}, services=services)
    summary = {"id": 1, "number": parsed.id, "document_type": parsed.document_type,
               "supplier_name": parsed.supplier.display_name, "customer_name": parsed.customer.display_name,
               "payable_amount": str(parsed.totals.payable), "currency": parsed.currency,
               "issue_date": str(parsed.issue_date), "due_date": str(parsed.due_date),
               "order_reference": parsed.order_reference, "iban": parsed.iban, "lines": len(parsed.lines)}
    return model, {"document_id": 1, "invoice_id": 1, "invoice": summary, "order_number": parsed.order_reference,
                   "approval_due_date": str(parsed.due_date), "validation_warnings": []}


def default_size(run: Any) -> int:
    """Bytes of the engine's own JSON for the same workflow (spec and all)."""
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
    from SpiffWorkflow.spiff.specs.defaults import NoneTask, ServiceTask

    from server.engine.specs import DecisionTask, DispatchServiceTask

    # Stroom's two task classes, written the way the engine writes their nearest relatives.
    config = {**SPIFF_CONFIG, DispatchServiceTask: SPIFF_CONFIG[ServiceTask], DecisionTask: SPIFF_CONFIG[NoneTask]}
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
    return len(serializer.serialize_json(run._wf).encode())  # bench only: the engine's object, for comparison


def load_save_ms(model: Any, state: str, rounds: int) -> float:
    from server.engine import WorkflowRun

    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        WorkflowRun.load(model, state).dumps()
        samples.append((time.perf_counter() - start) * 1000)
    return median(samples)


def main() -> None:
    from server.engine import WorkflowRun

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    model, data = build()
    run = WorkflowRun.start(model, data)
    assert run.advance() is None
    (task,) = run.ready_user_tasks()
    figures: list[Figure] = []
    sizes: dict[str, dict[str, int]] = {}
    for point in ("approval step", "completed"):
        if point == "completed":
            run = WorkflowRun.load(model, run.dumps())
            run.complete_user_task(task.task_id, {"approved": True, "comment": "fine"})
            assert run.advance() is None and run.is_completed
        state = run.dumps()
        ours, theirs = len(state.encode()), default_size(run)
        sizes[point] = {"stroom": ours, "spiff_default": theirs}
        figures.append(Figure(f"state size at {point}", ours / 1024, "KiB"))
        figures.append(Figure(f"  engine default serializer at {point}", theirs / 1024, "KiB"))
        figures.append(Figure(f"  saving vs default at {point}", 1 - ours / theirs, "share"))
        figures.append(Figure(f"load + save at {point} (median)", load_save_ms(model, state, args.rounds), "ms"))
    print_table("Instance state: stored size and load + save time", figures)
    write_results("state", figures, sizes=sizes, rounds=args.rounds)


if __name__ == "__main__":
    main()
