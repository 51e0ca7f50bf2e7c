"""DMN decisions: parse DMN 1.1-1.5 XML, evaluate decision tables and FEEL with a trace (pure: stdlib + lxml)."""
from server.decisions.errors import DecisionError, DecisionParseError
from server.decisions.model import DecisionModel, DecisionResult, parse_dmn

__all__ = ["DecisionError", "DecisionModel", "DecisionParseError", "DecisionResult", "parse_dmn"]
