"""Checked reading of natosim's HDF5 files, with natosim's own messages (sim/io/h5_file.cpp):
every problem raises FileRefused with the line `natosim info FILE` prints after "error: ", e.g.

    FILE: no such file
    FILE: not a natosim results file (not an HDF5 file)
    FILE: attribute 'seed': missing
    FILE:/scenario_description: shape (3) does not match the axes (2)
    FILE:/defence_share_mean: holds strings, expected float64

The checks look at types and shapes only (no data is read but for small coordinates), so a whole
file is validated before a script draws anything.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import h5py
import numpy as np

from .errors import FileRefused

STRING = "string"
# What h5py raises on a damaged file.
H5PY_ERRORS = (OSError, KeyError, ValueError, TypeError, RuntimeError)


def _detail(error: Exception) -> str:
    """HDF5's most specific message from an h5py error: 'Unable to synchronously open file
    (bad object header version number)' -> 'bad object header version number'."""
    text = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    found = re.search(r"\(([^()]*)\)\s*$", text)
    return found.group(1) if found else text


def open_file(path, kind: str) -> h5py.File:
    """Opens an HDF5 file read-only as natosim does (H5File::open_read_only); kind names the file
    in the message when it is not HDF5 ('results', 'calibration', 'sensitivity')."""
    display = str(path)
    p = Path(path)
    if not p.exists():
        raise FileRefused(f"{display}: no such file")
    try:
        hdf5 = (not p.is_dir()) and h5py.is_hdf5(display)
    except (OSError, ValueError):
        hdf5 = False
    if not hdf5:
        raise FileRefused(f"{display}: not a natosim {kind} file (not an HDF5 file)")
    try:
        return h5py.File(display, "r")
    except H5PY_ERRORS as error:
        raise FileRefused(f"{display}: cannot open the file (HDF5: {_detail(error)})") from None


def element_type(dtype: np.dtype, where: str) -> str:
    """natosim's classification of an HDF5 type (classify in h5_file.cpp)."""
    if h5py.check_string_dtype(dtype) is not None or dtype.kind in "SU":
        return STRING
    if dtype.kind == "f" and dtype.itemsize == 8:
        return "float64"
    if dtype.kind == "f" and dtype.itemsize == 4:
        return "float32"
    if dtype.kind == "i" and dtype.itemsize in (4, 8) and h5py.check_enum_dtype(dtype) is None:
        return f"int{dtype.itemsize * 8}"
    if dtype.kind == "u" and dtype.itemsize == 8 and h5py.check_enum_dtype(dtype) is None:
        return "uint64"
    raise FileRefused(f"{where}: unsupported element type (expected float64, float32, int32, "
                      f"int64, uint64 or string)")


def _text(value) -> str:
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


