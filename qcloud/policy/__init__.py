"""The CAM policy model: parse, evaluate, name resources, fill in template variables.

One model for everyone: the signer builds and checks policies with it, the demo explains and pre-checks decisions
with it, and localcloud enforces it on every request made with temporary or sub-account keys.

- `model`: Policy, Statement, Condition, PolicyError; writing a policy back as JSON.
- `parse`: parse_policy (JSON text or a mapping), with errors that say where.
- `evaluate`: RequestContext, Decision, evaluate, evaluate_all; explain (the trace behind a decision: Explanation,
  StatementCheck, ConditionCheck).
- `templates`: substitute (${username}, ${user_id}, ${appid}, ${jwt:<claim>}).

Evaluation: a matching deny whose conditions hold wins, then a matching allow whose conditions hold; otherwise the
request is implicitly denied. A condition whose key the request context lacks does not hold, so neither an allow nor
a deny carrying it applies (localcloud always supplies the context it knows); the key is listed in
`Decision.missing_context` so the policy simulator can ask for it.

Human-readable text counts statements from 1 ("statement 2"); the `statement` attributes of PolicyError and Decision
are 0-based indexes. Everything is importable from here (`from qcloud import policy as cam`).
"""

from __future__ import annotations

from qcloud.glob import glob_match
from qcloud.policy.evaluate import (
    ConditionCheck,
    Decision,
    Explanation,
    RequestContext,
    StatementCheck,
    action_matches,
    evaluate,
    evaluate_all,
    explain,
)
from qcloud.policy.model import (
    ACL,
    CLIENT_IP,
    CONTENT_LENGTH,
    CONTENT_TYPE,
    EFFECTS,
    FORBID_OVERWRITE,
    IP_OPERATORS,
    KEY_OPERATORS,
    NUMERIC_OPERATORS,
    OPERATORS,
    POLICY_FIELDS,
    STATEMENT_FIELDS,
    STRING_OPERATORS,
    VERSION,
    Condition,
    Policy,
    PolicyError,
    Statement,
)
from qcloud.policy.parse import ACTION_RE, RESOURCE_PREFIX, parse_policy
from qcloud.policy.templates import VARIABLE_RE, VARIABLES, substitute, template_variables
from qcloud.resources import resource_name

__all__ = [
    "ACL",
    "ACTION_RE",
    "CLIENT_IP",
    "CONTENT_LENGTH",
    "CONTENT_TYPE",
    "EFFECTS",
    "FORBID_OVERWRITE",
    "IP_OPERATORS",
    "KEY_OPERATORS",
    "NUMERIC_OPERATORS",
    "OPERATORS",
    "POLICY_FIELDS",
    "RESOURCE_PREFIX",
    "STATEMENT_FIELDS",
    "STRING_OPERATORS",
    "VARIABLES",
    "VARIABLE_RE",
    "VERSION",
    "Condition",
    "ConditionCheck",
    "Decision",
    "Explanation",
    "Policy",
    "PolicyError",
    "RequestContext",
    "Statement",
    "StatementCheck",
    "action_matches",
    "evaluate",
    "evaluate_all",
    "explain",
    "glob_match",
    "parse_policy",
    "resource_name",
    "substitute",
    "template_variables",
]
