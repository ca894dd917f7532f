"""The validated shape of a parameter-file entry (pydantic; imported only when files are read)."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

Evidence = Literal["measured", "published", "derived", "assumed"]


class SourceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    citation: str
    url: str

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("https://", "http://", "doi:", "arXiv:")):
            raise ValueError("must be an https:// URL, 'doi:...' or 'arXiv:...'")
        return v


class ParamSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: float
    unit: str
    source: str
    locator: str
    evidence: Evidence
    node_nm: float | None = None
    voltage_v: float | None = None
    min: float | None = None
    max: float | None = None
    note: str = ""

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v
