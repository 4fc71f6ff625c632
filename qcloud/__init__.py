"""What we know about Tencent Cloud, in plain Python (no Django).

- `qcloud.regions`: region codes and their display names.
- `qcloud.buckets`: bucket-name rules (`<name>-<appid>`).
- `qcloud.policy`: the CAM policy model (a package: model, parse, evaluate, templates).
- `qcloud.resources`: COS resource names (`qcs::cos:<region>:uid/<appid>:<bucket>/<key>`), built and split.
- `qcloud.glob`: the `*` glob that policies and CORS rules share.
- `qcloud.operations`: COS XML API request -> operation -> CAM action and resources, and authorization.
- `qcloud.endpoints`: a bucket's virtual-host name, on COS and on a localcloud (`*.localhost`).
- `qcloud.cos_signature`, `qcloud.tc3`: the COS and STS (TC3-HMAC-SHA256) request signatures.

Used by the signer, the demo and localcloud alike, so all three agree on what a policy allows.
"""
