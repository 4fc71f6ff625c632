"""What the admin's policy simulator shows: the decision in the reader's language, the statement that decided (its
number, effect, actions and resources), and for a deny by condition each condition with the policy's value and the
request's ("cos:content-length 20 MiB > numeric_less_than_equal 10 MiB")."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from qcloud import policy as cam
from qcloud.policy.model import to_number
from signer.forms import pretty
from signer.limits import format_size
from signer.selectors import Simulation


def context_label(key: str) -> str:
    labels = {
        cam.CONTENT_LENGTH: _("size"),
        cam.CONTENT_TYPE: _("content type"),
        cam.CLIENT_IP: _("client IP"),
        cam.FORBID_OVERWRITE: _("x-cos-forbid-overwrite header"),
        cam.ACL: _("x-cos-acl header"),
    }
    return labels.get(key, key)


def _value(key: str, value: int | str) -> str:
    """A size in binary units (with the exact bytes when that rounds it), anything else as it is."""
    number = to_number(value) if key == cam.CONTENT_LENGTH else None
    if number is None or number != number.to_integral_value() or number < 0:
        return str(value)
    size = int(number)
    # The unit format_size shows the size in.
    unit = 1 if size < 1024 else 1024 if size < 1024**2 else 1024**2 if size < 1024**3 else 1024**3
    shown = format_size(size)
    return shown if size % unit == 0 else _("%(size)s (%(bytes)d bytes)") % {"size": shown, "bytes": size}


def condition_line(check: cam.ConditionCheck) -> str:
    """ "cos:content-length 20 MiB > numeric_less_than_equal 10 MiB": the request's value, how it stands to the
    policy's (≤ ≥ = ∈ when the condition holds; > < ≠ ∉ when it fails; ? when the request did not say)."""
    condition = check.condition
    actual = _("(not given)") if check.actual is None else _value(condition.key, check.actual)
    limits = pgettext("list separator", ", ").join(_value(condition.key, value) for value in condition.values)
    return f"{condition.key} {actual} {check.relation} {condition.operator} {limits}"


def _status(check: cam.ConditionCheck) -> str:
    if check.holds is None:
        return _("not given")
    return _("holds") if check.holds else _("fails")


def _statement(check: cam.StatementCheck, rendered: cam.Policy) -> dict[str, Any]:
    statement = check.statement
    return {
        "number": check.index + 1,
        "effect": _("allow") if statement.effect == "allow" else _("deny"),
        "allow": statement.effect == "allow",
        "actions": list(statement.actions),
        "resources": list(statement.resources),
        "matched_resource": check.resource,
        "applies": check.applies,
        "conditions": [{"text": condition_line(c), "status": _status(c), "holds": c.holds} for c in check.conditions],
        "failed": [condition_line(c) for c in check.failed],
        "json": pretty(rendered.statements[check.index].to_dict()),
    }


def decision_words(explanation: cam.Explanation, action: str, resources: list[str]) -> str:
    """What the decision was and why, in the reader's language (qcloud's `reason` is English)."""
    decision = explanation.decision
    if decision.statement is not None:
        words = {"action": action, "number": decision.statement + 1}
        if decision.effect == "deny":
            return _("%(action)s is explicitly denied by statement %(number)d.") % words
        return _("%(action)s is allowed by statement %(number)d.") % words
    near_miss = explanation.near_miss
    if near_miss is not None:
        return _("%(action)s is denied: statement %(number)d would allow it, but not all of its conditions hold.") % {
            "action": action,
            "number": near_miss.index + 1,
        }
    target = pgettext("resource alternatives", " or ").join(resources)
    return _("No statement allows %(action)s on %(resources)s.") % {"action": action, "resources": target}


def simulation_result(simulation: Simulation) -> dict[str, Any]:
    """The simulator page's result block."""
    explanation = simulation.explanation
    decision = explanation.decision
    deciding = explanation.deciding
    near_miss = explanation.near_miss
    return {
        "allowed": decision.allowed,
        "reason": decision_words(explanation, simulation.action, simulation.resources),
        "deciding": _statement(deciding, simulation.rendered) if deciding is not None else None,
        "near_miss": _statement(near_miss, simulation.rendered) if near_miss is not None else None,
        "matched": [_statement(check, simulation.rendered) for check in explanation.matched],
        "missing_context": [context_label(key) for key in decision.missing_context],
        "policy": simulation.policy,
        "resources": simulation.resources,
        "rendered": pretty(simulation.rendered.to_dict()),
    }


__all__ = ["condition_line", "context_label", "decision_words", "simulation_result"]
