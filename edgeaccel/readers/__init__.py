"""Readers of the file formats artifacts hold (the `.tflite` flatbuffer), shared by convert and estimate."""
