"""Export a trained network to ONNX (opset 17, dynamic height and width) and check it.

``export_onnx`` writes the model, runs ``onnx.checker``, and writes a parity vector beside it: a fixed input frame
(a real training frame crop) and PyTorch's output for it, as raw little-endian float32 files with a JSON header.
The runtime's test (tests/integration/enhanceModels.test.ts) runs the ONNX file with onnxruntime-node on that input
and requires the outputs to agree within 1e-5: the check of ONNX against torch is made by the runtime that ships.
"""
import json
import os

import numpy as np
import onnx
import torch


def export_onnx(model: torch.nn.Module, path: str, example: torch.Tensor, parity_input: np.ndarray, parity_dir: str) -> dict:
    model = model.eval()
    torch.onnx.export(
        model,
        example,
        path,
        opset_version=17,
        input_names=["input"],
        output_names=["output"],
        dynamic_axes={"input": {2: "height", 3: "width"}, "output": {2: "out_height", 3: "out_width"}},
        do_constant_folding=True,
    )
    m = onnx.load(path)
    onnx.checker.check_model(m)
    x = torch.from_numpy(parity_input[None, None].astype(np.float32))
    with torch.no_grad():
        y = model(x).numpy()
    os.makedirs(parity_dir, exist_ok=True)
    stem = os.path.splitext(os.path.basename(path))[0]
    x.numpy().astype("<f4").tofile(os.path.join(parity_dir, f"{stem}.input.f32"))
    y.astype("<f4").tofile(os.path.join(parity_dir, f"{stem}.output.f32"))
    meta = {"input": list(x.shape), "output": list(y.shape), "dtype": "float32", "byteOrder": "little"}
    with open(os.path.join(parity_dir, f"{stem}.parity.json"), "w") as f:
        json.dump(meta, f, indent=2)
    return meta
