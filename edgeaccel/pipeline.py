"""`edgeaccel train` and `edgeaccel run`: a project file in, a build directory out.

A build directory is written next to the old one and swapped in only when complete, so a
failed or interrupted run leaves the previous build as it was.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgeaccel.artifact import write_json
from edgeaccel.data import check_against_input, load_dataset, split_dataset, write_npz
from edgeaccel.errors import ConfigError, ModelError
from edgeaccel.metrics import task_metrics
from edgeaccel.project import load_project
from edgeaccel.staging import staged_directory

log = logging.getLogger(__name__)

CALIBRATION_FILE = "calib.npz"
TEST_FILE = "test.npz"
MODEL_FILE = "model.h5"
FLOAT_MODEL_FILE = "float_model.h5"


@dataclass(frozen=True)
class BuildResult:
    directory: Path
    metrics: dict


def default_build_dir(project) -> Path:
    return Path("build") / project.name


def train_project(project_path: Path | str, out: Path | str | None = None, progress: bool = True) -> BuildResult:
    """Quantization-aware training only, as `edgeaccel train`.

    Writes model.h5 (the QKeras model), float_model.h5, test.npz, calib.npz and training.json into
    `out` (default build/<project name>), staged so that a failure leaves an earlier build as it was.
    Raises ConfigError/DataError/ModelError/UnsupportedError (edgeaccel.errors) on bad input.
    """
    project = load_project(project_path)
    out_dir = Path(out) if out else default_build_dir(project)
    with staged_directory(out_dir) as staged:
        training = _train(project, staged, progress)
        write_json(staged / "training.json", training)
    return BuildResult(out_dir, training)


def run_project(project_path: Path | str, out: Path | str | None = None, progress: bool = True) -> BuildResult:
    """The whole pipeline for a project file, as `edgeaccel run`.

    Checks every target's options and board first, then trains (float baseline, then QAT), converts
    to every target the project names, runs each artifact on its simulation backend against the
    QKeras model on the held-out split, records fidelity checks and estimates in metrics.json, and
    writes report.html and report.md. The build directory (`out`, default build/<project name>) is
    staged and swapped in only when complete. Returns the directory and the metrics.
    """
    from edgeaccel.report import write_report

    project = load_project(project_path)
    out_dir = Path(out) if out else default_build_dir(project)
    with staged_directory(out_dir) as staged:
        requests = _export_requests(project, staged)
        training = _train(project, staged, progress)
        targets = _export_targets(requests)
        metrics = _measure(project, staged, training, targets)
        write_json(staged / "metrics.json", metrics)
        write_report(staged)
    return BuildResult(out_dir, metrics)


def _train(project, directory: Path, progress: bool) -> dict:
    from edgeaccel.models.files import is_quantized, load_model, save_model
    from edgeaccel.models.training import freeze_batchnorm, loss_for, seed_everything, train
    from edgeaccel.quantize.qat import check_quantizable, quantize_model

    _check_teacher_is_trained(project)
    split = split_dataset(load_dataset(project.data, project.base_dir), project.data, project.training.task)
    task = split.task
    if project.quantization.sweep_bits and task.name != "classification":
        raise ConfigError(f"quantization.sweep_bits: expected task classification (the sweep plots accuracy), received task {task.name}")
    seed_everything(project.data.seed)
    if project.model.builtin:
        from edgeaccel.models.builtin import build_float_model

        float_model = build_float_model(project.model, split.x_train.shape[1:], split.classes, split.fit_y.shape[1:])
    else:
        float_model = load_model(project.resolve(project.model.path))
        if is_quantized(float_model):
            raise ModelError(f"model.path: expected a float Keras model to quantize, received a QKeras model ({project.model.path})")
        check_against_input(split.x_train, float_model.input_shape[1:], f"data {project.data.source}: x")
        check_outputs(float_model, split)
    check_quantizable(float_model)
    compression = _compression(project, float_model, split.x_train)
    if compression:
        if compression.distillation is not None and task.name != "classification":
            raise ConfigError(f"training.distillation: expected task classification (the teacher's logits are class "
                              f"scores), received task {task.name}")
        compression.check(split.classes)

    float_training = None
    if project.training.float_baseline and project.model.builtin:
        float_training = train(float_model, split.fit_x, split.fit_y, project.training, project.data.seed, "float", progress, task.name)
    input_signed = bool(split.x_train.min() < 0)
    qmodel = quantize_model(float_model, project.quantization, input_signed=input_signed)
    if not project.model.builtin or float_training is not None:
        freeze_batchnorm(qmodel)
    qat = train(qmodel, split.fit_x, split.fit_y, project.training, project.data.seed, "QAT", progress, task.name, compression)
    sweep = []
    if project.quantization.sweep_bits:
        from edgeaccel.quantize.sweep import bit_sweep

        sweep = bit_sweep(float_model, project.quantization, project.quantization.sweep_bits, split.x_train, split.y_train,
                          split.x_test, split.y_test, project.training, project.data.seed, input_signed, progress, compression)

    save_model(qmodel, directory / MODEL_FILE)
    save_model(float_model, directory / FLOAT_MODEL_FILE)
    write_npz(directory / TEST_FILE, split.x_test, split.y_test)
    calibration = np.random.default_rng(project.data.seed).permutation(len(split.x_train))[:1000]
    write_npz(directory / CALIBRATION_FILE, split.x_train[calibration], None if split.y_train is None else split.y_train[calibration])
    return {
        "project": project.name,
        "task": {"name": task.name, "reason": task.reason, "anomaly_labels": task.anomaly_labels,
                 "loss": loss_for(task.name, project.training)},
        "data": {"source": project.data.source, "train_samples": len(split.x_train), "fit_samples": len(split.fit_x),
                 "test_samples": len(split.x_test), "classes": split.classes, "input_shape": list(split.x_train.shape[1:]),
                 "scale": split.scale},
        "float_training": None if float_training is None else {"epochs": float_training.epochs_run, "best_epoch": float_training.best_epoch},
        "qat_training": {"epochs": qat.epochs_run, "best_epoch": qat.best_epoch},
        "compression": qat.compression,
        "weight_sparsity": _weight_sparsity(qmodel),
        "bit_sweep": sweep,
        "quantization": project.quantization.model_dump(),
    }


def check_outputs(model, split) -> None:
    """A user's model must have an output per class, or the targets' shape."""
    if split.task.name == "classification":
        outputs = model.output_shape[-1]
        if outputs < split.classes:
            raise ModelError(f"model.path: expected at least {split.classes} outputs (one per class in the data), received {outputs}")
        return
    expected = tuple(split.fit_y.shape[1:])
    received = tuple(model.output_shape[1:])
    if received != expected:
        raise ModelError(f"model.path: expected outputs of shape {expected} (the {split.task.name} targets), received {received}")


def _weight_sparsity(qmodel) -> dict:
    """The zero fraction of every quantized kernel (pruned or not: narrow quantizers round weights to zero too)."""
    from edgeaccel.compress.pruning import kernel_sparsity, total_sparsity

    layers = kernel_sparsity(qmodel)
    return {"layers": layers, "total": total_sparsity(layers)}


def _check_teacher_is_trained(project) -> None:
    distillation = project.training.distillation
    if distillation and distillation.teacher == "float" and project.model.builtin and not project.training.float_baseline:
        raise ConfigError("training.distillation.teacher: expected training.float_baseline: true for the teacher "
                          "'float' (an untrained float model teaches nothing), received float_baseline: false")


def _compression(project, float_model, x_train: np.ndarray):
    """What QAT compresses with (pruning, distillation and its teacher), checked before any training."""
    from edgeaccel.compress import Compression

    training = project.training
    if training.pruning is None and training.distillation is None:
        return None
    teacher, teacher_name = None, ""
    if training.distillation is not None:
        source = training.distillation.teacher
        if source == "float" and project.model.builtin:
            teacher, teacher_name = float_model, "float baseline"
        elif source == "float":
            teacher, teacher_name = float_model, f"float model {project.model.path}"
        else:
            from edgeaccel.models.files import load_model

            teacher, teacher_name = load_model(project.resolve(source)), str(source)
            check_against_input(x_train, teacher.input_shape[1:], f"training.distillation.teacher {source}: inputs")
    return Compression(training.pruning, training.distillation, teacher, teacher_name)


def _export_requests(project, directory: Path) -> dict:
    """One checked convert request per target of the project (options and boards checked now, before training)."""
    from edgeaccel.convert import ConvertRequest
    from edgeaccel.targets import checked_request

    requests = {}
    for name, spec in project.target_specs().items():
        options = spec.model_dump()
        request = ConvertRequest(directory / MODEL_FILE, directory / name, board=options.pop("board", None),
                                 calib_path=directory / CALIBRATION_FILE, options=options)
        requests[name] = checked_request(request, name)
    return requests


def _export_targets(requests: dict) -> dict:
    from edgeaccel.targets import convert

    return {name: convert(request, name) for name, request in requests.items()}


def _measure(project, directory: Path, training: dict, targets: dict) -> dict:
    """Every target's backend on the test split against QKeras, with the task's metrics; the fidelity
    checks and the estimates. Metrics are keyed by target name; `titles` says what each row is."""
    from edgeaccel.data import Task, read_npz
    from edgeaccel.data import targets as task_targets
    from edgeaccel.models.files import load_model
    from edgeaccel.targets import open_backend, simulator_for, target

    task = Task(training["task"]["name"], training["task"]["reason"], training["data"]["classes"], training["task"]["anomaly_labels"])
    x, y = read_npz(directory / TEST_FILE)
    truth = task_targets(task, x, y)
    keras = open_backend("keras", directory / MODEL_FILE)
    reference = keras.predict(x)
    outputs = {"qkeras": reference}
    titles = {"qkeras": "QKeras (reference)"}
    if training["float_training"] is not None or not project.model.builtin:
        outputs["float"] = np.asarray(load_model(directory / FLOAT_MODEL_FILE).predict(x, verbose=0))
        titles["float"] = "float baseline (Keras)"
    qmodel = keras.model
    fidelity, estimates, mcu_estimates, edgetpu = {}, {}, {}, {}
    for name, artifact in targets.items():
        backend = open_backend(simulator_for(name), artifact.directory)
        outputs[name] = backend.predict(x)
        titles[name] = target(name).title
        if backend.name == "csim":
            from edgeaccel.sim.fidelity import csim_fidelity

            fidelity["csim"] = csim_fidelity(backend, None, x)
            if artifact.details.reference.changes:
                from edgeaccel.convert.hls_reference import accuracy_cost

                fidelity["csim"]["reference_cost"] = accuracy_cost(qmodel, backend.reference, backend.grid, x, y)
            estimates[name] = artifact.estimate
        if name == "tflm":
            from edgeaccel.sim.fidelity import agreement
            from edgeaccel.sim.tflm_fidelity import tflm_fidelity

            fidelity["tflm"] = tflm_fidelity(artifact.directory, x, task.name, tflm_outputs=outputs[name])
            litert_optimized = open_backend("tflite", artifact.directory).predict(x)
            fidelity["tflm"]["optimized_kernels"] = agreement(outputs[name], litert_optimized,
                                                              "LiteRT optimized kernels on the same model.tflite", task.name)
            mcu_estimates[name] = artifact.estimate
        if name == "edgetpu":
            edgetpu = artifact.estimate["summary"] | {"compiler": artifact.details.compiler["available"]}
    labels = y if task.anomaly_labels else None
    backends = {name: task_metrics(task.name, out, reference, truth, labels) for name, out in outputs.items()}
    return training | {
        "backends": backends,
        "titles": titles,
        "bit_sweep": _with_main_model(training["bit_sweep"], project.quantization.weight_bits, backends["qkeras"].get("accuracy")),
        "fidelity": fidelity,
        "estimates": estimates,
        "mcu_estimates": mcu_estimates,
        "edgetpu": edgetpu,
        "sizes": sizes(directory, qmodel, targets),
    }


def _with_main_model(sweep: list[dict], bits: int, accuracy: float) -> list[dict]:
    if not sweep or any(row["bits"] == bits for row in sweep):
        return sweep
    return sorted(sweep + [{"bits": bits, "accuracy": accuracy}], key=lambda row: -row["bits"])


def sizes(directory: Path, qmodel, targets: dict) -> dict:
    params = int(qmodel.count_params())
    result = {"parameters": params, "float32_weight_bytes": 4 * params, "model_h5_bytes": (directory / MODEL_FILE).stat().st_size}
    for name, artifact in targets.items():
        details = artifact.details
        if "bytes" in details:
            result[name] = {"bytes": details["bytes"], "weight_bytes": details.get("weight_bytes"),
                            "float32_reference_bytes": details.get("float32_reference", {}).get("bytes")}
    return result
