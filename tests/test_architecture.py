"""The house's shape: imports only point down the layers, no import cycle, no oversized module, no public
function without a docstring."""

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "src" / "genotorch"
# cli -> train -> variants / predict / render -> data -> models -> encode -> io -> config -> errors
LAYER = {"cli": 7, "train": 6, "variants": 5, "predict": 5, "render": 5, "data": 4, "models": 3, "encode": 2,
         "io": 1, "config": 0, "errors": -1}


def _modules() -> dict[str, Path]:
    out = {}
    for p in PKG.rglob("*.py"):
        parts = list(p.relative_to(PKG.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    deps = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("genotorch"):
            for a in node.names:
                full = f"{node.module}.{a.name}"
                deps.add(full if full in MODULES else node.module)
        elif isinstance(node, ast.Import):
            deps.update(a.name for a in node.names if a.name.startswith("genotorch"))
    return {d for d in deps if d in MODULES}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


GRAPH = {m: _imports(p) - {m} for m, p in MODULES.items()}


def test_every_package_has_a_layer():
    assert {_package(m) for m in MODULES} - {""} <= set(LAYER)


def test_imports_point_down():
    wrong = []
    for m, deps in GRAPH.items():
        for d in deps:
            a, b = _package(m), _package(d)
            if a != b and b and a and LAYER[b] >= LAYER[a]:
                wrong.append(f"{m} imports {d}")
    assert wrong == []


def test_no_import_cycle():
    state, cycles = {}, []

    def visit(m, path):
        state[m] = 1
        for d in sorted(GRAPH[m]):
            if state.get(d) == 1:
                cycles.append(" -> ".join(path[path.index(d):] + [d]))
            elif d not in state:
                visit(d, path + [d])
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m, [m])
    assert cycles == []


def test_modules_stay_small():
    assert {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > 500} == {}


# methods whose meaning the framework fixes (nn.Module, LightningModule, Callback, Sampler, DataLoader hooks)
FRAMEWORK_HOOKS = {"forward", "training_step", "validation_step", "configure_optimizers", "setup", "train_dataloader",
                   "val_dataloader", "state_dict", "load_state_dict", "on_save_checkpoint", "on_load_checkpoint",
                   "on_validation_end", "on_train_end", "on_train_batch_end", "set_epoch", "filter"}


def test_every_public_function_and_class_has_a_docstring():
    missing = []
    for m, p in MODULES.items():
        for node in ast.parse(p.read_text()).body:
            members = [node] + (list(node.body) if isinstance(node, ast.ClassDef) else [])
            for x in members:
                if not isinstance(x, (ast.FunctionDef, ast.ClassDef)) or x.name.startswith("_"):
                    continue
                if x is not node and x.name in FRAMEWORK_HOOKS:
                    continue
                if not ast.get_docstring(x):
                    missing.append(f"{m}.{x.name}")
    assert missing == []


def test_uint8_and_scaled_float_inputs_give_the_same_logits():
    import torch

    from genotorch.models.registry import build_model

    torch.manual_seed(0)
    x = torch.randint(0, 255, (2, 3, 64, 96), dtype=torch.uint8)
    for name, params in (("pileup_resnet", {"widths": [4, 8]}), ("resnet18", {"width": 0.125}),
                         ("alexnet_like", {"width": 0.25})):
        m = build_model(name, in_channels=3, n_classes=3, **params).eval()
        assert torch.allclose(m(x), m(x.float() / 255.0), atol=1e-6), name
