"""Identities from other issuers: OpenID Connect ID tokens accepted as `Authorization: Bearer` on /sign and /sts.

safety: which claim values may name a person in a policy; keys: the issuers' signing keys, fetched and cached;
tokens: validation of an ID token; services: the portal user behind an (issuer, subject); authentication: the DRF
class and its OpenAPI description. Nothing here is imported by signer.models (this package imports it).
"""
