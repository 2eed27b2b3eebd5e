"""evalkit: benchmark evaluation harness for video and multi-image LLMs.

The public API: tasks and model adapters are plugins (see :mod:`evalkit.task`,
:mod:`evalkit.model`), registered in :data:`TASKS` and :data:`MODELS`; the files a run writes
have typed shapes in :mod:`evalkit.schema`. docs/architecture.md shows the data flow.
"""
__version__ = "0.1.0"

from .errors import ConfigError, DataError, EvalkitError, MediaError, SampleError
from .media.sampling import SamplingSpec
from .model import AdapterCommand, ModelAdapter
from .registry import COMMANDS, MODELS, TASKS
from .protocol import OfficialRef, Parsed
from .request import ImagePart, Request, VideoPart
from .samples import Sample, TaskData
from .task import Task

__all__ = [
    "__version__", "TASKS", "MODELS", "COMMANDS", "Task", "TaskData", "Sample", "Request", "Parsed",
    "OfficialRef", "VideoPart", "ImagePart", "ModelAdapter", "AdapterCommand", "SamplingSpec",
    "EvalkitError", "ConfigError", "DataError",
    "MediaError", "SampleError",
]
