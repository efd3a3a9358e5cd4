"""A pipeline's view of /api/v1: real HTTP with a bearer token, and every answer held to the
OpenAPI document the server publishes (status documented, body valid against its schema)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import requests
from jsonschema import Draft202012Validator

from handlers.api_openapi import openapi_document
from models.services import tokens
from tests.slackbot.harness import HOME


@dataclass
class Api:
    url: str
    token: str | None
    checked: list[tuple[str, str, int]] = field(default_factory=list)  # (method, path, status)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.call("POST", path, json=body, **kw)

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = ...,  # type: ignore[assignment]
        headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> requests.Response:
        token = self.token if token is ... else token
        sent = {"Authorization": f"Bearer {token}"} if token is not None else {}
        response = requests.request(
            method, f"{self.url}{path}", headers={**sent, **(headers or {})}, timeout=10, **kw
        )
        check_response(method, path, response)
        self.checked.append((method, path.split("?")[0], response.status_code))
        return response


def make_token(db: Any, team: str = HOME, name: str = "ci") -> str:
    with db.session() as s:
        plaintext, _ = tokens.create_token(s, team, name)
    return plaintext


def operation(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """The documented (template, operation) that a concrete path and method hit, if any."""
    bare = path.split("?")[0]
    for template, item in openapi_document()["paths"].items():
        pattern = re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, bare) and method.lower() in item:
            return template, item[method.lower()]
    return None


def check_response(method: str, path: str, response: requests.Response) -> None:
    """Every answer is JSON or a documented media type; documented operations keep to their
    documented statuses and schemas."""
    media = response.headers.get("Content-Type", "").split(";")[0].strip()
    found = operation(method, path)
    if found is None:  # routing errors: JSON all the same
        assert media == "application/json", (path, response.status_code, response.text[:200])
        assert set(response.json()) == {"error"}
        return
    template, op = found
    status = str(response.status_code)
    assert status in op["responses"], f"{method} {template} answered undocumented {status}"
    content = op["responses"][status].get("content", {})
    assert media in content, f"{method} {template} {status}: {media} is not documented"
    if media == "application/json":
        validate(response.json(), content[media]["schema"])


def validate(instance: Any, schema: dict[str, Any]) -> None:
    # The components ride along in the root, so "#/components/schemas/..." resolves.
    rooted = {**schema, "components": openapi_document()["components"]}
    Draft202012Validator(rooted).validate(instance)
