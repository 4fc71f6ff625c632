"""localcloud: an offline emulator of Tencent Cloud STS and the COS XML API.

Plain Python, no Django. The official SDKs talk to it over HTTP with only an endpoint change; it verifies their real
signatures and enforces CAM policies with `qcloud.policy`, like Azurite does for Azure Storage.
"""
