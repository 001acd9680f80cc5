"""`style-transfer ui`: a real server on a free local port, called as a script would (gradio_client) and
loaded in headless Chromium. No mocks; tiny images and a few steps keep it short."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request

import numpy as np
import pytest
from PIL import Image

from cli_run import run_cli, start_cli
from paths import IMGS

pytest.importorskip("gradio", reason="gradio is not installed (pip install 'ssd-style-transfer[ui]')")
gradio_client = pytest.importorskip("gradio_client", reason="gradio_client is not installed (the [test] extra)")

START_TIMEOUT = 240  # s: TensorFlow, the loss network and Gradio all load before the port opens


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(URL, process) of `style-transfer ui --port N`, stopped when the module's tests are done."""
    log_path = tmp_path_factory.mktemp("ui") / "server.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with open(log_path, "wb") as log:
        proc = start_cli("ui", "--port", port, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode}:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer within {START_TIMEOUT} s:\n{log_path.read_text()}")
            time.sleep(1)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def client(server):
    return gradio_client.Client(server[0], verbose=False)


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """Small content and style images, and a text file posing as an image."""
    folder = tmp_path_factory.mktemp("inputs")
    Image.open(IMGS / "chelsea.jpg").convert("RGB").resize((96, 64)).save(folder / "content.png")
    Image.open(IMGS / "GreatWave.png").convert("RGB").resize((80, 56)).save(folder / "wave.png")
    Image.open(IMGS / "kandinky.png").convert("RGB").resize((80, 56)).save(folder / "kandinsky.png")
    (folder / "notes.txt").write_text("these are notes, not a picture\n")
    return folder


def stylize(client, content, style, steps=2, size=64) -> np.ndarray:
    from gradio_client import handle_file

    out = client.predict(handle_file(str(content)), handle_file(str(style)), steps, size, api_name="/stylize")
    return np.asarray(Image.open(out).convert("RGB"))


def test_stylize_endpoint_returns_the_image_at_the_asked_size(client, images):
    api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/stylize"]
    assert [p["parameter_name"] for p in api["parameters"]] == ["content", "style", "steps", "size"]
    result = stylize(client, images / "content.png", images / "wave.png")
    assert max(result.shape[:2]) == 64
    assert result.shape[:2] == (43, 64)  # the content's aspect ratio is kept


def test_text_file_as_content_gets_a_clear_message(client, images):
    with pytest.raises(Exception) as info:
        stylize(client, images / "notes.txt", images / "wave.png")
    message = str(info.value)
    assert "Content image: cannot read image notes.txt" in message
    assert "Traceback" not in message and 'File "' not in message
    assert "/tmp/" not in message  # the upload's name, not where the server stored it


def test_tabs_at_once_get_their_own_results(server, images):
    """Two clients (two browser tabs) sending different styles at once: each gets its own image."""
    from concurrent.futures import ThreadPoolExecutor

    tabs = [gradio_client.Client(server[0], verbose=False) for _ in range(2)]
    styles = [images / "wave.png", images / "kandinsky.png"]
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(lambda k: stylize(tabs[k], images / "content.png", styles[k], steps=3), range(2)))
    alone = [stylize(tabs[0], images / "content.png", style, steps=3) for style in styles]
    assert np.array_equal(together[0], alone[0]) and np.array_equal(together[1], alone[1])
    assert not np.array_equal(alone[0], alone[1])


def test_page_streams_previews_then_offers_the_result_and_the_animation(client, images):
    from gradio_client import handle_file

    job = client.submit(handle_file(str(images / "content.png")), ["GreatWave", "kandinky"], [], "2,1", "balanced",
                        4, 64, "off", 0, 1, api_name="/stylize_live")
    job.result(timeout=120)
    outputs = job.outputs()
    previews = [o for o in outputs[1:-1] if isinstance(o[0], str)]
    assert previews, f"no preview image before the result: {outputs}"
    image, status, downloads = outputs[-1]
    assert status.startswith("Done: 4 steps")
    assert max(Image.open(image).size) == 64
    assert sorted(p.rsplit(".", 1)[-1] for p in downloads) == ["gif", "png"]
    with Image.open(next(p for p in downloads if p.endswith(".gif"))) as gif:
        assert gif.n_frames >= 4


def test_cancel_stops_the_run_and_frees_the_queue(client, images):
    from gradio_client import handle_file

    job = client.submit(handle_file(str(images / "content.png")), ["GreatWave"], [], "", "balanced",
                        2000, 64, "off", 0, 5, api_name="/stylize_live")
    deadline = time.monotonic() + 60
    while not any(str(o[1]).startswith("Step") for o in job.outputs()):
        assert time.monotonic() < deadline, "no progress reported"
        time.sleep(0.2)
    job.cancel()
    started = time.monotonic()
    result = stylize(client, images / "content.png", images / "wave.png")
    assert max(result.shape[:2]) == 64
    assert time.monotonic() - started < 30  # not queued behind the cancelled 2000 steps


def test_page_renders_in_a_browser(server, tmp_path):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not on PATH (make test installs Debian's chromium)")
    shot = tmp_path / "page.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={shot}", "--window-size=1280,1600", "--virtual-time-budget=10000", server[0]],
                   capture_output=True, timeout=90, check=True)
    page = np.asarray(Image.open(shot).convert("RGB"))
    assert page.shape[:2] == (1600, 1280)
    # a blank or unstyled page is one or two colours; the painting thumbnails bring thousands
    colours = len(np.unique(page.reshape(-1, 3), axis=0))
    assert colours > 1000, f"the page looks blank ({colours} colours)"
    assert page.std() > 10


def test_a_taken_port_is_one_line_before_the_slow_start():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = run_cli("ui", "--port", port, timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"style-transfer: error: cannot listen on 127.0.0.1:{port}: Address already in use "
        "(choose another --port or --host)"]
