"""The articles' patients, stepped through: frames per step and the interactive page."""

from __future__ import annotations

from pathlib import Path

from autodiff.articles import gradient_descent as article

from .article import patient
from .frames import scene, write_frames
from .html import page


def write_patient_steps(number: int, directory: Path, frames: bool = True, html: bool = True) -> list[Path]:
    """Write patient `number`'s frames (`patientN-step01.svg` ..., a GIF) and/or page (`patientN.html`)."""
    p = patient(number)
    s = scene(
        p.loss,
        lr=article.LEARNING_RATE,
        params=p.params,
        names=p.names,
        delta_names=p.delta_names,
        title=p.title,
    )
    written = write_frames(s, directory, f"patient{number}") if frames else []
    if html:
        written.append(page(s).save(Path(directory) / f"patient{number}.html"))
    return written
