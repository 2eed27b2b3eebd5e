"""Video and image input: frame sampling rules, decoding, subtitles, image loading."""
from .sampling import FpsFrames, PaperFrames, PixelBudget, SamplingSpec, UniformFrames, sample_times, select_frames
from .video import SampledVideo, VideoInfo, probe_video, read_video
from .images import LoadedImages, load_image, load_images

__all__ = [
    "SamplingSpec", "PaperFrames", "UniformFrames", "FpsFrames", "PixelBudget", "sample_times", "select_frames",
    "SampledVideo", "VideoInfo", "probe_video", "read_video", "load_image", "load_images", "LoadedImages",
]
