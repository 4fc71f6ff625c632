"""What we know about Tencent Cloud, in plain Python (no Django).

- `qcloud.regions`: region codes and their display names.
- `qcloud.buckets`: bucket-name rules (`<name>-<appid>`).
- `qcloud.policy`: the CAM policy model: parse, evaluate (with conditions), resource names, template variables.
- `qcloud.operations`: COS XML API request -> operation -> CAM action and resources, and authorization.
- `qcloud.cos_signature`, `qcloud.tc3`: the COS and STS (TC3-HMAC-SHA256) request signatures.

Used by the signer, the demo and localcloud alike, so all three agree on what a policy allows.
"""
