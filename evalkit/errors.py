"""Errors a user can act on. The CLI prints them as one clear message, without a traceback."""


class EvalkitError(Exception):
    """Base class: the message says what is wrong and how to fix it."""


class ConfigError(EvalkitError):
    """A flag, model argument or run configuration is wrong."""


class DataError(EvalkitError):
    """A dataset file is missing or malformed; raised before any model work starts."""


class SampleError(EvalkitError):
    """One sample cannot be answered; it is recorded as failed (n_failed) and the run goes on."""


class MediaError(SampleError):
    """One sample's video or image cannot be read."""


class CheckpointError(EvalkitError):
    """A checkpoint does not match the model it is loaded into."""


class RunFileError(ConfigError):
    """A file of a run directory (run.json, results.json, predictions, verdicts) is damaged or
    not evalkit's; the message names the file and line."""
