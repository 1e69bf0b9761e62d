"""Data: loading a data source, checking it, splitting it, and reading/writing DATA.npz files."""

from edgeaccel.data.datasets import Dataset, Split, Task, load_dataset, settle_task, split_dataset, targets
from edgeaccel.data.npz import check_against_input, read_npz, write_npz

__all__ = ["Dataset", "Split", "Task", "load_dataset", "settle_task", "split_dataset", "targets", "read_npz", "write_npz", "check_against_input"]
