"""Texts chosen at run time (statuses, menu labels, operations), marked so `make translations` finds them."""
from __future__ import annotations


def N_(text: str) -> str:
    """Mark a text for extraction; it is translated where it is shown (`_(value)` in a template)."""
    return text


STATUSES = (N_("open"), N_("claimed"), N_("delegated"), N_("completed"), N_("cancelled"), N_("not_needed"),
            N_("running"), N_("suspended"), N_("failed"), N_("terminated"), N_("received"), N_("accepted"),
            N_("rejected"))
OPERATIONS = (N_("suspend"), N_("resume"), N_("terminate"), N_("retry"), N_("move"), N_("restart"),
              N_("restart_instance"), N_("reassign"))
DEFAULT_FORM = (N_("Decision"), N_("Approve"), N_("Disapprove"), N_("Comment"))
