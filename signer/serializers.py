"""The base of the API's answer serializers: fields bound once per class, not for every answer.

DRF deep-copies and binds every field of every serializer it instantiates (~0.1 ms per nested serializer, a tenth of
a cached /sign). An answer only reads its fields (no input, no context), so one set per class serves every answer and
every thread; the schema still sees the fields the usual way. (No docstring on the class itself: drf-spectacular would
copy it into the description of every subclass.)
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from rest_framework import serializers

Answered = TypeVar("Answered")


class AnswerSerializer(serializers.Serializer[Answered], Generic[Answered]):
    _shared: ClassVar[list[serializers.Field[Any, Any, Any, Any]]]

    @property
    def _readable_fields(self) -> list[serializers.Field[Any, Any, Any, Any]]:
        shared = type(self).__dict__.get("_shared")
        if shared is None:  # two threads may both build it: either list will do
            shared = [field for field in self.fields.values() if not field.write_only]
            type(self)._shared = shared
        return shared
