"""The file models of config/ and what was loaded from them, before cross-file checks.

One pydantic model per kind of file (settings, icp, segments, metrics, journey); `FILE_KINDS`
is the registry that loading, `journey schema` and the config reference all walk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from journey.config.yaml_source import YamlDocument
from journey.journeys import Journey, Milestone
from journey.settings import Settings
from metrics.definitions import Metric, MetricsFile
from segments.icp import Icp
from segments.rules import Segment


class IcpFile(BaseModel):
    """The whole of `icp.yaml`: ideal customer profiles."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    icps: tuple[Icp, ...] = ()


class SegmentsFile(BaseModel):
    """The whole of `segments.yaml`: ordered segmentation rules, first match wins."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    segments: tuple[Segment, ...] = Field(min_length=1)


#: Each kind of config file: its model and where it lives in config/.
FILE_KINDS: dict[str, tuple[type[BaseModel], str]] = {
    "settings": (Settings, "settings.yaml"),
    "icp": (IcpFile, "icp.yaml"),
    "segments": (SegmentsFile, "segments.yaml"),
    "metrics": (MetricsFile, "metrics.yaml"),
    "journey": (Journey, "journeys/*.yaml"),
}


@dataclass
class ConfigModels:
    """What validated, file by file, before cross-file checks.

    `docs` maps each file's path relative to config/ (e.g. `journeys/growth.yaml`) to its
    loaded YAML; `journeys` uses the same keys, so every check can point at a line. When a
    file does not validate as a whole, the entries that do validate on their own are still
    kept (`segment_items`, `icp_items`, `milestone_items`, `metrics`: (index, model) pairs),
    so that one run also reports the reference problems of the valid parts.
    """

    name: str
    docs: dict[str, YamlDocument] = field(default_factory=dict)
    settings: Settings | None = None
    icps: tuple[Icp, ...] = ()
    segments: tuple[Segment, ...] = ()
    metrics: dict[str, Metric] = field(default_factory=dict)
    journeys: dict[str, Journey] = field(default_factory=dict)
    segment_items: list[tuple[int, Segment]] = field(default_factory=list)
    icp_items: list[tuple[int, Icp]] = field(default_factory=list)
    milestone_items: dict[str, list[tuple[int, Milestone]]] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)  # files that did not load or validate
    unreadable: set[str] = field(default_factory=set)  # files that are not valid YAML

    def journeys_by_id(self) -> dict[str, Journey]:
        """Journeys keyed by their `id` (the first file wins on a repeated id)."""
        by_id: dict[str, Journey] = {}
        for journey in self.journeys.values():
            by_id.setdefault(journey.id, journey)
        return by_id

    def _raw(self, rel: str, key: str) -> Any:
        doc = self.docs.get(rel)
        return doc.data.get(key) if doc is not None and isinstance(doc.data, dict) else None

    def defined_metrics(self) -> list[str] | None:
        """Metric names written in metrics.yaml (valid or not); None if it could not be read."""
        raw = self._raw("metrics.yaml", "metrics")
        return [str(k) for k in raw] if isinstance(raw, dict) else None

    def defined_icps(self) -> list[str]:
        """ICP ids written in icp.yaml (valid or not)."""
        raw = self._raw("icp.yaml", "icps")
        items = raw if isinstance(raw, list) else []
        return [str(i["id"]) for i in items if isinstance(i, dict) and "id" in i]

    def defined_journeys(self) -> list[str] | None:
        """Journey ids written in journeys/*.yaml; None if any journey file is unreadable."""
        if any(rel.startswith("journeys/") for rel in self.unreadable):
            return None
        ids = []
        for rel, doc in self.docs.items():
            if rel.startswith("journeys/"):
                if not isinstance(doc.data, dict) or "id" not in doc.data:
                    return None
                ids.append(str(doc.data["id"]))
        return ids
