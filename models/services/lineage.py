"""Lineage: which model version used which data, from where, approved by which hand-off."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.handoff import Handoff
from models.lineage import ModelVersion
from models.project import Project
from models.schemas.projects import LineageEntry
from models.services.common import get_project


def record_from_handoff(s: Session, project: Project, handoff: Handoff) -> None:
    """An approved packet that names a model version enters the lineage (once per version)."""
    packet = handoff.packet
    name, version = packet.get("model_name"), packet.get("model_version")
    if not name or not version or _exists(s, project, name, version):
        return
    s.add(
        ModelVersion(
            team_id=project.team_id,
            project_id=project.id,
            model_name=name,
            version=version,
            training_data=packet.get("training_data"),
            data_source=packet.get("data_source"),
            evaluation=packet.get("evaluation"),
            origin="handoff",
            handoff_id=handoff.id,
            recorded_by=handoff.requested_by,
        )
    )


def lineage_of(s: Session, team_id: str, key: str) -> list[LineageEntry]:
    project = get_project(s, team_id, key)
    rows = s.scalars(
        select(ModelVersion)
        .where(ModelVersion.team_id == team_id, ModelVersion.project_id == project.id)
        .order_by(ModelVersion.recorded_at.desc(), ModelVersion.id.desc())
    )
    # LineageEntry's fields are ModelVersion's columns, read by name.
    return [LineageEntry.model_validate(m, from_attributes=True) for m in rows]


def _exists(s: Session, project: Project, name: str, version: str) -> bool:
    return (
        s.scalar(
            select(ModelVersion.id).where(
                ModelVersion.project_id == project.id,
                ModelVersion.model_name == name,
                ModelVersion.version == version,
            )
        )
        is not None
    )
