#!/usr/bin/python3
"""PyTorch side of bench/train-speed: runs `speed` of ../shared/bench/torch_baseline.py (same
models, same timing code), with one fix to its model loader: the ResNet18 ONNX file aliases equal
initializers through Identity nodes (PyTorch's exporter deduplicates them), which the shared
loader reports as missing; here Identity outputs of initializers count as initializers.

Usage (Debian's torch 1.13): /usr/bin/python3 bench/torch_speed.py --model resnet18 --batch 64 --threads 2
Prints the same JSON object as `torch_baseline.py speed`.
"""
import argparse, importlib.util, json, os, sys
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
BASELINE = os.path.join(HERE, '..', '..', 'shared', 'bench', 'torch_baseline.py')
spec = importlib.util.spec_from_file_location('torch_baseline', BASELINE)
tb = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tb)


def load_model(name):
    import onnx
    from onnx import numpy_helper
    proto = onnx.load(os.path.join(os.path.dirname(BASELINE), '..', 'models', f'{name}_cifar.onnx'))
    weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in proto.graph.initializer}
    for n in proto.graph.node:
        if n.op_type == 'Identity' and n.input[0] in weights:
            weights[n.output[0]] = weights[n.input[0]]
    model = {'alexnet': tb.AlexNetCifar, 'resnet18': tb.ResNet18Cifar}[name]()
    state = model.state_dict()
    missing = [k for k in state if k not in weights and not k.endswith('num_batches_tracked')]
    if missing:
        sys.exit(f'initializers missing from the ONNX file: {missing[:5]}')
    model.load_state_dict({k: weights.get(k, v) for k, v in state.items()})
    return model.eval()


tb.load_model = load_model
ap = argparse.ArgumentParser()
ap.add_argument('--model', choices=['alexnet', 'resnet18'], default='resnet18')
ap.add_argument('--batch', type=int, default=64)
ap.add_argument('--threads', type=int, default=2)
a = ap.parse_args()
torch.set_num_threads(a.threads)
print(json.dumps({'tool': 'pytorch', 'torch': torch.__version__, 'threads': a.threads, 'command': 'speed',
                  **tb.cmd_speed(a)}))
