"""Journey templates (`config/journeys/*.yaml`): milestones with due days and conditions."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from segments.conditions import Comparison, Condition, comparisons

Identifier = Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$")


class Milestone(BaseModel):
    """A milestone: achieved on the first day its condition holds; due `due_day` days in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Identifier
    name: str | None = None
    due_day: int = Field(ge=0, le=3650)
    when: Condition
    critical: bool = False
    first_move: str | None = None
    description: str | None = None

    @property
    def metrics(self) -> list[str]:
        """Metrics the condition reads, in order, without repeats."""
        names = [c.metric for c in comparisons(self.when) if c.metric is not None]
        return list(dict.fromkeys(names))

    @property
    def single_comparison(self) -> Comparison | None:
        """The condition when it is one metric comparison (then it has a threshold)."""
        return self.when if isinstance(self.when, Comparison) else None


class Journey(BaseModel):
    """One journey template."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Identifier
    name: str | None = None
    description: str | None = None
    grace_days: int = Field(default=0, ge=0, le=365)
    warning_days: int = Field(default=7, ge=0, le=365)
    milestones: tuple[Milestone, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_milestones(self) -> Journey:
        seen: set[str] = set()
        for milestone in self.milestones:
            if milestone.id in seen:
                raise ValueError(f"milestone id `{milestone.id}` is used twice in this journey")
            seen.add(milestone.id)
        return self

    @property
    def title(self) -> str:
        return self.name or self.id

    @property
    def last_open_day(self) -> int:
        """The last day of the journey on which a milestone can be open and not yet overdue:
        the latest due day plus the grace days. After it, every milestone is achieved or
        overdue, so the early warning never scores the account again (journey.watch)."""
        return max(m.due_day for m in self.milestones) + self.grace_days
