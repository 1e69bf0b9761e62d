"""Data: loading a data source, checking it, splitting it, and reading/writing DATA.npz files."""

from edgeaccel.data.datasets import Dataset, Split, load_dataset, split_dataset
from edgeaccel.data.npz import check_against_input, read_npz, write_npz

__all__ = ["Dataset", "Split", "load_dataset", "split_dataset", "read_npz", "write_npz", "check_against_input"]
