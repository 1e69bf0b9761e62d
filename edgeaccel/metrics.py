"""How good a backend's outputs are for the task, and how closely they follow a reference backend's.
Pure analyses.

- classification: accuracy against the labels; against the reference, argmax agreement.
- regression and autoencoder: MSE, MAE, Pearson correlation and max error against the targets
  (for an autoencoder, its own inputs); against the reference, the correlation, the MSE and the
  max difference. An autoencoder given 0/1 anomaly labels also gets the AUC of its anomaly score
  (the mean squared reconstruction error of each sample).
Every result also carries the max absolute difference from the reference and the fraction of
samples whose outputs equal it exactly.
"""

import numpy as np

PRIMARY = {"classification": ("accuracy", "argmax_agreement"), "regression": ("mse", "correlation_with_reference"),
           "autoencoder": ("mse", "correlation_with_reference")}


def task_metrics(task: str, outputs: np.ndarray, reference: np.ndarray, targets: np.ndarray | None,
                 anomaly_labels: np.ndarray | None = None) -> dict:
    """The task's quality metrics for `outputs` (against `targets`) and their agreement with `reference`."""
    flat, expected = _rows(outputs), _rows(reference)
    result = {"max_abs_diff": float(np.abs(flat - expected).max()),
              "bit_exact_fraction": float(np.mean(np.all(flat == expected, axis=1)))}
    if task == "classification":
        predicted = flat.argmax(axis=1)
        result["argmax_agreement"] = float(np.mean(predicted == expected.argmax(axis=1)))
        if targets is not None:
            result["accuracy"] = float(np.mean(predicted == targets))
        return result
    result["correlation_with_reference"] = correlation(flat, expected)
    result["mse_vs_reference"] = float(np.mean((flat - expected) ** 2))
    if targets is not None:
        truth = _rows(targets)
        error = flat - truth
        result |= {"mse": float(np.mean(error ** 2)), "mae": float(np.mean(np.abs(error))),
                   "correlation": correlation(flat, truth), "max_error": float(np.abs(error).max())}
    if task == "autoencoder" and anomaly_labels is not None and targets is not None:
        result["anomaly_auc"] = anomaly_auc(np.mean((flat - _rows(targets)) ** 2, axis=1), anomaly_labels)
    return result


def anomaly_auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """ROC AUC of anomaly scores against 0/1 labels (1 = anomalous); None when only one class is present."""
    from sklearn.metrics import roc_auc_score

    if len(np.unique(labels)) < 2:
        return None
    return float(roc_auc_score(labels, scores))


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of all values; 1.0 when both are constant and equal, 0.0 when only one is constant."""
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    if a.std() == 0 or b.std() == 0:
        return 1.0 if np.array_equal(a, b) else 0.0
    return float(np.corrcoef(a, b)[0, 1])


def _rows(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return values.reshape(len(values), -1)
