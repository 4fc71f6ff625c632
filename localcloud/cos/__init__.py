"""The COS XML API of localcloud.

Modules: service (the dispatcher), routes (request -> operation -> CAM action -> handler, one table), addressing
(bucket and key from Host and path), request (parsed request, response), auth (signature, token, expiry, CAM policy),
call (one request on its way through a handler), context (what handlers may use), buckets, objects and multipart
(the handlers), answers (pieces of answer documents), storage (SQLite metadata + body files), xml, cors, errors.
Every answer carries `x-cos-request-id`; every failure is COS's XML error document, never a traceback.

How cos-python-sdk-v5 talks to localcloud (e.g. demo/cos.py), with localcloud on 127.0.0.1:9100:

    CosConfig(Region="ap-guangzhou", SecretId=..., SecretKey=..., Token=None or the session token, Scheme="http",
              IP="127.0.0.1", Port=9100, ServiceDomain="127.0.0.1:9100")

In IP mode the SDK sends every bucket request to IP:Port with the Host header `<bucket-appid>.cos.<region>.myqcloud.com`
(virtual host, signed as such); `ServiceDomain` is needed because list_buckets() otherwise goes to
service.cos.myqcloud.com. Presigned URLs: in IP mode the SDK's URL has no bucket in it, so build them with a client
configured `Domain="<host:port>/cos/<region>/<bucket-appid>"` (path style; the SDK signs the host without the port,
which localcloud accepts), or `Domain="<bucket-appid>.cos.<region>.localhost:<port>"` for browsers, and append
`&x-cos-security-token=<token>` when the keys are temporary (the SDK leaves it out).
"""
