"""Pixels do not depend on which PyAV is installed: the YUV -> RGB conversion is stated from the
stream's colour tags (BT.709 or BT.601, limited or full range), as PyAV 18 and decord do and
PyAV 15 did not (it always used BT.601: up to 35 levels off on BT.709 video). Tested on lossless
clips whose YUV planes are known, against decord and the textbook matrices."""
import numpy as np
import pytest

from evalkit.media.sampling import SamplingSpec, UniformFrames
from evalkit.media.video import decoder_unavailable, read_video

H = W = 64
KR_KB = {"601": (0.299, 0.114), "709": (0.2126, 0.0722)}
# (pixel format, AVColorRange, AVColorSpace, matrix, full range)
CLIPS = {
    "bt709-limited": ("yuv420p", 1, 1, "709", False),
    "bt709-full": ("yuv420p", 2, 1, "709", True),
    "bt601-limited": ("yuv420p", 1, 6, "601", False),
    "jpeg-full": ("yuvj420p", 2, 5, "601", True),
    "untagged": ("yuv420p", 0, 2, "601", False),
}


def bars() -> np.ndarray:
    """Saturated colour bars over a gradient: matrix differences show."""
    x = np.arange(W)[None, :].repeat(H, 0)
    colours = np.array([[255, 255, 255], [255, 255, 0], [0, 255, 255], [0, 255, 0], [255, 0, 255], [255, 0, 0],
                        [0, 0, 255], [0, 0, 0]], dtype=np.float64)
    img = colours[x * 8 // W].copy()
    img[H // 2:, :, 0] = x[H // 2:] * 4
    return img


def planes(rgb: np.ndarray, matrix: str, full: bool):
    kr, kb = KR_KB[matrix]
    f = rgb / 255
    y = kr * f[..., 0] + (1 - kr - kb) * f[..., 1] + kb * f[..., 2]
    cb = ((f[..., 2] - y) / (2 * (1 - kb))).reshape(H // 2, 2, W // 2, 2).mean(axis=(1, 3))
    cr = ((f[..., 0] - y) / (2 * (1 - kr))).reshape(H // 2, 2, W // 2, 2).mean(axis=(1, 3))
    scale = (255, 255) if full else (219, 224)
    out = (y * scale[0] + (0 if full else 16), cb * scale[1] + 128, cr * scale[1] + 128)
    return [np.clip(np.round(p), 0, 255).astype(np.uint8) for p in out]


def textbook_rgb(y, u, v, matrix: str, full: bool) -> np.ndarray:
    kr, kb = KR_KB[matrix]
    u, v = (p.repeat(2, 0).repeat(2, 1).astype(np.float64) for p in (u, v))
    y = y.astype(np.float64)
    yp, cb, cr = ((y / 255, (u - 128) / 255, (v - 128) / 255) if full
                  else ((y - 16) / 219, (u - 128) / 224, (v - 128) / 224))
    r, b = yp + 2 * (1 - kr) * cr, yp + 2 * (1 - kb) * cb
    g = (yp - kr * r - kb * b) / (1 - kr - kb)
    return np.clip(np.floor(np.stack([r, g, b], -1) * 255 + 0.5), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    import av

    root = tmp_path_factory.mktemp("colour")
    out = {}
    for name, (fmt, rng, space, matrix, full) in CLIPS.items():
        path = root / f"{name}.mp4"
        y, u, v = planes(bars(), matrix, full)
        with av.open(str(path), "w") as container:
            stream = container.add_stream("libx264", rate=10, options={"qp": "0", "preset": "ultrafast"})
            stream.width, stream.height, stream.pix_fmt = W, H, fmt
            stream.codec_context.color_range, stream.codec_context.colorspace = rng, space
            for t in range(3):
                frame = av.VideoFrame.from_ndarray(np.concatenate([y.ravel(), u.ravel(), v.ravel()])
                                                   .reshape(H * 3 // 2, W), format=fmt)
                frame.pts, frame.color_range, frame.colorspace = t, rng, space
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        out[name] = (path, textbook_rgb(y, u, v, matrix, full))
    return out


SPEC = SamplingSpec(UniformFrames(1))


@pytest.mark.parametrize("name", CLIPS)
def test_pyav_follows_the_tags_like_the_textbook_matrix(clips, name):
    path, expected = clips[name]
    got = read_video(path, SPEC, "pyav").frames[0].astype(int)
    assert np.abs(got - expected).max() <= 3  # swscale's fixed point; a wrong matrix is 20-50 off


@pytest.mark.parametrize("name", CLIPS)
def test_pyav_and_decord_give_the_same_pixels(clips, name):
    if decoder_unavailable("decord"):
        pytest.skip(decoder_unavailable("decord"))
    path, _ = clips[name]
    assert np.array_equal(read_video(path, SPEC, "pyav").frames, read_video(path, SPEC, "decord").frames)


def test_a_bt709_clip_read_as_bt601_would_be_far_off(clips):
    path, expected = clips["bt709-limited"]
    _, bt601 = clips["bt601-limited"]
    y, u, v = planes(bars(), "709", False)
    assert np.abs(textbook_rgb(y, u, v, "601", False).astype(int) - expected).max() > 20  # what PyAV 15 did


def test_records_name_the_decoding_library(clips):
    facts = read_video(clips["untagged"][0], SPEC, "pyav").facts()
    assert facts["decoder_version"].startswith("av ") and "libavcodec" in facts["decoder_version"]
