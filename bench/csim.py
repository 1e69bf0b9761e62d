"""csim: hls4ml 1.3's own compile() + predict() against edgeaccel's cached, batched csim library.

Both sides build the same design (edgeaccel's exact configuration, `convert.hls.design_for`) with
the softmax dropped, so both can be checked bit for bit against the QKeras logits.
"""

import contextlib
import io
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from bench.timing import ratio, seconds


def jet_mlp():
    """The jet-tagging MLP: 16-64-32-32-5, 6-bit weights and activations, 8-bit inputs."""
    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    q = {"kernel_quantizer": quantized_bits(6, 0, alpha=1), "bias_quantizer": quantized_bits(6, 0, alpha=1)}
    inputs = tf.keras.Input((16,), name="jets")
    x = QActivation(quantized_bits(8, 0, alpha=1), name="input_quant")(inputs)
    for i, units in enumerate((64, 32, 32)):
        x = QActivation(quantized_relu(6), name=f"relu{i}")(QDense(units, name=f"dense{i}", **q)(x))
    return tf.keras.Model(inputs, QDense(5, name="logits", **q)(x), name="jet_mlp")


def digits_cnn():
    """edgeaccel's builtin digits CNN (8x8x1, conv 8 and 16 filters, dense 32), 8-bit, without the softmax."""
    from edgeaccel.models.builtin import build_float_model
    from edgeaccel.specs import ModelSpec, QuantSpec
    from edgeaccel.quantize.qat import quantize_model
    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    qmodel = quantize_model(build_float_model(ModelSpec(builtin="cnn", hidden=[32]), (8, 8, 1), 10),
                            QuantSpec(activation_integer=2), input_signed=True)
    return tf.keras.Model(qmodel.inputs, qmodel.get_layer("logits").output, name="digits_cnn")


def dense_mlp(width: int):
    """16-W-W-5, 8-bit: the scaling series."""
    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    q = {"kernel_quantizer": quantized_bits(8, 0, alpha=1), "bias_quantizer": quantized_bits(8, 0, alpha=1)}
    inputs = tf.keras.Input((16,), name="features")
    x = QActivation(quantized_bits(8, 0, alpha=1), name="input_quant")(inputs)
    for i in range(2):
        x = QActivation(quantized_relu(8, 2), name=f"relu{i}")(QDense(width, name=f"dense{i}", **q)(x))
    return tf.keras.Model(inputs, QDense(5, name="logits", **q)(x), name=f"mlp_{width}")


def randomize(model, seed: int):
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([rng.normal(0, 1.2 / np.sqrt(np.prod(w.shape[:-1])) if len(w.shape) > 1 else 0.3, w.shape)
                               .astype(np.float32) for w in layer.weights])
    return model


def grid_inputs(model, samples: int, seed: int = 1) -> np.ndarray:
    shape = (samples,) + tuple(model.input_shape[1:])
    return (np.random.default_rng(seed).integers(-128, 128, shape) / 128.0).astype(np.float32)


