"""evalkit: benchmark evaluation harness for video and multi-image LLMs.

The public API: tasks and model adapters are plugins (see :mod:`evalkit.task`,
:mod:`evalkit.model`), registered in :data:`TASKS` and :data:`MODELS`.
"""
__version__ = "0.1.0"

from .errors import ConfigError, DataError, EvalkitError, MediaError, SampleError
from .media.sampling import SamplingSpec
from .model import ModelAdapter
from .registry import MODELS, TASKS
from .task import ImagePart, Parsed, Request, Sample, Task, VideoPart

__all__ = [
    "__version__", "TASKS", "MODELS", "Task", "Sample", "Request", "Parsed", "VideoPart",
    "ImagePart", "ModelAdapter", "SamplingSpec", "EvalkitError", "ConfigError", "DataError",
    "MediaError", "SampleError",
]
