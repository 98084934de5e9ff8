"""Typed parameters of actions, and the name types Kubernetes reads share with them.

Names are validated so that text coming from an alert can never turn into a ready action with an
odd target.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from incident.config import parse_duration

_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_OBJECT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PD_ID = re.compile(r"^[A-Za-z0-9]{1,64}$")


def _pattern(regex: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not regex.match(value):
            raise ValueError(f"{value!r} is not a valid {what}")
        return value

    return AfterValidator(check)


def _silence_duration(value: str) -> str:
    seconds = parse_duration(value).total_seconds()
    if not 60 <= seconds <= 86400:
        raise ValueError(f"silence duration {value!r} must be between 1m and 24h")
    return value


def _matchers(value: dict[str, str]) -> dict[str, str]:
    if not value:
        raise ValueError("at least one matcher")
    bad = [k for k in value if not _LABEL_NAME.match(k)]
    if bad:
        raise ValueError(f"not label names: {', '.join(bad)}")
    return value


Namespace = Annotated[str, _pattern(_NAMESPACE, "namespace")]
ObjectName = Annotated[str, _pattern(_OBJECT_NAME, "Kubernetes object name")]
PagerDutyId = Annotated[str, _pattern(_PD_ID, "PagerDuty incident id")]
SilenceDuration = Annotated[str, AfterValidator(_silence_duration)]
Matchers = Annotated[dict[str, str], AfterValidator(_matchers)]


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RolloutUndoParams(Params):
    namespace: Namespace
    deployment: ObjectName
    to_revision: int | None = Field(default=None, ge=1)


class ScaleParams(Params):
    namespace: Namespace
    deployment: ObjectName
    replicas: int = Field(ge=0, le=1000)


class RestartParams(Params):
    namespace: Namespace
    deployment: ObjectName


class DeletePodParams(Params):
    namespace: Namespace
    pod: ObjectName


class SilenceParams(Params):
    matchers: Matchers
    duration: SilenceDuration
    comment: str = Field(min_length=1)


class PagerDutyIncidentParams(Params):
    incident_id: PagerDutyId


class PagerDutyNoteParams(Params):
    incident_id: PagerDutyId
    content: str = Field(min_length=1)
