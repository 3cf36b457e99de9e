"""Real ONNX networks of any shape, built with the onnx package's helper API (no TensorFlow).

Each network averages its input and spreads the mean over the output's shape: valid for
onnxruntime whatever the sizes, so a test can hand a bundle a network whose input or output
disagrees with its manifest, or make a whole small bundle of another frame size.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from livedance.runtime import integrity
from livedance.runtime.bundle import NETWORKS

SHIPPED = Path(__file__).resolve().parents[1] / "models" / "default"
OPSET = 17  # the shipped networks' opset (ReduceMean's axes still an attribute)


def network(path: Path, name: str, input_item: tuple, output_item: tuple, elem_type: int = TensorProto.FLOAT) -> Path:
    """Write `name`.onnx's input (N, *input_item) and output (N, *output_item) under the names the
    bundle format fixes for `name` (encoder, decoder or step)."""
    input_name, output_name = NETWORKS[name]
    axes = list(range(1, len(input_item) + 1))
    nodes = [
        helper.make_node("ReduceMean", [input_name], ["mean"], axes=axes, keepdims=0),  # (N,)
        helper.make_node("Reshape", ["mean", "column"], ["column_mean"]),  # (N, 1, ..., 1)
        helper.make_node("Expand", ["column_mean", "spread"], ["spread_mean"]),  # (N, *output_item)
        helper.make_node("Sigmoid", ["spread_mean"], [output_name]),
    ]
    constants = [
        numpy_helper.from_array(np.array([-1] + [1] * len(output_item), np.int64), "column"),
        numpy_helper.from_array(np.array([1, *output_item], np.int64), "spread"),
    ]
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info(input_name, elem_type, ["N", *input_item])],
        [helper.make_tensor_value_info(output_name, elem_type, ["N", *output_item])],
        constants,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def bundle(folder: Path, height: int = 60, width: int = 100, latent_dim: int = 16, window: int = 4) -> Path:
    """A whole valid bundle of these sizes (its dancer is a grey field: it proves loading, not dancing)."""
    folder.mkdir(parents=True)
    frames, latent = (height, width, 1), (latent_dim,)
    shapes = {"encoder": (frames, latent), "decoder": (latent, frames), "step": ((window, latent_dim), latent)}
    paths = [network(folder / f"{name}.onnx", name, *shapes[name]) for name in NETWORKS]
    manifest = json.loads((SHIPPED / "manifest.json").read_text())
    manifest.update(
        name=folder.name,
        frame={"height": height, "width": width},
        latent_dim=latent_dim,
        window=window,
        latent_mean=[0.0] * latent_dim,
        latent_std=[1.0] * latent_dim,
    )
    manifest[integrity.FILES] = integrity.describe(paths)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return folder