def compare_csim(model_fn, samples: int, resim_samples: int, repeats: int, workdir: Path) -> dict:
    from edgeaccel.convert.hls import design_for, write_weights
    from edgeaccel.targets import ConvertRequest, convert
    from edgeaccel.models.files import save_model
    from edgeaccel.sim.csim_backend import CsimBackend

    model = randomize(model_fn(), seed=1)
    retrained = randomize(model_fn(), seed=2)
    x = grid_inputs(model, samples)
    x_resim = x[:resim_samples]
    reference = model.predict(x, batch_size=4096, verbose=0).reshape(len(x), -1)
    cores = os.cpu_count() or 1
    for name, m in (("a", model), ("b", retrained)):
        (workdir / name).mkdir(parents=True, exist_ok=True)
        save_model(m, workdir / name / "model.h5")

    def edgeaccel_convert(name):
        return convert(ConvertRequest(workdir / name / "model.h5", workdir / name / "hls", board="zcu102",
                                      options={"softmax": "drop"}), "hls")

    artifact = edgeaccel_convert("a")

    def hls4ml_graph(m, directory):
        graph = design_for(artifact, m, directory)
        with contextlib.redirect_stdout(io.StringIO()):
            graph.compile()
        return graph

    graphs = []
    hls4ml_build = seconds(lambda: graphs.append(hls4ml_graph(model, workdir / f"hls4ml-{len(graphs)}")), repeats)
    graph = graphs[-1]
    hls4ml_out = []
    hls4ml_predict = seconds(lambda: hls4ml_out.append(graph.predict(np.ascontiguousarray(x.reshape(len(x), -1)))), repeats)

    cache = Path(tempfile.mkdtemp(prefix="bench-cache-", dir=workdir))

    def cold_build():
        shutil.rmtree(cache, ignore_errors=True)
        os.environ["EDGEACCEL_CACHE"] = str(cache)
        return CsimBackend(edgeaccel_convert("a").directory)

    backends = []
    edge_build = seconds(lambda: backends.append(cold_build()), repeats)
    csim = backends[-1]
    edge_out = []
    single_thread = CsimBackend(csim.artifact.directory, threads=1)
    one_core = seconds(lambda: edge_out.append(single_thread.predict(x)), repeats)
    all_cores = seconds(lambda: edge_out.append(csim.predict(x)), repeats)

    def hls4ml_resim():
        g = hls4ml_graph(retrained, workdir / f"hls4ml-resim-{len(graphs)}")
        graphs.append(g)
        g.predict(np.ascontiguousarray(x_resim.reshape(len(x_resim), -1)))

    def edgeaccel_reconvert():
        CsimBackend(edgeaccel_convert("b").directory).predict(x_resim)

    def edgeaccel_swap():
        csim.use_weights(write_weights(csim.artifact, retrained, workdir / f"weights-{len(graphs)}"))
        csim.predict(x_resim)

    resim_hls4ml = seconds(hls4ml_resim, repeats)
    resim_convert = seconds(edgeaccel_reconvert, repeats)
    resim_swap = seconds(edgeaccel_swap, repeats)
    retrained_reference = retrained.predict(x_resim, verbose=0).reshape(len(x_resim), -1)
    swapped = csim.predict(x_resim).reshape(len(x_resim), -1)

    single = one_core.inverse(samples)
    parallel = all_cores.inverse(samples)
    return {
        "model": model.name,
        "samples": samples,
        "cores": cores,
        "hls4ml_build_s": hls4ml_build,
        "edgeaccel_build_s": edge_build,
        "hls4ml_per_s": hls4ml_predict.inverse(samples),
        "edgeaccel_1core_per_s": single,
        "edgeaccel_all_per_s": parallel,
        "scaling": parallel.median / single.median,
        "scaling_goal": 0.85 * cores,
        "resim_hls4ml_s": resim_hls4ml,
        "resim_reconvert_s": resim_convert,
        "resim_swap_s": resim_swap,
        "resim_speedup_reconvert": ratio(resim_hls4ml, resim_convert),
        "resim_speedup_swap": ratio(resim_hls4ml, resim_swap),
        "exact_hls4ml": float(np.mean(np.all(hls4ml_out[-1].reshape(len(x), -1) == reference, axis=1))),
        "exact_edgeaccel": float(np.mean(np.all(edge_out[-1].reshape(len(x), -1) == reference, axis=1))),
        "exact_after_swap": float(np.mean(np.all(swapped == retrained_reference, axis=1))),
    }


def scaling(widths, samples: int, repeats: int, workdir: Path) -> list[dict]:
    from edgeaccel.targets import ConvertRequest, convert
    from edgeaccel.models.files import save_model
    from edgeaccel.sim.csim_backend import CsimBackend

    rows = []
    for width in widths:
        model = randomize(dense_mlp(width), seed=1)
        directory = workdir / f"scaling-{width}"
        directory.mkdir(parents=True, exist_ok=True)
        save_model(model, directory / "model.h5")
        x = grid_inputs(model, samples)
        cache = directory / "cache"

        def build():
            shutil.rmtree(cache, ignore_errors=True)
            os.environ["EDGEACCEL_CACHE"] = str(cache)
            artifact = convert(ConvertRequest(directory / "model.h5", directory / "hls", board="alveo-u50",
                                              options={"softmax": "drop"}), "hls")
            return CsimBackend(artifact.directory)

        backends = []
        build_s = seconds(lambda: backends.append(build()), repeats)
        run_s = seconds(lambda: backends[-1].predict(x), repeats)
        rows.append({"width": width, "multiplications": 16 * width + width * width + width * 5,
                     "build_s": build_s, "per_s": run_s.inverse(samples)})
    return rows