class Checked:
    """An open file whose reads raise FileRefused with natosim's messages."""

    def __init__(self, path, kind: str):
        self.display = str(path)
        self.file = open_file(path, kind)

    def close(self):
        self.file.close()

    def where(self, name: str | None = None) -> str:
        return self.display if not name else f"{self.display}:/{name}"

    def require_file_type(self, file_type: str, kind: str):
        """natosim's first check of every reader: the root attribute file_type."""
        typed = (self.has_attribute("file_type") and self.attribute_type("file_type") == "string"
                 and self.string_attribute("file_type") == file_type)
        if not typed:
            raise FileRefused(f"{self.display}: not a natosim {kind} file (no root attribute "
                              f"file_type = \"{file_type}\")")

    # --- attributes --------------------------------------------------------------------------

    def _attribute(self, name: str, dataset: str | None):
        obj = self._object(dataset)
        what = f"{self.where(dataset)}: attribute '{name}'"
        if not self.has_attribute(name, dataset):
            raise FileRefused(f"{what}: missing")
        try:
            attr_id = obj.attrs.get_id(name)
            dtype = attr_id.dtype
            shape = attr_id.shape
            count = 0 if shape is None else (1 if shape == () else int(np.prod(shape)))
        except H5PY_ERRORS as error:
            raise FileRefused(f"{what}: cannot open (HDF5: {_detail(error)})") from None
        kind = element_type(dtype, what)
        try:
            value = obj.attrs[name]
        except H5PY_ERRORS as error:
            problem = "cannot read strings" if kind == STRING else f"cannot read as {kind}"
            raise FileRefused(f"{what}: {problem} (HDF5: {_detail(error)})") from None
        return what, kind, count, value

    def _object(self, dataset: str | None):
        if dataset is None:
            return self.file
        try:
            return self.file[dataset]
        except H5PY_ERRORS as error:
            raise FileRefused(f"{self.where(dataset)}: cannot open (HDF5: {_detail(error)})") \
                from None

    def has_attribute(self, name: str, dataset: str | None = None) -> bool:
        obj = self._object(dataset)
        try:
            return name in obj.attrs
        except H5PY_ERRORS as error:
            raise FileRefused(f"{self.where(dataset)}: cannot look up attribute '{name}' (HDF5: "
                              f"{_detail(error)})") from None

    def attribute_type(self, name: str, dataset: str | None = None) -> str:
        return self._attribute(name, dataset)[1]

    def string_array_attribute(self, name: str, dataset: str | None = None) -> list:
        what, kind, count, value = self._attribute(name, dataset)
        if kind != STRING:
            raise FileRefused(f"{what}: is not a string")
        if count == 0:
            return []
        return [_text(v) for v in np.asarray(value, dtype=object).reshape(-1)]

    def string_attribute(self, name: str, dataset: str | None = None) -> str:
        values = self.string_array_attribute(name, dataset)
        if len(values) != 1:
            raise FileRefused(f"{self.where(dataset)}: attribute '{name}': holds {len(values)} "
                              f"values, expected 1")
        return values[0]

    def number_attribute(self, name: str, dataset: str | None = None):
        what, kind, count, value = self._attribute(name, dataset)
        if kind == STRING:
            raise FileRefused(f"{what}: is a string, expected a number")
        if count != 1:
            raise FileRefused(f"{self.where(dataset)}: attribute '{name}': holds {count} "
                              f"values, expected 1")
        return np.asarray(value).reshape(-1)[0].item()

    # --- datasets ----------------------------------------------------------------------------

    def has_dataset(self, name: str) -> bool:
        try:
            exists = name in self.file
        except H5PY_ERRORS as error:
            raise FileRefused(f"{self.display}: cannot look up '{name}' (HDF5: "
                              f"{_detail(error)})") from None
        if not exists:
            return False
        try:
            return isinstance(self.file[name], h5py.Dataset)
        except H5PY_ERRORS as error:
            raise FileRefused(f"{self.display}: cannot open '{name}' (HDF5: {_detail(error)})") \
                from None

    def dataset(self, name: str) -> h5py.Dataset:
        if not self.has_dataset(name):
            raise FileRefused(f"{self.where(name)}: missing dataset")
        return self._object(name)

    def dims(self, name: str) -> tuple:
        try:
            shape = self.dataset(name).shape
        except H5PY_ERRORS as error:
            raise FileRefused(f"{self.where(name)}: cannot read the extent (HDF5: "
                              f"{_detail(error)})") from None
        return tuple(shape) if shape is not None else ()

    def kind(self, name: str) -> str:
        try:
            dtype = self.dataset(name).dtype
        except H5PY_ERRORS as error:
            raise FileRefused(f"{self.where(name)}: cannot read the type (HDF5: "
                              f"{_detail(error)})") from None
        return element_type(dtype, self.where(name))

    def expect_shape(self, name: str, expected) -> None:
        """natosim's read_dataset check: the dataset's shape is exactly `expected`."""
        dims = self.dims(name)
        expected = tuple(int(n) for n in expected)
        if dims != expected:
            raise FileRefused(f"{self.where(name)}: shape {_shape_text(dims)} does not match the "
                              f"axes {_shape_text(expected)}")

    def expect_numeric(self, name: str, want: str = "float64") -> None:
        if self.kind(name) == STRING:
            raise FileRefused(f"{self.where(name)}: holds strings, expected {want}")

    def expect_strings(self, name: str) -> None:
        if self.kind(name) != STRING:
            raise FileRefused(f"{self.where(name)}: does not hold strings")

    def strings(self, name: str, expected=None) -> list:
        if expected is not None:
            self.expect_shape(name, expected)
        self.expect_strings(name)
        return [_text(v) for v in np.asarray(self._read(name), dtype=object).reshape(-1)]

    def numbers(self, name: str, want: str = "float64", expected=None) -> np.ndarray:
        if expected is not None:
            self.expect_shape(name, expected)
        self.expect_numeric(name, want)
        return np.asarray(self._read(name)).reshape(-1)

    def _read(self, name: str):
        try:
            return self.file[name][()]
        except H5PY_ERRORS as error:
            raise FileRefused(f"{self.where(name)}: cannot read ({_detail(error)})") from None

    def finite_coordinate(self, name: str, values: np.ndarray, integral: bool = False) -> None:
        """A coordinate's values are finite (and whole numbers when `integral`); natosim
        converts them without looking (see the report of issue 12)."""
        for value in np.asarray(values, dtype=np.float64).reshape(-1):
            if not math.isfinite(value):
                raise FileRefused(f"{self.where(name)}: holds {value}, expected finite values")
            if integral and value != math.floor(value):
                raise FileRefused(f"{self.where(name)}: holds {value}, expected whole numbers")


def _shape_text(dims) -> str:
    return "(" + ", ".join(str(int(d)) for d in dims) + ")"
