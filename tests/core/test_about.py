"""Versions and licences come from package metadata, the same way in the frozen app."""

from email.message import Message
from importlib import metadata

from ambientpose_desktop.cli import main
from ambientpose_desktop.core import about


def _meta(**fields: str | list[str]) -> Message:
    meta = Message()
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            meta[key.replace("_", "-")] = item
    return meta


def test_components_report_the_installed_versions():
    found = {c.title: c for c in about.components()}
    assert found["AmbientPose"].version == about.application_version()
    assert found["ONNX Runtime"].version == metadata.version("onnxruntime")
    assert found["NumPy"].version == metadata.version("numpy")
    assert found["PyAV (FFmpeg)"].licence == "BSD-3-Clause"
    assert all(c.licence for c in found.values())


def test_components_leave_out_what_is_not_installed(monkeypatch):
    missing = about.ComponentSpec("Nothing", "absent", "json", ("surely-not-installed-dist",))
    no_code = about.ComponentSpec("Ghost", "metadata only", "surely_no_module", ("numpy",))
    fallback = about.ComponentSpec("NumPy", "arrays", "numpy",
                                   ("surely-not-installed-dist", "numpy"))
    monkeypatch.setattr(about, "COMPONENTS", (missing, no_code, fallback))
    assert [(c.title, c.version) for c in about.components()] == [
        ("NumPy", metadata.version("numpy"))]


def test_licence_prefers_spdx_then_short_field_then_classifier():
    classifier = "License :: OSI Approved :: BSD License"
    assert about._licence(_meta(License_Expression="MIT", License="Apache 2.0")) == "MIT"
    assert about._licence(_meta(License="Apache 2.0", Classifier=classifier)) == "Apache 2.0"
    whole_text = "Copyright (c) 2024\n\nPermission is hereby granted..."
    assert about._licence(_meta(License=whole_text, Classifier=classifier)) == "BSD License"
    assert about._licence(_meta(Name="x")) == "see the package's licence file"


def test_about_command_prints_versions_model_licence_and_folders(capsys, ambientpose_home):
    assert main(["about"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"AmbientPose {about.application_version()} (MIT)")
    assert f"ONNX Runtime {metadata.version('onnxruntime')}" in out
    assert "YOLO11n-pose" in out and "AGPL-3.0" in out
    assert f"Data: {ambientpose_home / 'data'}" in out
