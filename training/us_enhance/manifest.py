"""Write models/manifest.json: what the runtime needs to load each model and refuse a tampered file.

Each entry: name (what the CLI and the UI ask for), task, version, file, sha256 of the file, the input and output
tensors (name, layout NCHW, one channel, float32 grey scaled to [0, 1]), the upscaling factor, the multiple the
frame's height and width must be (the runtime pads by replication and crops back), the model card, and a one-line
statement of how far the model was validated (shown beside every enhanced frame).
"""
import hashlib
import json
import os


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def entry(models_dir: str, name: str, task: str, version: str, file: str, scale: int, multiple_of: int, card: str, validation: str) -> dict:
    tensor = {"layout": "NCHW", "channels": 1, "dtype": "float32", "range": [0, 1]}
    return {
        "name": name,
        "task": task,
        "version": version,
        "modality": "US",
        "file": file,
        "sha256": sha256(os.path.join(models_dir, file)),
        "input": {"name": "input", **tensor},
        "output": {"name": "output", **tensor},
        "scale": scale,
        "multipleOf": multiple_of,
        "card": card,
        "validation": validation,
    }


def write_manifest(models_dir: str, entries: list) -> str:
    path = os.path.join(models_dir, "manifest.json")
    with open(path, "w") as f:
        json.dump({"format": 1, "models": entries}, f, indent=2)
        f.write("\n")
    return path
