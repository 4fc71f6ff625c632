"""`manage.py add_identity_provider --name NAME --issuer URL --audience AUD [--audience AUD2] --policy POLICY
[--claim sub] [--algorithm RS256 ...]`.

Running it again for the same name updates that provider. The issuer's discovery document is not fetched here: the
first ID token does that (and says so in its answer when the issuer cannot be reached).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from signer.identity import keys
from signer.models import ID_TOKEN_ALGORITHMS, AccessPolicy, IdentityProvider


class Command(BaseCommand):
    help = "Add (or update) an OpenID Connect identity provider whose ID tokens /sign and /sts accept."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="Prefix of its users' names: <name>.<subject>")
        parser.add_argument("--issuer", required=True, help="The `iss` of its ID tokens, exactly")
        parser.add_argument("--audience", required=True, action="append", help="An accepted `aud` (repeatable)")
        parser.add_argument("--policy", required=True, help="The access policy its identities get")
        parser.add_argument("--claim", default="sub", help="The claim naming the identity (default: sub)")
        parser.add_argument(
            "--algorithm", action="append", choices=ID_TOKEN_ALGORITHMS, help="Allowed (repeatable; RS256, ES256)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        policy = AccessPolicy.objects.filter(name=options["policy"]).first()
        if policy is None:
            raise CommandError(_("no access policy named %(name)s") % {"name": repr(options["policy"])})
        provider = IdentityProvider.objects.filter(name=options["name"]).first() or IdentityProvider(
            name=options["name"]
        )
        done = (
            _(
                "Updated identity provider %(name)s (%(issuer)s; audiences %(audiences)s; "
                "users <%(name_prefix)s>.<%(claim)s> get policy %(policy)s)."
            )
            if provider.pk
            else _(
                "Added identity provider %(name)s (%(issuer)s; audiences %(audiences)s; "
                "users <%(name_prefix)s>.<%(claim)s> get policy %(policy)s)."
            )
        )
        provider.issuer = options["issuer"]
        provider.audiences = list(dict.fromkeys(options["audience"]))
        provider.claim = options["claim"]
        provider.policy = policy
        if options.get("algorithm"):
            provider.algorithms = list(dict.fromkeys(options["algorithm"]))
        try:
            provider.full_clean()
        except ValidationError as exc:
            messages = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items())
            raise CommandError(messages) from exc
        provider.save()
        keys.keys_forget(provider)
        self.stdout.write(
            self.style.SUCCESS(
                done
                % {
                    "name": repr(provider.name),
                    "issuer": provider.issuer,
                    "audiences": ", ".join(provider.audiences),
                    "name_prefix": provider.name,
                    "claim": provider.claim,
                    "policy": repr(policy.name),
                }
            )
        )
