"""Parameters of a Bot API request, from its query string and its JSON, form or multipart body."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.sandbox.errors import bad


@dataclass
class Upload:
    data: bytes
    filename: str | None
    mime_type: str | None


class Params:
    """Request parameters: strings raw, anything else JSON-encoded (form) or typed (JSON body)."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload]):
        self.values = values
        self.uploads = uploads

    def get_str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise bad(f'field "{name}" must be of type String')

    def get_int(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return int(value.strip())
        raise bad(f'field "{name}" must be an Integer')

    def get_number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return float(value.strip())
        raise bad(f'field "{name}" must be a Number')

    def get_bool(self, name: str) -> bool:
        value = self.values.get(name)
        if value is None or isinstance(value, bool):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "1", "false", "0", ""):
            return value.lower() in ("true", "1")
        raise bad(f'field "{name}" must be a Boolean')

    def get_json(self, name: str) -> Any:
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise bad(f"can't parse {name} JSON object") from None


async def read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Plain values and uploaded files of a request; ApiError(400) on a malformed body."""
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if not request.can_read_body:
        return values, uploads
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = json.loads(await request.text())
        except ValueError:
            raise bad("can't parse JSON encoded request body") from None
        if not isinstance(body, dict):
            raise bad("the JSON request body must be an object")
        values.update(body)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                uploads[key] = Upload(value.file.read(), value.filename, value.content_type)
            else:
                values[key] = value
    return values, uploads
