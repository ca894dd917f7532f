"""The validated shape of a parameter-file entry (pydantic; imported only when files are read)."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
    model_config = ConfigDict(extra="forbid", strict=True)  # TOML true / "3.9" are not numbers
    value: float
    unit: str
    source: str
    locator: str
    evidence: Evidence
    node_nm: float | None = Field(default=None, gt=0)
    voltage_v: float | None = Field(default=None, gt=0)
    min: float | None = None
    max: float | None = None
    note: str = ""

    @field_validator("value", "min", "max")
    @classmethod
    def _finite(cls, v: float | None) -> float | None:
        if v is not None and not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v

    @model_validator(mode="after")
    def _ordered(self) -> ParamSpec:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is greater than max ({self.max:g}); swap them")
        return self
