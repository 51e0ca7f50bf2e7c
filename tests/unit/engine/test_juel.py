"""Camunda 7 JUEL translated to FEEL: the common subset, and a clear refusal for the rest."""
import pytest

from server.decisions.expressions import evaluate_feel
from server.engine.juel import JuelError, to_feel


@pytest.mark.parametrize("juel, feel", [
    ("${approver}", "approver"),
    ("#{approver}", "approver"),
    ("${a == 1}", "(a = 1)"),
    ("${a eq 'x'}", '(a = "x")'),
    ("${a != b}", "(a != b)"),
    ("${a ne b}", "(a != b)"),
    ("${a lt 1 || a gt 9}", "((a < 1) or (a > 9))"),
    ("${a le 1 or a ge 9}", "((a <= 1) or (a >= 9))"),
    ("${a < 1 && b > 2}", "((a < 1) and (b > 2))"),
    ("${a <= 1 and b >= 2}", "((a <= 1) and (b >= 2))"),
    ("${!done}", "not(done)"),
    ("${not done}", "not(done)"),
    ("${invoice.supplier.name}", "invoice.supplier.name"),
    ("${invoice['total']}", "invoice.total"),
    ("${lines[0]}", "lines[1]"),
    ("${true}", "true"),
    ("${null}", "null"),
    ("${1.5}", "1.5"),
    ('${"say \\"hi\\""}', '"say \\"hi\\""'),
    ("${-a + 2 * b / c}", "((-a) + ((2 * b) / c))"),
    ("${a div 2}", "(a / 2)"),
    ("${big ? 'finance' : 'managers'}", '(if big then "finance" else "managers")'),
    ("${(a or b) and c}", "(((a or b)) and c)"),
])
def test_the_subset_translates(juel, feel):
    assert to_feel(juel) == feel


@pytest.mark.parametrize("juel, variables, expected", [
    ("${empty x}", {"x": None}, True),
    ("${empty x}", {"x": ""}, True),
    ("${empty x}", {"x": []}, True),
    ("${empty x}", {"x": {}}, True),
    ("${empty x}", {"x": "a"}, False),
    ("${not empty x}", {"x": [1]}, True),
    ("${amount gt 500 && !empty approver}", {"amount": 600, "approver": "anna"}, True),
    ("${amount > 500 ? 'finance' : 'managers'}", {"amount": 100}, "managers"),
])
def test_translations_mean_what_juel_means(juel, variables, expected):
    assert evaluate_feel(to_feel(juel), variables) == expected


@pytest.mark.parametrize("juel, reason", [
    ("${order.total()}", "method and function calls"),
    ("${fn:size(x)}", "functions (prefix:name)"),
    ("${a mod 2}", "'mod' is not supported"),
    ("${a % 2}", "'%' is not supported"),
    ("${x instanceof y}", "'instanceof' is not supported"),
    ("total: ${x}", "only a single ${...}"),
    ("${a}${b}", "only a single ${...}"),
    ("${}", "empty"),
    ("${a = 1}", "unexpected character '='"),
    ("${a[i]}", "only a literal property name or index"),
    ("${item}", "cannot be translated to FEEL"),
    ("${a ? b}", "expected ':'"),
    ("${a +}", "expected a value"),
    ("${empty empty x}", "'empty' is supported on a name or property path only"),
    ("${" + "(" * 500 + "a" + ")" * 500 + "}", "nests too deeply"),
    ("${" + "!" * 500 + "a}", "nests too deeply"),
])
def test_the_rest_is_refused_naming_the_construct(juel, reason):
    with pytest.raises(JuelError) as refused:
        to_feel(juel)
    assert reason in str(refused.value)
