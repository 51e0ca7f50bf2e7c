"""Build small DMN documents in tests, the way dmn-js writes them."""
from __future__ import annotations

from xml.sax.saxutils import escape

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def table_xml(rules: list[tuple[list[str], list[str]]], *, inputs: list[tuple[str, str, str]],
              outputs: list[tuple[str, str]], hit_policy: str = "UNIQUE", aggregation: str | None = None,
              decision_id: str = "d", namespace: str = DMN13, output_values: dict[str, str] | None = None,
              defaults: dict[str, str] | None = None) -> bytes:
    """A one-decision DMN document; inputs are (label, expression, typeRef), outputs (name, typeRef)."""
    agg = f' aggregation="{aggregation}"' if aggregation else ""
    parts = [f'<definitions xmlns="{namespace}" id="defs" name="t" namespace="http://example.com">',
             f'<decision id="{decision_id}" name="{decision_id}">',
             f'<decisionTable id="t" hitPolicy="{hit_policy}"{agg}>']
    for n, (label, expr, type_ref) in enumerate(inputs, 1):
        parts.append(f'<input id="i{n}" label="{escape(label)}"><inputExpression typeRef="{type_ref}">'
                     f"<text>{escape(expr)}</text></inputExpression></input>")
    for n, (name, type_ref) in enumerate(outputs, 1):
        values = (output_values or {}).get(name)
        default = (defaults or {}).get(name)
        inner = (f"<outputValues><text>{escape(values)}</text></outputValues>" if values else "") + \
            (f"<defaultOutputEntry><text>{escape(default)}</text></defaultOutputEntry>" if default else "")
        parts.append(f'<output id="o{n}" name="{name}" typeRef="{type_ref}">{inner}</output>')
    for n, (ins, outs) in enumerate(rules, 1):
        parts.append(f'<rule id="r{n}"><description>rule {n}</description>')
        parts += [f"<inputEntry><text>{escape(t)}</text></inputEntry>" for t in ins]
        parts += [f"<outputEntry><text>{escape(t)}</text></outputEntry>" for t in outs]
        parts.append("</rule>")
    parts.append("</decisionTable></decision></definitions>")
    return "".join(parts).encode()


def literal_xml(expressions: dict[str, str], *, requires: dict[str, list[str]] | None = None,
                namespace: str = DMN13) -> bytes:
    """Literal-expression decisions (id = name = variable) with optional required decisions."""
    parts = [f'<definitions xmlns="{namespace}" id="defs" name="t" namespace="http://example.com">']
    for name, text in expressions.items():
        reqs = "".join(f'<informationRequirement><requiredDecision href="#{r}"/></informationRequirement>'
                       for r in (requires or {}).get(name, []))
        parts.append(f'<decision id="{name}" name="{name}"><variable name="{name}"/>{reqs}'
                     f"<literalExpression><text>{escape(text)}</text></literalExpression></decision>")
    parts.append("</definitions>")
    return "".join(parts).encode()
